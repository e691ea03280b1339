import type { SlotRow } from '../db/replicationQueries.js';
import type { Failure } from './failures.js';

/**
 * Replication slots that break replication or threaten the primary: a slot
 * whose WAL is gone (`lost`) or about to go (`unreserved`), and an inactive
 * slot holding back more WAL than allowed (it fills the primary's disk).
 */
export function slotFailures(slots: SlotRow[], maxRetainedBytes: number): Failure[] {
  const failures: Failure[] = [];
  for (const slot of slots) {
    if (slot.wal_status === 'lost' || slot.wal_status === 'unreserved') {
      failures.push({
        type: 'slot-lost',
        detail: `replication slot ${slot.slot_name} is ${slot.wal_status}: the WAL its standby needs is ${slot.wal_status === 'lost' ? 'gone' : 'about to be removed'}`,
      });
    }
    const retained = slot.retained_wal_bytes ?? 0;
    if (!slot.active && retained > maxRetainedBytes) {
      failures.push({
        type: 'slot-retention',
        detail: `inactive replication slot ${slot.slot_name} retains ${retained} bytes of WAL (limit ${maxRetainedBytes})`,
      });
    }
  }
  return failures;
}
