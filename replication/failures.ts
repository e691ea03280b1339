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

export interface Failure {
  type: FailureType;
  detail: string;
  /** The replica it is about (`host:port`); absent for the primary and the cluster. */
  endpoint?: string;
  /** The standby it is about, by its application_name on the primary, when no endpoint names it. */
  standby?: string;
}

/** Something worth knowing that is not a failure. */
export interface ReplicationEvent {
  type: 'failover';
  detail: string;
}

export const byImportance = (a: Failure, b: Failure) =>
  FAILURE_TYPES.indexOf(a.type) - FAILURE_TYPES.indexOf(b.type);
