// Goal: a PAN never prints in clear. Method: table tests of masking and fingerprinting, and every printed form of CardNumber.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CardNumber, fingerprintPan, maskPan, maskPansInText } from '../../../src/core/cards/pan.ts';

test('maskPan keeps at most the first 6 and last 4 digits and hides at least 6', () => {
  const rows: Array<[string, string]> = [
    ['6222020000000000018', '622202*********0018'],
    ['4111111111111111', '411111******1111'],
    ['378282246310005', '37828******0005'],
    ['4222222222222', '422******2222'],
    ['621700123456', '62******3456'],
    ['1234567890', '******7890'],
    ['123456789', '*********'],
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

test('maskPansInText masks 12-digit PANs and grouped PANs, and hides at least 6 digits of each', () => {
  const rows: Array<[string, string]> = [
    ['card 621700123451 declined', 'card 62******3451 declined'],
    ['card 4111 1111 1111 1111 ok', 'card 411111******1111 ok'],
    ['card 4111-1111-1111-1111', 'card 411111******1111'],
    ['rrn 123456789012 stays', 'rrn 123456789012 stays'],
    ['plain 1234567890123 is masked Luhn or not', 'plain 123******0123 is masked Luhn or not'],
  ];
  for (const [text, masked] of rows) assert.equal(maskPansInText(text), masked, text);
});
