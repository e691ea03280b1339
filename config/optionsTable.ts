import type { Option } from './option.js';
import { OPTIONS } from './options.js';

/** The README's configuration table, one row per option, from the option table. */
export function renderOptionsTable(): string {
  const rows = Object.entries(OPTIONS).map(([name, option]: [string, Option<unknown>]) => {
    const notes = option.secret ? `${option.description} (secret)` : option.description;
    return `| \`${name}\` | ${option.shown} | ${notes} |`;
  });
  return ['| variable | default | notes |', '|---|---|---|', ...rows].join('\n');
}
