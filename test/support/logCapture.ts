import { Writable } from 'node:stream';
import type { Logger } from '../../log/logger.js';
import { createProcessLogger } from '../../server/bootstrap.js';

/** Every line the logger wrote, as written (JSON text), and parsed. */
export interface CapturedLog {
  text: string[];
  lines: Record<string, unknown>[];
}

/** The processes' logger (its redaction included), writing into memory instead of stdout. */
export function captureProcessLog(): CapturedLog & { log: Logger } {
  const captured: CapturedLog = { text: [], lines: [] };
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        captured.text.push(line);
        captured.lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { ...captured, log: createProcessLogger(stream) };
}
