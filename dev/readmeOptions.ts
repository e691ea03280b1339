// `npm run readme:options`: writes the option table into the README's
// configuration section (between the options markers).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderOptionsTable } from '../config/options.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const markers = /(<!-- options:start -->\n)[\s\S]*?(\n<!-- options:end -->)/;
if (!markers.test(readme)) {
  console.error('README.md has no <!-- options:start --> … <!-- options:end --> section');
  process.exit(1);
}
writeFileSync(file, readme.replace(markers, `$1${renderOptionsTable()}$2`));
console.log('README.md: configuration table written from config/options.ts');
