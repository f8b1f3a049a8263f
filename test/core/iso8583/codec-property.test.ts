// Goal: unpack(pack(m)) equals m for every valid message in both built-in dialects, the JSON form is
// an exact inverse, and the masked description never holds the PAN. Method: fast-check over
// messages generated from the dialect documents themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeMessage, getDialect, messageFromJson, packMessage, unpackMessage } from '../../../src/core/iso8583/index.ts';
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
