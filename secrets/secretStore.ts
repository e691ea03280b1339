import type { SecretVariable } from '../config/options.js';
import { type SecretSetting, versionName } from './reference.js';
import { SecretAccessError, type SecretAccessor } from './secretManagerAccess.js';

export class SecretResolutionError extends Error {
  constructor(readonly problems: string[]) {
    super(`could not resolve secrets:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SecretResolutionError';
  }
}

interface Entry {
  setting: SecretSetting;
  current: string;
  /** Values accepted besides `current`: the previous version during a rotation window. */
  previous: string[];
  lastRefresh: number;
  /** When `current` last changed (epoch ms); 0 for the start-up value. */
  changedAt: number;
  refreshing: Promise<void> | undefined;
}

export interface SecretStore {
  /** The current value of a variable (resolved at start-up, updated by refresh). */
  current(variable: SecretVariable): string;
  /** The current value and, for `latest` references, the previous version while it is enabled. */
  accepted(variable: SecretVariable): readonly string[];
  isReference(variable: SecretVariable): boolean;
  /** Epoch ms of the last change of the current value by a refresh; 0 if never. */
  changedAt(variable: SecretVariable): number;
  has(variable: SecretVariable): boolean;
  /**
   * Reads the reference again. Concurrent calls share one read, and a
   * variable is read at most once per `minRefreshIntervalMs`.
   */
  refresh(variable: SecretVariable): Promise<void>;
  close(): Promise<void>;
}

export interface SecretStoreOptions {
  /** Creates the SDK accessor; called only when some setting is a reference. */
  createAccessor: () => Promise<SecretAccessor>;
  timeoutMs: number;
  /** Variables whose previous version stays accepted (Basic auth). */
  withPrevious?: readonly SecretVariable[];
  minRefreshIntervalMs?: number;
}

function describe(variable: string, setting: SecretSetting, error: unknown): string {
  const name = setting.kind === 'reference' ? ` (${setting.name})` : '';
  const reason =
    error instanceof SecretAccessError ? `${error.status}: ${error.message}` : String(error);
  return `${variable}${name}: ${reason}`;
}

/** Resolves every reference concurrently, within one deadline, before the server listens. */
export async function loadSecrets(
  settings: Partial<Record<SecretVariable, SecretSetting>>,
  options: SecretStoreOptions,
): Promise<SecretStore> {
  const entries = new Map<SecretVariable, Entry>();
  const hasReference = Object.values(settings).some((setting) => setting?.kind === 'reference');
  const accessor = hasReference ? await options.createAccessor() : undefined;
  const minInterval = options.minRefreshIntervalMs ?? 1000;

  async function resolve(
    variable: SecretVariable,
    setting: SecretSetting,
    deadlineAt: number,
    acceptedBefore: readonly string[] = [],
  ): Promise<{ current: string; previous: string[] }> {
    if (setting.kind === 'literal' || !accessor) {
      return { current: setting.kind === 'literal' ? setting.value : '', previous: [] };
    }
    const latest = await accessor.access(setting.name, deadlineAt);
    let previous: string[] = [];
    if (
      options.withPrevious?.includes(variable) &&
      setting.version === 'latest' &&
      latest.version > 1
    ) {
      try {
        const older = await accessor.access(versionName(setting, latest.version - 1), deadlineAt);
        if (older.value !== latest.value) previous = [older.value];
      } catch (error) {
        const status = error instanceof SecretAccessError ? error.status : '';
        // Disabled or destroyed: the rotation window is over. Any other
        // failure says nothing about it: keep accepting what was accepted.
        if (status !== 'NOT_FOUND' && status !== 'FAILED_PRECONDITION') {
          previous = acceptedBefore.filter((value) => value !== latest.value);
        }
      }
    }
    return { current: latest.value, previous };
  }

  const deadlineAt = Date.now() + options.timeoutMs;
  const problems: string[] = [];
  await Promise.all(
    Object.entries(settings).map(async ([key, setting]) => {
      if (!setting) return;
      const variable = key as SecretVariable;
      try {
        const value = await resolve(variable, setting, deadlineAt);
        if (value.current === '') throw new Error('the secret is empty');
        entries.set(variable, {
          setting,
          ...value,
          lastRefresh: 0, // the first refresh after start-up is never rate-limited
          changedAt: 0,
          refreshing: undefined,
        });
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

  return {
    current: (variable) => entryOf(variable).current,
    accepted: (variable) => {
      const entry = entryOf(variable);
      return [entry.current, ...entry.previous];
    },
    isReference: (variable) => entries.get(variable)?.setting.kind === 'reference',
    changedAt: (variable) => entries.get(variable)?.changedAt ?? 0,
    has: (variable) => entries.has(variable),
    refresh(variable) {
      const entry = entryOf(variable);
      if (entry.setting.kind === 'literal') return Promise.resolve();
      if (entry.refreshing) return entry.refreshing;
      if (Date.now() - entry.lastRefresh < minInterval) return Promise.resolve();
      const setting = entry.setting;
      entry.refreshing = resolve(variable, setting, Date.now() + options.timeoutMs, [
        entry.current,
        ...entry.previous,
      ])
        .then((value) => {
          if (value.current === '') return;
          if (value.current !== entry.current) entry.changedAt = Date.now();
          entry.current = value.current;
          entry.previous = value.previous;
        })
        .finally(() => {
          entry.lastRefresh = Date.now();
          entry.refreshing = undefined;
        });
      return entry.refreshing;
    },
    close: async () => {
      await accessor?.close();
    },
  };
}
