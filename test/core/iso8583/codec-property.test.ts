// Goal: unpack(pack(m)) equals m for every valid message in both built-in dialects, the JSON form is
// an exact inverse, and the masked description never holds the PAN. Method: fast-check over
// messages generated from the dialect documents themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileDialect, describeMessage, getDialect, messageFromJson, packMessage, unpackMessage } from '../../../src/core/iso8583/index.ts';
import type { DialectDocument } from '../../../src/core/iso8583/dialect-document.ts';
import iso87Ascii from '../../../src/core/iso8583/dialects/iso87-ascii.json' with { type: 'json' };
import cupsPos from '../../../src/core/iso8583/dialects/cups-pos.json' with { type: 'json' };
import { arbitraryMessage } from './message-arbitrary.ts';

const dialects: Array<[string, DialectDocument]> = [
  ['iso87-ascii', iso87Ascii as unknown as DialectDocument],
  ['cups-pos', cupsPos as unknown as DialectDocument],
];

for (const [name, document] of dialects) {
  test(`${name}: unpack(pack(m)) equals m`, () => {
    const dialect = getDialect(name);
    fc.assert(
      fc.property(arbitraryMessage(document), (message) => {
        assert.deepStrictEqual(unpackMessage(dialect, packMessage(dialect, message)), message);
      }),
      { numRuns: 1000 },
    );
  });

  test(`${name}: messageFromJson inverts describeMessage with reveal`, () => {
    const dialect = getDialect(name);
    fc.assert(
      fc.property(arbitraryMessage(document), (message) => {
        const json = JSON.parse(JSON.stringify(describeMessage(message, { reveal: true })));
        assert.deepStrictEqual(packMessage(dialect, messageFromJson(dialect, json)), packMessage(dialect, message));
      }),
      { numRuns: 300 },
    );
  });
}

test('the masked description never contains the PAN, from DE 2, DE 35 or the EMV tags', () => {
  const pan = fc.integer({ min: 13, max: 19 }).chain((length) => fc.array(fc.constantFrom(...'0123456789'), { minLength: length, maxLength: length }).map((list) => list.join('')));
  fc.assert(
    fc.property(pan, arbitraryMessage(iso87Ascii as unknown as DialectDocument), (digits, message) => {
      message.fields[2] = digits;
      message.fields[35] = `${digits}=2912201`;
      message.fields[55] = { '5A': Buffer.from(digits.padEnd(digits.length + (digits.length % 2), 'F'), 'hex').toString('hex').toUpperCase(), '57': `${digits}D2912`.padEnd(26, 'F') };
      message.fields[63] = `card ${digits} declined`;
      const text = JSON.stringify(describeMessage(message));
      assert.ok(!text.includes(digits), text);
    }),
    { numRuns: 300 },
  );
});

/** Every encoding, length kind, prefix and padding at least once, with hex bitmaps, a BCD MTI and an ASCII header. */
const kitchenSink = {
  name: 'kitchen-sink',
  messageBytesMax: 8192,
  mti: { encoding: 'bcd' },
  bitmap: { encoding: 'hex', secondary: true },
  tpdu: { length: 3 },
  header: { encoding: 'ascii', length: 4 },
  fields: {
    2: { name: 'n LL binary prefix', type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 19, prefix: 'binary' },
    3: { name: 'n fixed bcd-right odd', type: 'n', encoding: 'bcd-right', lengthKind: 'fixed', length: 5 },
    4: { name: 'n fixed bcd-left odd, no padding', type: 'n', encoding: 'bcd-left', lengthKind: 'fixed', length: 7, padding: 'none' },
    5: { name: 'z LLL bcd-left', type: 'z', encoding: 'bcd-left', lengthKind: 'LLL', max: 104, prefix: 'bcd' },
    6: { name: 'z LL ascii', type: 'z', encoding: 'ascii', lengthKind: 'LL', max: 37, prefix: 'ascii' },
    7: { name: 'an fixed gbk', type: 'an', encoding: 'gbk', lengthKind: 'fixed', length: 10 },
    8: { name: 'ans LLLL utf8', type: 'ans', encoding: 'utf8', lengthKind: 'LLLL', max: 2000, prefix: 'ascii' },
    9: { name: 'ans LLL utf8 binary prefix', type: 'ans', encoding: 'utf8', lengthKind: 'LLL', max: 300, prefix: 'binary' },
    10: { name: 'b fixed hex', type: 'b', encoding: 'hex', lengthKind: 'fixed', length: 4 },
    11: { name: 'b LL hex bcd prefix', type: 'b', encoding: 'hex', lengthKind: 'LL', max: 40, prefix: 'bcd' },
    12: { name: 'b LLLL binary', type: 'b', encoding: 'binary', lengthKind: 'LLLL', max: 3000, prefix: 'binary' },
    13: { name: 'TLV hex', type: 'b', encoding: 'hex', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } },
    14: { name: 'positional fixed', type: 'n', encoding: 'bcd-right', lengthKind: 'fixed', length: 9, composite: { kind: 'positional', subfields: [{ id: 'a', name: 'a', type: 'n', length: 3 }, { id: 'b', name: 'b', type: 'n', length: 6 }] } },
    15: { name: 'positional with rest', type: 'ans', encoding: 'gbk', lengthKind: 'LLL', max: 120, prefix: 'bcd', composite: { kind: 'positional', subfields: [{ id: '1', name: 'org', type: 'an', length: 3 }, { id: '2', name: 'text', type: 'ans' }] } },
    99: { name: 'an fixed ascii in the secondary bitmap', type: 'an', encoding: 'ascii', lengthKind: 'fixed', length: 5 },
    128: { name: 'b fixed binary last', type: 'b', encoding: 'binary', lengthKind: 'fixed', length: 8 },
  },
};

test('kitchen-sink dialect (every encoding, prefix and composite): unpack(pack(m)) equals m', () => {
  const dialect = compileDialect(kitchenSink, 'kitchen-sink');
  fc.assert(
    fc.property(arbitraryMessage(kitchenSink as unknown as DialectDocument), (message) => {
      assert.deepStrictEqual(unpackMessage(dialect, packMessage(dialect, message)), message);
    }),
    { numRuns: 1000 },
  );
});
