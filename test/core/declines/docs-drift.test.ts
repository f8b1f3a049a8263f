// Goal: docs/declines.md and docs/troubleshooting.md always match the data they are generated from. Method: render both from the loaded JSON and compare with the committed files byte for byte (run `npm run docs:declines` to fix).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDeclinesDoc, renderTroubleshootingDoc } from '../../../src/core/declines/render-docs.ts';
import { responseCodeTable } from '../../../src/core/declines/response-code-table.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('docs/declines.md is generated from the catalogue (npm run docs:declines)', () => {
  assert.equal(readFileSync(`${root}docs/declines.md`, 'utf8'), renderDeclinesDoc());
});

test('docs/troubleshooting.md is generated from symptoms.json (npm run docs:declines)', () => {
  assert.equal(readFileSync(`${root}docs/troubleshooting.md`, 'utf8'), renderTroubleshootingDoc());
});

test('docs/declines.md lists every code with its DE 44 verdict', () => {
  const doc = readFileSync(`${root}docs/declines.md`, 'utf8');
  for (const entry of responseCodeTable.entries) assert.match(doc, new RegExp(`^\\| ${entry.code} \\|`, 'm'), entry.code);
});

test('the renderer reflects an edit, so the drift check can fail', () => {
  const edited = { ...responseCodeTable, entries: responseCodeTable.entries.slice(1) };
  assert.notEqual(renderDeclinesDoc(edited), renderDeclinesDoc());
});
