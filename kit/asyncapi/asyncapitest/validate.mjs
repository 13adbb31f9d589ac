// Parses an AsyncAPI document with @asyncapi/parser, which checks it
// against the AsyncAPI schema and its own rules (payload schemas included),
// and prints every diagnostic. Exits 3 when the document does not parse or
// any diagnostic is an error (warnings alone pass), so that a caller tells
// a rejected document from a script that could not run (node exits 1 on an
// uncaught error).
//
// usage: node validate.mjs <dir whose node_modules has @asyncapi/parser> <document.json>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, file] = process.argv.slice(2);
if (!modules || !file) {
  console.error('usage: node validate.mjs <modules dir> <document>');
  process.exit(2);
}
// The parser lives under the tools directory, not beside this script.
const require = createRequire(path.join(path.resolve(modules), 'package.json'));
const { Parser } = require('@asyncapi/parser');

const severities = ['error', 'warning', 'info', 'hint'];
const { document, diagnostics } = await new Parser().parse(readFileSync(file, 'utf8'));
let errors = 0;
for (const d of diagnostics) {
  const severity = severities[d.severity] ?? String(d.severity);
  if (d.severity === 0) errors++;
  console.log(`${severity} ${d.code} at /${d.path.join('/')}: ${d.message}`);
}
if (!document || errors > 0) {
  console.log(`invalid: ${errors} errors`);
  process.exit(3);
}
console.log(`valid: ${document.messages().length} messages, ${diagnostics.length} diagnostics below error`);
