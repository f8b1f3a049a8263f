// Writes docs/declines.md and docs/troubleshooting.md from the decline data files.
// Usage: npm run docs:declines (a test fails when the committed docs differ from this output).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDeclinesDoc, renderTroubleshootingDoc } from '../src/core/declines/render-docs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}docs/declines.md`, renderDeclinesDoc());
writeFileSync(`${root}docs/troubleshooting.md`, renderTroubleshootingDoc());
console.log('wrote docs/declines.md and docs/troubleshooting.md');
