import * as v from 'valibot';

// The answers of the replication check, the health and the history, as
// schemas: their TypeScript types are inferred from them, the OpenAPI
// document is written from them, and test/openapi.test.ts validates every
// answer it elicits against that document.

const nullableNumber = v.nullable(v.number());
const lsn = v.pipe(v.string(), v.description('A WAL position, such as 0/3000148'));
const nullableLsn = v.nullable(lsn);

/** Every way the replication check can fail, most fundamental first; the first found names the 503. */
export const FAILURE_TYPES = [
  'primary-unreachable',
  'replica-unreachable',
  'primary-in-recovery',
  'replica-not-standby',
  'different-cluster',
  'timeline-mismatch',
  'replica-not-receiving',
  'replica-not-replaying',
  'standby-stalled',
  'synchronous-standby-missing',
  'standbys-missing',
  'endpoints-missing',
  'standby-unverified',
  'slot-lost',
  'slot-retention',
  'replication-lag',
  'standby-lagging',
] as const;

export type FailureType = (typeof FAILURE_TYPES)[number];

/** A failure as a replica's own entry lists it: the replica is the entry's. */
const replicaFailure = v.strictObject({
  type: v.picklist(FAILURE_TYPES),
  detail: v.string(),
});

export const failure = v.strictObject({
  ...replicaFailure.entries,
  endpoint: v.optional(v.pipe(v.string(), v.description('The replica it is about (host:port)'))),
  standby: v.optional(
    v.pipe(
      v.string(),
      v.description('The standby it is about, by its application_name on the primary'),
    ),
  ),
});

export type Failure = v.InferOutput<typeof failure>;
export type ReplicaFailure = v.InferOutput<typeof replicaFailure>;

export const byImportance = (a: { type: FailureType }, b: { type: FailureType }) =>
  FAILURE_TYPES.indexOf(a.type) - FAILURE_TYPES.indexOf(b.type);

/** Something worth knowing that is not a failure. */
export const replicationEvent = v.strictObject({ type: v.literal('failover'), detail: v.string() });
export type ReplicationEvent = v.InferOutput<typeof replicationEvent>;

