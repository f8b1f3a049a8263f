// Goal: MTI arithmetic and the request/response match key agree with host-link.md. Method: table tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getText, isResponseMti, responseMtiFor, responseTpduFor, upstreamMatchKey, type IsoMessage } from '../../../src/core/iso8583/index.ts';

test('responseMtiFor maps each request to its response', () => {
  const rows: Array<[string, string | undefined]> = [
    ['0200', '0210'], ['0400', '0410'], ['0401', '0410'], ['0800', '0810'], ['0100', '0110'],
    ['0220', '0230'], ['0221', '0230'], ['0500', '0510'], ['0320', '0330'], ['0420', '0430'],
    ['0210', undefined], ['02A0', undefined], ['200', undefined],
  ];
  for (const [mti, expected] of rows) assert.equal(responseMtiFor(mti), expected, mti);
});

test('isResponseMti', () => {
  for (const mti of ['0110', '0210', '0230', '0410', '0810']) assert.equal(isResponseMti(mti), true, mti);
  for (const mti of ['0100', '0200', '0401', '0800', 'abcd', '']) assert.equal(isResponseMti(mti), false, mti);
});

test('a request and its response share the match key; 0800 ignores DE 41', () => {
  const base = { 7: '1125101500', 11: '000123', 41: 'TERM0001' };
  const key = (mti: string, fields: Record<number, string>) => upstreamMatchKey({ mti, fields });
  assert.equal(key('0200', base), key('0210', base));
  assert.equal(key('0400', base), key('0410', base));
  assert.equal(key('0401', base), key('0410', base));
  assert.notEqual(key('0200', base), key('0400', base));
  assert.notEqual(key('0200', base), key('0210', { ...base, 11: '000124' }));
  assert.equal(key('0800', base), key('0810', { ...base, 41: 'OTHER' }));
  assert.equal(key('0200', base), '020x:000123:TERM0001:1125101500');
});

test('getText returns text fields only', () => {
  const message: IsoMessage = { mti: '0210', fields: { 39: '00', 52: Buffer.alloc(8), 55: { '9A': '261125' } } };
  assert.equal(getText(message, 39), '00');
  assert.equal(getText(message, 52), undefined);
  assert.equal(getText(message, 55), undefined);
  assert.equal(getText(message, 38), undefined);
});

test('responseTpduFor swaps destination and originator', () => {
  assert.equal(Buffer.from(responseTpduFor(Buffer.from('6000030001', 'hex'))).toString('hex'), '6000010003');
});
