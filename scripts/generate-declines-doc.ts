// Writes docs/declines.md and docs/troubleshooting.md from the decline data files.
// Usage: npm run docs:declines (a test fails when the committed docs differ from this output).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDeclinesDoc, renderTroubleshootingDoc } from '../src/core/declines/render-docs.ts';
import { responseCodeTable } from '../src/core/declines/response-code-table.ts';
import { retryRules } from '../src/core/declines/retry-rules.ts';
import { loadQrCodeTables } from '../src/adapters/declines/qr-code-table-files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}docs/declines.md`, renderDeclinesDoc(responseCodeTable, retryRules, loadQrCodeTables()));
writeFileSync(`${root}docs/troubleshooting.md`, renderTroubleshootingDoc());
console.log('wrote docs/declines.md and docs/troubleshooting.md');
