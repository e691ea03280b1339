import type { DatabaseConfig, SecretsConfig } from '../config/config.js';
import type { SecretVariable } from '../config/options.js';
import { certificatesProblem } from '../config/parsers.js';
import type { SecretSetting } from '../config/secretReference.js';
import {
  createSecretManagerAccessor,
  SecretAccessError,
  type SecretAccessor,
} from './secretManagerAccess.js';
import {
  acceptedValues,
  afterLatestRead,
  afterPreviousRead,
  type PreviousReadOutcome,
  type VersionWindow,
} from './versionWindow.js';

export class SecretResolutionError extends Error {
  constructor(readonly problems: string[]) {
    super(`could not resolve secrets:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SecretResolutionError';
  }
}

/** A resolved value that is not what its variable must hold; the message never quotes it. */
class InvalidSecretValue extends Error {}

interface Entry {
  setting: SecretSetting;
  window: VersionWindow;
  /** Start of the last read of `latest` (epoch ms); 0 before the first refresh. */
  lastRefresh: number;
  /** When the current value last changed (epoch ms); 0 for the start-up value. */
  changedAt: number;
  readingLatest: Promise<void> | undefined;
  readingPrevious: { version: number; done: Promise<void> } | undefined;
}

export interface SecretStore {
  /** The current value of a variable (resolved at start-up, updated by refresh). */
  current(variable: SecretVariable): string;
  /** The current value and, for `latest` references, version N−1 while it is enabled. */
  accepted(variable: SecretVariable): readonly string[];
  isReference(variable: SecretVariable): boolean;
  /** Epoch ms of the last change of the current value by a refresh; 0 if never. */
  changedAt(variable: SecretVariable): number;
  has(variable: SecretVariable): boolean;
  /**
   * Reads `latest` again, then (for variables with a rotation window) version
   * N−1. Concurrent calls share one read of `latest`, and unless `force`d a
   * variable is read at most once per `minRefreshIntervalMs`. The current value
   * changes as soon as `latest` is read, whatever reading N−1 does.
   */
  refresh(variable: SecretVariable, options?: { force?: boolean }): Promise<void>;
  close(): Promise<void>;
}

interface SecretStoreOptions {
  /** Creates the SDK accessor; called only when some setting is a reference. */
  createAccessor: () => Promise<SecretAccessor>;
  timeoutMs: number;
  /** Variables whose previous version stays accepted (Basic auth). */
  withPrevious?: readonly SecretVariable[];
  /** Checks of a resolved value: what is wrong with it (never quoting it), or undefined. */
  validate?: Partial<Record<SecretVariable, (value: string) => string | undefined>>;
  minRefreshIntervalMs?: number;
}

function describe(variable: string, setting: SecretSetting, error: unknown): string {
  const name = setting.kind === 'reference' ? ` (${setting.name})` : '';
  if (error instanceof InvalidSecretValue) return `${variable}${name} ${error.message}`;
  const reason =
    error instanceof SecretAccessError ? `${error.status}: ${error.message}` : String(error);
  return `${variable}${name}: ${reason}`;
}

/** The resource name of another version of the same secret. */
function versionName(setting: { project: string; secret: string }, version: number): string {
  return `projects/${setting.project}/secrets/${setting.secret}/versions/${version}`;
}

const WINDOW_ENDED = new Set(['NOT_FOUND', 'FAILED_PRECONDITION']);

/** Resolves every reference concurrently, within one deadline, before the server listens. */
export async function loadSecrets(
  settings: Partial<Record<SecretVariable, SecretSetting>>,
  options: SecretStoreOptions,
): Promise<SecretStore> {
  const entries = new Map<SecretVariable, Entry>();
  const hasReference = Object.values(settings).some((setting) => setting?.kind === 'reference');
  const accessor = hasReference ? await options.createAccessor() : undefined;
  const minInterval = options.minRefreshIntervalMs ?? 1000;
  const tracksPrevious = (variable: SecretVariable, setting: SecretSetting) =>
    setting.kind === 'reference' &&
    setting.version === 'latest' &&
    (options.withPrevious?.includes(variable) ?? false);

  async function readLatest(variable: SecretVariable, setting: SecretSetting, deadlineAt: number) {
    if (setting.kind === 'literal') return { version: 0, value: setting.value };
    if (!accessor) throw new Error('no Secret Manager client');
    const latest = await accessor.access(setting.name, deadlineAt);
    if (latest.value === '') throw new Error('the secret is empty');
    const problem = options.validate?.[variable]?.(latest.value);
    if (problem) throw new InvalidSecretValue(problem);
    return latest;
  }

  async function readPrevious(entry: Entry, version: number): Promise<void> {
    const { setting } = entry;
    if (setting.kind !== 'reference' || version < 1 || !accessor) return;
    let outcome: PreviousReadOutcome;
    try {
      const known = await accessor.access(
        versionName(setting, version),
        Date.now() + options.timeoutMs,
      );
      outcome = { kind: 'value', known };
    } catch (error) {
      const status = error instanceof SecretAccessError ? error.status : '';
      outcome = WINDOW_ENDED.has(status) ? { kind: 'gone', version } : { kind: 'unknown' };
    }
    entry.window = afterPreviousRead(entry.window, outcome);
  }

  // N−1 is read on its own: a slow or failing read never holds back `latest`.
  function checkPrevious(variable: SecretVariable, entry: Entry): Promise<void> {
    if (!tracksPrevious(variable, entry.setting)) return Promise.resolve();
    const version = entry.window.latest.version - 1;
    if (entry.readingPrevious?.version !== version) {
      const reading = {
        version,
        done: readPrevious(entry, version).finally(() => {
          if (entry.readingPrevious === reading) entry.readingPrevious = undefined;
        }),
      };
      entry.readingPrevious = reading;
    }
    return entry.readingPrevious?.done ?? Promise.resolve();
  }

  const deadlineAt = Date.now() + options.timeoutMs;
  const problems: string[] = [];
  await Promise.all(
    Object.entries(settings).map(async ([key, setting]) => {
      if (!setting) return;
      const variable = key as SecretVariable;
      try {
        const latest = await readLatest(variable, setting, deadlineAt);
        const entry: Entry = {
          setting,
          window: { latest, previous: undefined },
          lastRefresh: 0, // the first refresh after start-up is never rate-limited
          changedAt: 0,
          readingLatest: undefined,
          readingPrevious: undefined,
        };
        entries.set(variable, entry);
        await checkPrevious(variable, entry);
      } catch (error) {
        problems.push(describe(variable, setting, error));
      }
    }),
  );
  if (problems.length > 0) {
    await accessor?.close();
    throw new SecretResolutionError(problems.sort());
  }

  const entryOf = (variable: SecretVariable): Entry => {
    const entry = entries.get(variable);
    if (!entry) throw new Error(`${variable} is not configured`);
    return entry;
  };

  async function refreshLatest(variable: SecretVariable, entry: Entry): Promise<void> {
    const latest = await readLatest(variable, entry.setting, Date.now() + options.timeoutMs);
    if (latest.value !== entry.window.latest.value) entry.changedAt = Date.now();
    entry.window = afterLatestRead(entry.window, latest);
  }

  return {
    current: (variable) => entryOf(variable).window.latest.value,
    accepted: (variable) => acceptedValues(entryOf(variable).window),
    isReference: (variable) => entries.get(variable)?.setting.kind === 'reference',
    changedAt: (variable) => entries.get(variable)?.changedAt ?? 0,
    has: (variable) => entries.has(variable),
    async refresh(variable, refreshOptions = {}) {
      const entry = entryOf(variable);
      if (entry.setting.kind === 'literal') return;
      if (!entry.readingLatest) {
        if (!refreshOptions.force && Date.now() - entry.lastRefresh < minInterval) return;
        entry.lastRefresh = Date.now();
        entry.readingLatest = refreshLatest(variable, entry).finally(() => {
          entry.readingLatest = undefined;
        });
      }
      await entry.readingLatest;
      await checkPrevious(variable, entry);
    },
    close: async () => {
      await accessor?.close();
    },
  };
}

/** Resolves the configured secrets, importing the SDK only if a reference is present. */
export function loadConfiguredSecrets(config: SecretsConfig): Promise<SecretStore> {
  return loadSecrets(config.settings, {
    createAccessor: () => createSecretManagerAccessor({ emulatorHost: config.emulatorHost }),
    timeoutMs: config.resolveTimeoutMs,
    withPrevious: ['BASIC_AUTH_USERNAME', 'BASIC_AUTH_PASSWORD'],
    // A literal CA was checked by parseConfig; a referenced one is checked here.
    validate: { POSTGRES_SSLROOTCERT: certificatesProblem },
  });
}

/**
 * The database configuration with its CA in place: a referenced
 * POSTGRES_SSLROOTCERT as resolved at start-up (pools refuse an unresolved
 * one). Read once: a new CA takes a new revision or restart.
 */
export function resolvedDatabase(database: DatabaseConfig, store: SecretStore): DatabaseConfig {
  if (database.sslRootCert?.kind !== 'reference') return database;
  return {
    ...database,
    sslRootCert: { kind: 'literal', value: store.current('POSTGRES_SSLROOTCERT') },
  };
}
