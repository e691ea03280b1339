import type { IncomingMessage } from 'node:http';
import {
  invalidRequest,
  MAX_BODY_BYTES,
  payloadTooLarge,
  unsupportedMediaType,
} from './problems.js';

/** The raw request body, read by the server before the framework's parsers see the request. */
export type RequestWithBody = IncomingMessage & { rawBody?: Buffer };

/**
 * Reads the whole body, refusing more than MAX_BODY_BYTES: by Content-Length
 * before any byte is read, and while streaming for chunked bodies.
 */
export function readBoundedBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(payloadTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        reject(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

/** The body as JSON: 415 unless it is UTF-8 application/json, 400 if it does not parse. */
export function parseJsonBody(req: RequestWithBody): unknown {
  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw unsupportedMediaType(
      contentType
        ? `${mediaType} is not accepted; send application/json`
        : 'send Content-Type: application/json',
    );
  }
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedMediaType(`charset ${charset} is not accepted; send UTF-8`);
  }
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw unsupportedMediaType(
      `Content-Encoding ${encoding} is not accepted; send the body uncompressed`,
    );
  }
  const raw = req.rawBody ?? Buffer.alloc(0);
  if (raw.length === 0) throw invalidRequest('the request body is empty; send a JSON object');
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw invalidRequest('the request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}
