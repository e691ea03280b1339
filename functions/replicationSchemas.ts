import { z } from 'zod';
import { FAILURE_TYPES } from '../replication/failures.js';

// The replication answers, for the OpenAPI document (replication/ builds them).

const nullableNumber = z.number().nullable();

const failure = z.object({
  type: z.enum(FAILURE_TYPES),
  detail: z.string(),
  endpoint: z.string().optional().meta({ description: 'The replica it is about' }),
});

export const lagSummary = z
  .object({
    last: nullableNumber,
    p50: nullableNumber,
    p90: nullableNumber,
    p99: nullableNumber,
    max: nullableNumber,
  })
  .meta({
    id: 'LagSummary',
    description:
      'Commit→visible lag in ms over the window; null when nothing was seen; an unseen heartbeat counts as the time waited',
  });

export const replicaReport = z
  .object({
    endpoint: z.string().meta({ description: 'host:port, as configured' }),
    ok: z.boolean(),
    role: z.enum(['replica', 'primary', 'unknown']),
    application_name: z.string().nullable(),
    samples: z.int().optional(),
    seen: z.int().optional(),
    lag_ms: z.union([lagSummary, nullableNumber]),
    lag_bytes: nullableNumber.optional(),
    replay_lsn: z.string().nullable(),
    timeline: z.int().nullable(),
    failures: z.array(failure.omit({ endpoint: true })),
  })
  .meta({ id: 'ReplicaReport' });

export const replicationReport = z
  .object({
    status: z.enum(['ok', 'failing']),
    lag_ms: nullableNumber,
    lag_bytes: nullableNumber,
    primary_lsn: z.string().nullable().optional(),
    replica_lsn: z.string().nullable().optional(),
    samples: z.int().optional(),
    interval_ms: z.int().optional(),
    replicas: z.array(replicaReport),
    events: z.array(z.object({ type: z.literal('failover'), detail: z.string() })).optional(),
    primary: z.object({}).loose().nullable(),
    replica: z.object({}).loose().nullable(),
    standbys: z.array(z.object({}).loose()),
    replication_slots: z.array(z.object({}).loose()),
    synchronous_standby: z.object({ expected: z.boolean(), present: z.boolean() }),
  })
  .loose()
  .meta({ id: 'ReplicationReport' });

export { failure as failureSchema };
