export type HostRole = 'primary' | 'replica';

/** The host cannot serve the request now: down, frozen, refusing or misconfigured. */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly role: HostRole,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`the ${role} database ${reason}`, options);
    this.name = 'DatabaseUnavailableError';
  }
}
