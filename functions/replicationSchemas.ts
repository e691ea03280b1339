import * as v from 'valibot';
import { FAILURE_TYPES } from '../replication/failures.js';

// The replication answers, for the OpenAPI document (replication/ builds them).

const nullableNumber = v.nullable(v.number());

const failure = v.object({
  type: v.picklist(FAILURE_TYPES),
  detail: v.string(),
  endpoint: v.optional(v.pipe(v.string(), v.description('The replica it is about'))),
  standby: v.optional(
    v.pipe(
      v.string(),
      v.description('The standby it is about, by its application_name on the primary'),
    ),
  ),
});

export const lagSummary = v.pipe(
  v.object({
    last: nullableNumber,
    p50: nullableNumber,
    p90: nullableNumber,
    p99: nullableNumber,
    max: nullableNumber,
  }),
  v.description(
    'Commit→visible lag in ms over the window; null when nothing was seen; an unseen heartbeat counts as the time waited',
  ),
);

export const replicaReport = v.object({
  endpoint: v.pipe(v.string(), v.description('host:port, as configured')),
  ok: v.boolean(),
  role: v.picklist(['replica', 'primary', 'unknown']),
  application_name: v.nullable(v.string()),
  samples: v.optional(v.number()),
  seen: v.optional(v.number()),
  polls: v.optional(
    v.pipe(v.number(), v.description('Queries the window sent this replica: its polling cost')),
  ),
  lag_ms: v.union([lagSummary, nullableNumber]),
  lag_bytes: v.optional(nullableNumber),
  replay_lsn: v.nullable(v.string()),
  timeline: v.nullable(v.number()),
  failures: v.array(v.object({ type: v.picklist(FAILURE_TYPES), detail: v.string() })),
});

export const replicationReport = v.looseObject({
  status: v.picklist(['ok', 'failing']),
  lag_ms: nullableNumber,
  lag_bytes: nullableNumber,
  primary_lsn: v.optional(v.nullable(v.string())),
  replica_lsn: v.optional(v.nullable(v.string())),
  samples: v.optional(v.number()),
  interval_ms: v.optional(v.number()),
  replicas: v.array(replicaReport),
  events: v.optional(v.array(v.object({ type: v.literal('failover'), detail: v.string() }))),
  failures: v.optional(v.array(failure)),
  primary: v.nullable(v.looseObject({})),
  replica: v.nullable(v.looseObject({})),
  standbys: v.array(v.looseObject({})),
  replication_slots: v.array(v.looseObject({})),
  synchronous_standby: v.object({ expected: v.boolean(), present: v.boolean() }),
});
