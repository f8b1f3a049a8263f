// Goal: the request hash stored with every idempotency key never changes for the same request: a resend
// after an upgrade must still match its original. Method: a fixed object with nested members, arrays,
// undefined members and keys that sort differently by code unit than by locale, against its canonical
// text and hash as the first version computed them; and key order must not matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, requestHashOf } from '../../../src/core/payments/request-hash.ts';

const request = { mti: '0200', card: 'ab12', amountMinor: '000000000100', nested: { z: 1, a: [3, undefined, { y: null, x: 'é' }], skip: undefined }, B: true, é: 2, a: 'x"y' };

test('canonical text and hash of a fixed request are what they always were', () => {
  assert.equal(canonicalJson(request), '{"B":true,"a":"x\\"y","amountMinor":"000000000100","card":"ab12","mti":"0200","nested":{"a":[3,null,{"x":"é","y":null}],"z":1},"é":2}');
  assert.equal(requestHashOf(request), '6ecef5594d175e28d505d4963c2e13dc340fbbbf09ad1be5aed2545ed6614c65');
});

test('the order of the keys does not matter, and undefined members are as absent', () => {
  const reordered = { a: 'x"y', é: 2, B: true, nested: { skip: undefined, a: [3, undefined, { x: 'é', y: null }], z: 1 }, amountMinor: '000000000100', card: 'ab12', mti: '0200', gone: undefined };
  assert.equal(requestHashOf(reordered), requestHashOf(request));
  assert.equal(canonicalJson({}), '{}');
  assert.equal(canonicalJson({ only: undefined }), '{}');
  assert.equal(canonicalJson('text'), '"text"');
  assert.equal(canonicalJson(undefined), 'null');
});
