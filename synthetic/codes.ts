// Synthetic checks only ever create and delete codes that ISO 3166-1 leaves
// to users, and only rows named by them: real ISO rows are never touched.
// Tests use QM–QZ; synthetic checks use XA–XZ and numeric 900–999.

export const SYNTHETIC_CODES = Array.from(
  { length: 26 },
  (_, i) => `X${String.fromCharCode(65 + i)}`,
);
export const SYNTHETIC_IDS = Array.from({ length: 100 }, (_, i) => 900 + i);
const NAME_PREFIX = 'synthetic-check ';

/** Leftovers older than this are from a crashed run, never from one in progress. */
export const LEFTOVER_AGE_MS = 10 * 60 * 1000;

export function syntheticName(startedAt: Date, runId: string): string {
  return `${NAME_PREFIX}${startedAt.toISOString()} ${runId}`;
}

/** True for a row a synthetic run created at least LEFTOVER_AGE_MS before `now`. */
export function isLeftover(row: { name: string; two_letter: string }, now: Date): boolean {
  if (!SYNTHETIC_CODES.includes(row.two_letter) || !row.name.startsWith(NAME_PREFIX)) return false;
  const createdAt = Date.parse(row.name.slice(NAME_PREFIX.length).split(' ')[0] ?? '');
  return Number.isFinite(createdAt) && now.getTime() - createdAt >= LEFTOVER_AGE_MS;
}

export function pickUnused<T>(candidates: T[], used: Set<T>): T | undefined {
  const free = candidates.filter((candidate) => !used.has(candidate));
  return free[Math.floor(Math.random() * free.length)];
}
