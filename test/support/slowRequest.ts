import { type ClientRequest, request } from 'node:http';

export interface SlowPost {
  /** Resolves when the server has read the headers and asked for the body (100 Continue). */
  accepted: Promise<void>;
  /** Sends the rest of the body. */
  finish(): void;
  answer: Promise<{ status: number; text: string }>;
}

function answerOf(req: ClientRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
}

/** A GET whose request has been handed to the kernel when `sent` resolves. */
export function sentGet(
  url: string,
  headers: Record<string, string>,
): { sent: Promise<void>; answer: Promise<{ status: number; text: string }> } {
  const req = request(url, { headers });
  const answer = answerOf(req);
  const sent = new Promise<void>((resolve) => req.once('finish', () => resolve()));
  req.end();
  return { sent, answer };
}

/**
 * POSTs JSON slowly: the headers with `Expect: 100-continue` and the first
 * bytes once the server has taken the request, the rest when `finish()` is
 * called. A request in flight whose body is still arriving.
 */
export function slowPost(url: string, headers: Record<string, string>, body: string): SlowPost {
  const req = request(url, {
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  });
  const answer = answerOf(req);
  const accepted = new Promise<void>((resolve) => {
    req.once('continue', () => {
      req.write(body.slice(0, 10));
      resolve();
    });
  });
  req.flushHeaders();
  return { accepted, finish: () => req.end(body.slice(10)), answer };
}
