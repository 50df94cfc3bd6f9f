// Validates an AsyncAPI document with @asyncapi/parser, the AsyncAPI Initiative's parser: the
// document against the AsyncAPI 3.0 JSON Schema, its references (the committed JSON Schemas
// under schemas/) resolved, and the parser's own rules. Exit status 1 on any error.
import { resolve } from 'node:path';
import { Parser, fromFile } from '@asyncapi/parser';

const path = resolve(process.argv[2] ?? '../../asyncapi.yaml');
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, path).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  const level = ['error', 'warning', 'info', 'hint'][d.severity];
  console.log(`${level}: ${d.code}: ${d.message} at ${d.path.join('.')}`);
}
if (!document || errors.length > 0) {
  console.error(`asyncapi: ${path} is not valid (${errors.length} errors)`);
  process.exit(1);
}
const channels = document.channels().all().map((c) => c.address());
console.log(`asyncapi: ${path} is a valid AsyncAPI ${document.version()} document; channels: ${channels.join(', ')}`);
