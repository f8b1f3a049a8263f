// Goal: docs/declines.md and docs/troubleshooting.md always match the data they are generated from. Method: render both from the loaded JSON and compare with the committed files byte for byte (run `npm run docs:declines` to fix).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDeclinesDoc, renderTroubleshootingDoc } from '../../../src/core/declines/render-docs.ts';
import { responseCodeTable } from '../../../src/core/declines/response-code-table.ts';
import { retryRules } from '../../../src/core/declines/retry-rules.ts';
import { loadQrCodeTables } from '../../../src/adapters/declines/qr-code-table-files.ts';

const qrTables = loadQrCodeTables();

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('docs/declines.md is generated from the catalogue (npm run docs:declines)', () => {
  assert.equal(readFileSync(`${root}docs/declines.md`, 'utf8'), renderDeclinesDoc(responseCodeTable, retryRules, qrTables));
});

test('docs/troubleshooting.md is generated from symptoms.json (npm run docs:declines)', () => {
  assert.equal(readFileSync(`${root}docs/troubleshooting.md`, 'utf8'), renderTroubleshootingDoc());
});

test('docs/declines.md lists every code with its DE 44 verdict', () => {
  const doc = readFileSync(`${root}docs/declines.md`, 'utf8');
  for (const entry of responseCodeTable.entries) assert.match(doc, new RegExp(`^\\| ${entry.code} \\|`, 'm'), entry.code);
});

test('docs/declines.md lists every QR provider code with its trade state', () => {
  const doc = readFileSync(`${root}docs/declines.md`, 'utf8');
  const entries = Object.values(qrTables).flatMap((table) => table?.entries ?? []);
  assert.ok(entries.length > 100, 'both providers\' catalogues are loaded');
  for (const entry of entries) assert.ok(doc.includes(`| ${entry.code} | ${entry.meaningZh}<br>`), entry.code);
});

test('the renderer reflects an edit, so the drift check can fail', () => {
  const edited = { ...responseCodeTable, entries: responseCodeTable.entries.slice(1) };
  assert.notEqual(renderDeclinesDoc(edited), renderDeclinesDoc());
});
