// A WAL position as PostgreSQL prints it: two hex numbers, e.g. 0/3000148.
const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

export function isLsn(value: string): boolean {
  return LSN.test(value);
}

/**
 * LSN as a number of bytes, exact over the whole 64-bit range: a Number
 * passes 2^53 at 1FFFFF/FFFFFFFF and would round FFFFFFFF/FFFFFFFF up to
 * 2^64, a position PostgreSQL refuses. Compare these with < and >.
 */
export function lsnToBytes(lsn: string): bigint {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

export function bytesToLsn(bytes: bigint): string {
  const high = bytes >> 32n;
  const low = bytes & 0xffff_ffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/**
 * Bytes from `from` to `to` (negative if `to` is behind), exact as BigInt and
 * returned as a Number: a difference past 2^53 bytes (8 PiB) is not a lag
 * any replica has.
 */
export function lsnDiffBytes(to: string, from: string): number {
  return Number(lsnToBytes(to) - lsnToBytes(from));
}

// WAL pages are 8 KiB; each starts with a header of 24 bytes (40 at the start
// of a segment) that holds no records.
const WAL_PAGE_BYTES = 8192n;
const LONG_PAGE_HEADER_BYTES = 40n;

/**
 * The replay position that proves everything before `lsn` was replayed.
 * pg_current_wal_insert_lsn() after a commit that ended exactly on a page
 * boundary points past the next page's header, where a standby's replay
 * position stops short: waiting for it literally would time out on an idle
 * primary although the write is there.
 */
export function replayTarget(lsn: string): string {
  const bytes = lsnToBytes(lsn);
  const inPage = bytes % WAL_PAGE_BYTES;
  return inPage <= LONG_PAGE_HEADER_BYTES ? bytesToLsn(bytes - inPage) : lsn;
}
