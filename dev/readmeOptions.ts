// `npm run readme:options`: writes the option table into the configuration
// section of docs/operations.md (between the options markers).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderOptionsTable } from '../config/options.js';

const file = new URL('../docs/operations.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const markers = /(<!-- options:start -->\n)[\s\S]*?(\n<!-- options:end -->)/;
if (!markers.test(doc)) {
  console.error('docs/operations.md has no <!-- options:start --> … <!-- options:end --> section');
  process.exit(1);
}
writeFileSync(file, doc.replace(markers, `$1${renderOptionsTable()}$2`));
console.log('docs/operations.md: configuration table written from config/options.ts');
