// Goal: realistic messages of every kind (0100/0110, 0200/0210, 0400/0410, 0800/0810, a CUPS
// sign-on with DE 62 keys, DE 55 TLV) pack to their golden bytes and read back unchanged, and their
// masked form hides the card data. Method: every corpus file, both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMessage, getDialect, messageFromJson, packMessage, unpackMessage } from '../../../src/core/iso8583/index.ts';
import { loadCorpus } from './corpus-messages.ts';

const corpus = loadCorpus();

test('the corpus covers the message kinds the gateway speaks', () => {
  const kinds = new Set(corpus.map((entry) => `${entry.dialect}:${String(entry.message.mti)}`));
  for (const kind of ['iso87-ascii:0100', 'iso87-ascii:0110', 'iso87-ascii:0200', 'iso87-ascii:0210', 'iso87-ascii:0400', 'iso87-ascii:0410', 'iso87-ascii:0800', 'iso87-ascii:0810', 'cups-pos:0800', 'cups-pos:0810', 'cups-pos:0200', 'cups-pos:0210', 'cups-pos:0400']) {
    assert.ok(kinds.has(kind), kind);
  }
  assert.ok(corpus.some((entry) => entry.message['55'] !== undefined));
  assert.ok(corpus.some((entry) => entry.dialect === 'cups-pos' && entry.message['62'] !== undefined));
});

for (const entry of corpus) {
  test(`${entry.file}: packs to the golden bytes and unpacks to the message`, () => {
    const dialect = getDialect(entry.dialect);
    const packed = packMessage(dialect, messageFromJson(dialect, entry.message));
    assert.equal(packed.toString('hex').toUpperCase(), entry.hex);
    const unpacked = unpackMessage(dialect, Buffer.from(entry.hex, 'hex'));
    assert.deepEqual(JSON.parse(JSON.stringify(describeMessage(unpacked, { reveal: true }))), entry.message);
    const masked = JSON.stringify(describeMessage(unpacked));
    const pan = entry.message['2'];
    if (typeof pan === 'string') assert.ok(!masked.includes(pan), 'PAN in masked output');
    if (entry.message['52'] !== undefined) assert.ok(!masked.includes(String(entry.message['52'])), 'PIN block in masked output');
    const emv = entry.message['55'] as Record<string, string> | undefined;
    if (emv?.['9F26'] !== undefined) assert.ok(!masked.includes(emv['9F26']), 'cryptogram in masked output');
  });
}
