// Which versions of a `latest` reference are accepted: latest (N) and, during
// a rotation window, N−1, and never a value not known to be one of them.

export interface KnownVersion {
  version: number;
  value: string;
}

export interface VersionWindow {
  latest: KnownVersion;
  /** A value known to be version latest − 1, while it is believed enabled. */
  previous: KnownVersion | undefined;
}

/**
 * After reading `latest` again. When latest moved by exactly one version, the
 * former latest is N−1; after any other move, N−1 is unknown until it is read.
 */
export function afterLatestRead(window: VersionWindow, latest: KnownVersion): VersionWindow {
  const wanted = latest.version - 1;
  const candidates = [window.latest, window.previous];
  const previous = candidates.find((known) => known?.version === wanted);
  return { latest, previous };
}

export type PreviousReadOutcome =
  | { kind: 'value'; known: KnownVersion }
  /** NOT_FOUND or FAILED_PRECONDITION: disabled or destroyed, the window is over. */
  | { kind: 'gone'; version: number }
  /** Any other failure says nothing about it: keep what is known. */
  | { kind: 'unknown' };

/** After reading version N−1; ignored if latest has moved since the read began. */
export function afterPreviousRead(
  window: VersionWindow,
  outcome: PreviousReadOutcome,
): VersionWindow {
  const wanted = window.latest.version - 1;
  if (outcome.kind === 'value' && outcome.known.version === wanted) {
    const same = outcome.known.value === window.latest.value;
    return { ...window, previous: same ? undefined : outcome.known };
  }
  if (outcome.kind === 'gone' && outcome.version === wanted) {
    return { ...window, previous: undefined };
  }
  return window;
}

export function acceptedValues(window: VersionWindow): string[] {
  const previous = window.previous?.value;
  return previous === undefined || previous === window.latest.value
    ? [window.latest.value]
    : [window.latest.value, previous];
}
