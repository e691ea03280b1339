import { describe, expect, it } from 'vitest';
import type { Option } from '../../config/option.js';
import { OPTIONS, SECRET_VARIABLES } from '../../config/options.js';
import { REDACTED } from '../../log/logger.js';
import { captureProcessLog } from '../support/logCapture.js';

// The logger is a leaf: it learns the secret variables' names from its
// creator. Every option the table marks secret, and every variable of
// SECRET_VARIABLES, must be redacted by the logger the processes use, so that
// a secret added to the table is never logged.

const options = Object.entries(OPTIONS) as [string, Option<unknown>][];
const secretNames = [
  ...new Set([
    ...options.filter(([, option]) => option.secret).map(([name]) => name),
    ...SECRET_VARIABLES,
  ]),
];

describe('the process logger', () => {
  it('is told the same secrets as the secret store resolves (SECRET_VARIABLES)', () => {
    const marked = options.filter(([, option]) => option.secret).map(([name]) => name);
    expect([...SECRET_VARIABLES].sort()).toEqual(marked.sort());
  });

  it('knows the secrets of the table', () => {
    expect(secretNames).toContain('BASIC_AUTH_PASSWORD');
    expect(secretNames).toContain('POSTGRES_MAIN_PASSWORD');
  });

  it.each(secretNames)('redacts %s at the top of a line and nested', (name) => {
    const { lines, log } = captureProcessLog();
    const value = `value-of-${name}`;
    log('INFO', 'settings', {
      [name]: value,
      env: { [name]: value },
      config: { secrets: { settings: { [name]: value } } },
      // A key the table does not mark secret stays readable: the line was written.
      POSTGRES_DB: 'countries',
    });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(value);
    expect(lines[0]).toMatchObject({
      [name]: REDACTED,
      env: { [name]: REDACTED },
      config: { secrets: { settings: { [name]: REDACTED } } },
      POSTGRES_DB: 'countries',
    });
  });
});