export const lagSummary = v.pipe(
  v.strictObject({
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
export type LagSummary = v.InferOutput<typeof lagSummary>;

/** A standby as the primary's pg_stat_replication shows it, lags rounded to the microsecond. */
export const standby = v.strictObject({
  application_name: v.string(),
  slot_name: v.nullable(v.string()),
  client_addr: v.nullable(v.string()),
  state: v.string(),
  sync_state: v.string(),
  sent_lsn: nullableLsn,
  replay_lsn: nullableLsn,
  write_lag_ms: nullableNumber,
  flush_lag_ms: nullableNumber,
  replay_lag_ms: nullableNumber,
  replay_lag_bytes: nullableNumber,
});

export const replicationSlot = v.strictObject({
  slot_name: v.string(),
  slot_type: v.string(),
  active: v.boolean(),
  wal_status: v.nullable(v.string()),
  retained_wal_bytes: nullableNumber,
});
export type ReplicationSlot = v.InferOutput<typeof replicationSlot>;

const walReceiver = v.strictObject({
  status: v.string(),
  sender_host: v.nullable(v.string()),
  sender_port: nullableNumber,
  received_tli: v.number(),
  flushed_lsn: nullableLsn,
  latest_end_lsn: nullableLsn,
  last_msg_receipt_time: v.nullable(v.string()),
  slot_name: v.nullable(v.string()),
  application_name: v.nullable(v.string()),
});

/** What every answer says of the hosts: the primary, the first endpoint, standbys and slots. */
const topologyEntries = {
  primary: v.nullable(
    v.strictObject({
      in_recovery: v.boolean(),
      system_identifier: v.string(),
      timeline: v.number(),
      current_lsn: nullableLsn,
      synchronous_standby_names: v.string(),
      synchronous_commit: v.string(),
    }),
  ),
  replica: v.nullable(
    v.strictObject({
      endpoint: v.string(),
      in_recovery: v.boolean(),
      system_identifier: v.string(),
      timeline: v.number(),
      receive_lsn: nullableLsn,
      replay_lsn: nullableLsn,
      replay_paused: v.boolean(),
      last_replay_at: v.nullable(v.string()),
      wal_receiver: v.nullable(walReceiver),
    }),
  ),
  standbys: v.array(standby),
  replication_slots: v.array(replicationSlot),
  synchronous_standby: v.strictObject({ expected: v.boolean(), present: v.boolean() }),
};
export type TopologyReport = v.InferOutput<v.StrictObjectSchema<typeof topologyEntries, undefined>>;

const ROLES = ['replica', 'primary', 'unknown'] as const;
export type Role = (typeof ROLES)[number];

/** What every answer says of each replica endpoint, in configured order. */
const replicaEntries = {
  endpoint: v.pipe(v.string(), v.description('host:port, as configured')),
  ok: v.boolean(),
  role: v.pipe(
    v.picklist(ROLES),
    v.description('primary: the endpoint reaches the primary itself (after a failover)'),
  ),
  application_name: v.nullable(v.string()),
  replay_lsn: nullableLsn,
  timeline: nullableNumber,
  failures: v.array(replicaFailure),
};
export type ReplicaEntry = v.InferOutput<v.StrictObjectSchema<typeof replicaEntries, undefined>>;

export const checkReplica = v.strictObject({
  ...replicaEntries,
  samples: v.number(),
  seen: v.number(),
  polls: v.pipe(
    v.number(),
    v.description('Queries the window sent this replica: its polling cost'),
  ),
  lag_ms: lagSummary,
});
export type CheckReplica = v.InferOutput<typeof checkReplica>;

export const healthReplica = v.strictObject({
  ...replicaEntries,
  lag_bytes: nullableNumber,
  lag_ms: v.pipe(nullableNumber, v.description('Lag in time without writing; null when unknown')),
  replay_paused: v.nullable(v.boolean()),
  wal_receiver: v.nullable(v.string()),
});
export type HealthReplica = v.InferOutput<typeof healthReplica>;

const status = v.picklist(['ok', 'failing']);

export const checkReport = v.strictObject({
  status,
  prober: v.string(),
  samples: v.number(),
  interval_ms: v.number(),
  interrupted: v.optional(
    v.pipe(v.string(), v.description('Why the window ended before its last heartbeat')),
  ),
  lag_ms: v.pipe(nullableNumber, v.description("The worst replica's last lag")),
  threshold_ms: v.number(),
  primary_lsn: nullableLsn,
  replica_lsn: nullableLsn,
  lag_bytes: nullableNumber,
  heartbeat_sequence: nullableNumber,
  expected_standbys: v.number(),
  replicas: v.array(checkReplica),
  events: v.array(replicationEvent),
  ...topologyEntries,
  history_stored: v.optional(v.boolean()),
  history_error: v.optional(v.string()),
});
export type CheckReport = v.InferOutput<typeof checkReport>;

export const healthReport = v.strictObject({
  status,
  lag_bytes: nullableNumber,
  lag_ms: nullableNumber,
  max_lag_ms: v.number(),
  max_lag_bytes: nullableNumber,
  replicas: v.array(healthReplica),
  ...topologyEntries,
});
export type HealthReport = v.InferOutput<typeof healthReport>;

/** A problem document's members (RFC 9457) and the failures that named it. */
const problemEntries = {
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  failures: v.array(failure),
};
const { status: _checkStatus, ...checkFigures } = checkReport.entries;
const { status: _healthStatus, ...healthFigures } = healthReport.entries;
/** A failed check's 503: the problem, and every figure the report would have held. */
export const checkProblem = v.strictObject({ ...checkFigures, ...problemEntries });
export const healthProblem = v.strictObject({ ...healthFigures, ...problemEntries });

const windowReplica = v.strictObject({
  ...checkReplica.entries,
  lags: v.pipe(
    v.array(nullableNumber),
    v.description('One per heartbeat of beats_at; null where it could not be checked'),
  ),
});

export const storedWindow = v.strictObject({
  prober: v.string(),
  scheduled: v.pipe(v.boolean(), v.description("The scheduled prober's window; false: a caller's")),
  interrupted: v.nullable(v.string()),
  started_at: v.string(),
  ended_at: v.string(),
  ok: v.boolean(),
  interval_ms: v.number(),
  threshold_ms: v.number(),
  beats_at: v.pipe(
    v.array(v.number()),
    v.description('When each heartbeat was written (epoch ms)'),
  ),
  replicas: v.array(windowReplica),
  failures: v.array(failure),
  events: v.array(replicationEvent),
  slots: v.array(replicationSlot),
});
export type StoredWindow = v.InferOutput<typeof storedWindow>;

export const runningWindow = v.strictObject({
  kind: v.picklist(['scheduled', 'caller']),
  prober: v.string(),
  started_at: v.string(),
  samples: v.number(),
  interval_ms: v.number(),
  beats_at: v.array(v.number()),
  replicas: v.array(v.strictObject({ endpoint: v.string(), lags: v.array(nullableNumber) })),
});
export type RunningWindow = v.InferOutput<typeof runningWindow>;

export const historyAnswer = v.strictObject({
  threshold_ms: v.number(),
  endpoints: v.array(v.string()),
  max_bytes: v.number(),
  running: v.array(runningWindow),
  truncated: v.optional(v.boolean()),
  windows: v.optional(v.array(storedWindow)),
});
export type HistoryAnswer = v.InferOutput<typeof historyAnswer>;
