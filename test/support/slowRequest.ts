import { request } from 'node:http';

/**
 * POSTs JSON in two halves: the first at once (the request is accepted), the
 * second `gapMs` after `between` runs (e.g. a SIGTERM to the server).
 */
export function postInTwoHalves(
  url: string,
  headers: Record<string, string>,
  body: string,
  between: () => void,
  gapMs = 300,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      between();
      setTimeout(() => req.end(body.slice(10)), gapMs);
    }, 200);
  });
}
