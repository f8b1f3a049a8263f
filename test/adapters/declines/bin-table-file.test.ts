// Goal: the BIN table file loader reads a valid file, falls back to the shipped table, and names the file and path on bad input. Method: temporary files in os.tmpdir(), removed after each test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinTable } from '../../../src/adapters/declines/bin-table-file.ts';
import { defaultBinTable, lookupCard } from '../../../src/core/declines/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-bins-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no file configured: the shipped table', () => {
  assert.equal(loadBinTable(undefined), defaultBinTable);
  assert.equal(loadBinTable(''), defaultBinTable);
});

test('a valid file is loaded and used', () => {
  withDir((dir) => {
    const file = join(dir, 'bins.json');
    writeFileSync(file, JSON.stringify({ edition: 'x', entries: [{ prefix: '62848000', brand: 'unionpay', type: 'prepaid', issuer: 'Test Bank' }] }));
    const table = loadBinTable(file);
    assert.equal(lookupCard('6284800000000000', table).type, 'prepaid');
  });
});

test('missing, non-JSON and invalid files are refused with codes naming the file and path', () => {
  withDir((dir) => {
    assert.throws(() => loadBinTable(join(dir, 'none.json')), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_BIN_TABLE_UNREADABLE') && /ENOENT/.test(e.message));
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{ not json');
    assert.throws(() => loadBinTable(junk), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_BIN_TABLE_UNREADABLE') && /not valid JSON/.test(e.message));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ edition: 'x', entries: [{ prefix: '622202', brand: 'visa', type: 'debit', issuer: 'x' }] }));
    assert.throws(() => loadBinTable(bad), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_DATA_INVALID') && e.field === '$.entries[0].brand' && e.message.includes(bad));
  });
});
