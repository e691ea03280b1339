// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of many shapes
type Json = any;

export interface Client {
  request(
    method: string,
    path: string,
    options?: { body?: string | Buffer; headers?: Record<string, string>; auth?: boolean },
  ): Promise<{ status: number; headers: Headers; text: string; json: Json }>;
}

/** fetch against a running service, with the test pair's Basic credentials by default. */
export function httpClient(baseUrl: string, env: Record<string, string>): Client {
  const token = Buffer.from(`${env.BASIC_AUTH_USERNAME}:${env.BASIC_AUTH_PASSWORD}`).toString(
    'base64',
  );
  return {
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.auth !== false) headers.authorization ??= `Basic ${token}`;
      const response = await fetch(baseUrl + path, {
        method,
        headers,
        ...(options.body !== undefined
          ? { body: typeof options.body === 'string' ? options.body : new Uint8Array(options.body) }
          : {}),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
  };
}
