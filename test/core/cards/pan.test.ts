// Goal: a PAN never prints in clear. Method: table tests of masking and fingerprinting, and every printed form of CardNumber.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CardNumber, fingerprintPan, maskPan, maskPansInText } from '../../../src/core/cards/pan.ts';

test('maskPan keeps the first 6 and last 4 digits', () => {
  const rows: Array<[string, string]> = [
    ['6222020000000000018', '622202*********0018'],
    ['4111111111111111', '411111******1111'],
    ['378282246310005', '378282*****0005'],
    ['1234567890', '**********'],
  ];
  for (const [pan, masked] of rows) assert.equal(maskPan(pan), masked, pan);
});

test('fingerprintPan is keyed: same key same print, other key other print, never the PAN', () => {
  const pan = '6222020000000000018';
  assert.equal(fingerprintPan(pan, 'k1'), fingerprintPan(pan, 'k1'));
  assert.notEqual(fingerprintPan(pan, 'k1'), fingerprintPan(pan, 'k2'));
  assert.match(fingerprintPan(pan, 'k1'), /^[0-9a-f]{64}$/);
  assert.throws(() => fingerprintPan(pan, ''));
});

test('CardNumber prints masked everywhere and reveals only on request', () => {
  const card = new CardNumber('6222020000000000018');
  const printed = [String(card), `${card}`, JSON.stringify({ card }), inspect(card), inspect({ card })];
  for (const text of printed) assert.ok(!text.includes('6222020000000000018'), text);
  assert.equal(card.reveal(), '6222020000000000018');
  assert.equal(card.last4, '0018');
});

test('maskPansInText masks digit runs of PAN length only', () => {
  assert.equal(maskPansInText('pan=4111111111111111 stan=000123 amount=000000012345'), 'pan=411111******1111 stan=000123 amount=000000012345');
});
