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
