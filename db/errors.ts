export type HostRole = 'primary' | 'replica';

/** The host cannot serve the request now: down, frozen, refusing or misconfigured. */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly role: HostRole,
    readonly reason: string,
    options?: { cause?: unknown; endpoint?: string | undefined },
  ) {
    const host = options?.endpoint ? `${role} ${options.endpoint}` : `${role} database`;
    super(`the ${host} ${reason}`, options);
    this.name = 'DatabaseUnavailableError';
    this.endpoint = options?.endpoint;
  }

  /** `host:port` of a replica verified on its own; undefined for the shared clients. */
  readonly endpoint: string | undefined;
}
