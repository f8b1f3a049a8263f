// Goal: packed messages are independent buffers even though pack writes them into a shared slab.
// Method: pack many messages of different sizes (crossing several slabs) and failing ones in
// between, then check every earlier result still holds its own bytes and reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDialect, getDialect, packMessage, unpackMessage, type IsoMessage } from '../../../src/core/iso8583/index.ts';

const dialect = getDialect('iso87-ascii');

function messageOf(index: number): IsoMessage {
  // DE 63 (LLL, up to 999 bytes) makes the sizes vary, so slab boundaries fall anywhere.
  return { mti: '0210', fields: { 11: String(index % 1_000_000).padStart(6, '0'), 39: '00', 63: 'x'.repeat((index * 37) % 999) } };
}

test('earlier packed messages keep their bytes while later ones fill and replace the slab', () => {
  const packed: Buffer[] = [];
  const copies: Buffer[] = [];
  const count = 400; // about 200 kB in all: several 64 kB slabs
  for (let index = 0; index < count; index += 1) {
    const bytes = packMessage(dialect, messageOf(index));
    packed.push(bytes);
    copies.push(Buffer.from(bytes));
    // A failing pack in between writes into the slab and must not disturb anything handed out.
    assert.throws(() => packMessage(dialect, { mti: '0200', fields: { 11: '000001', 63: 'y'.repeat(500), 4: 'not digits' } }));
  }
  for (let index = 0; index < count; index += 1) {
    assert.ok((packed[index] as Buffer).equals(copies[index] as Buffer), `message ${index} changed after later packs`);
    assert.deepEqual(unpackMessage(dialect, packed[index] as Buffer), messageOf(index));
  }
});

test('a packed message is a Buffer of exactly its own length, and writing to it touches no other message', () => {
  const first = packMessage(dialect, messageOf(1));
  const second = packMessage(dialect, messageOf(2));
  const secondCopy = Buffer.from(second);
  assert.ok(Buffer.isBuffer(first));
  assert.equal(first.length, Buffer.from(first).length);
  first.fill(0);
  assert.ok(second.equals(secondCopy));
});

test('a dialect whose largest message exceeds the slab still packs', () => {
  const big = compileDialect(
    { name: 'big', messageBytesMax: 65_535, mti: { encoding: 'ascii' }, bitmap: { encoding: 'binary', secondary: false }, fields: { 2: { name: 'x', type: 'ans', encoding: 'ascii', lengthKind: 'LLLL', max: 9999, prefix: 'ascii' } } },
    'big',
  );
  const earlier: Buffer[] = [];
  for (let index = 0; index < 20; index += 1) {
    const bytes = packMessage(big, { mti: '0200', fields: { 2: String(index).repeat(9999 / String(index).length | 0) } });
    earlier.push(bytes);
  }
  earlier.forEach((bytes, index) => {
    const text = String(index).repeat(9999 / String(index).length | 0);
    assert.equal(bytes.length, 4 + 8 + 4 + text.length);
    assert.deepEqual(unpackMessage(big, bytes).fields, { 2: text });
  });
});
