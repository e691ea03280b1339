// A WAL position as PostgreSQL prints it: two hex numbers, e.g. 0/3000148.
const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

export function isLsn(value: string): boolean {
  return LSN.test(value);
}

/** LSN as a number of bytes, for comparison and differences (exact below 2^53). */
export function lsnToBytes(lsn: string): number {
  const [high = '0', low = '0'] = lsn.split('/');
  return Number.parseInt(high, 16) * 2 ** 32 + Number.parseInt(low, 16);
}

export function bytesToLsn(bytes: number): string {
  const high = Math.floor(bytes / 2 ** 32);
  const low = bytes - high * 2 ** 32;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

// WAL pages are 8 KiB; each starts with a header of 24 bytes (40 at the start
// of a segment) that holds no records.
const WAL_PAGE_BYTES = 8192;
const LONG_PAGE_HEADER_BYTES = 40;

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
