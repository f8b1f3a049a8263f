// Goal: dialect files load from disk and bad ones fail with the path of the bad entry. Method: write
// temporary files under os.tmpdir(), load them, and remove them afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDialect } from '../../../src/adapters/iso8583/load-dialect-file.ts';
import { packMessage, unpackMessage } from '../../../src/core/iso8583/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

test('a JSON dialect file loads, packs and unpacks; a broken one names the bad entry', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-dialect-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'tiny.json');
  writeFileSync(good, JSON.stringify({
    name: 'tiny', messageBytesMax: 256, mti: { encoding: 'ascii' }, bitmap: { encoding: 'hex', secondary: false },
    fields: { 11: { name: 'STAN', type: 'n', encoding: 'ascii', lengthKind: 'fixed', length: 6 } },
  }));
  const dialect = loadDialect(good);
  assert.equal(dialect.name, 'tiny');
  const packed = packMessage(dialect, { mti: '0800', fields: { 11: '000001' } });
  assert.equal(packed.toString('latin1'), '08000020000000000000000001');
  assert.deepEqual(unpackMessage(dialect, packed), { mti: '0800', fields: { 11: '000001' } });

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({
    name: 'bad', messageBytesMax: 256, mti: { encoding: 'ascii' }, bitmap: { encoding: 'hex', secondary: false },
    fields: { 55: { name: 'ICC', type: 'b', encoding: 'binary', lengthKind: 'VAR', max: 255, prefix: 'ascii' } },
  }));
  assert.throws(() => loadDialect(bad), (error: unknown) => isReswipeError(error, 'RSW_CODEC_BAD_DIALECT') && error.field === 'fields.55.lengthKind');
  assert.throws(() => loadDialect(join(dir, 'absent.json')), (error: unknown) => isReswipeError(error, 'RSW_CODEC_UNKNOWN_DIALECT'));
  assert.throws(() => loadDialect(dir), (error: unknown) => isReswipeError(error, 'RSW_CODEC_UNKNOWN_DIALECT'));
});
