// Goal: DE 62 carries the working keys so that a terminal holding the TMK gets exactly those keys
// back and notices a wrong TMK or a damaged block. Method: encode, decode, and flip bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWorkingKeyBlock, encodeWorkingKeyBlock, keySetOf } from '../../../src/core/crypto/working-key-block.ts';
import { checkBytes } from '../../../src/core/crypto/key-check-value.ts';
import { decryptEcb } from '../../../src/core/crypto/block-cipher.ts';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const tmk = hex('70F2A84CCBC2AE8625CBB0F2C22AB923');
const keys = { pin: hex('1C2D3E4F5A6B7C8D9EAFB0C1D2E3F405'), mac: hex('C24A8FB57AA20123C24A8FB57AA20123'), data: hex('0123456789ABCDEFFEDCBA9876543210') };

for (const algorithm of ['3des', 'sm4'] as const) {
  test(`${algorithm}: the 003 block is PIK(16) CV(4) MAK(16) CV(4) and round-trips`, () => {
    const block = encodeWorkingKeyBlock(algorithm, tmk, '003', { ...keys, data: null });
    assert.equal(block.length, 40);
    assert.deepEqual(decryptEcb(algorithm, tmk, block.subarray(0, 16)), keys.pin);
    assert.deepEqual(block.subarray(16, 20), checkBytes(algorithm, keys.pin, 4));
    assert.deepEqual(decryptEcb(algorithm, tmk, block.subarray(20, 36)), keys.mac);
    assert.deepEqual(block.subarray(36, 40), checkBytes(algorithm, keys.mac, 4));
    const decoded = decodeWorkingKeyBlock(algorithm, tmk, '003', block);
    assert.deepEqual(decoded, { ok: true, keys: { pin: keys.pin, mac: keys.mac, data: null } });
    assert.ok(!block.includes(keys.pin) && !block.includes(keys.mac), 'no clear key in DE 62');
  });

  test(`${algorithm}: the 004 block adds the data key; a wrong TMK or damaged block is caught`, () => {
    const block = encodeWorkingKeyBlock(algorithm, tmk, '004', keys);
    assert.equal(block.length, 60);
    assert.deepEqual(decodeWorkingKeyBlock(algorithm, tmk, '004', block), { ok: true, keys });
    const otherTmk = Buffer.from(tmk);
    otherTmk[0] = (otherTmk[0] as number) ^ 0x10;
    assert.deepEqual(decodeWorkingKeyBlock(algorithm, otherTmk, '004', block), { ok: false, reason: 'check_value', key: 'pin' });
    const damaged = Buffer.from(block);
    damaged[45] = (damaged[45] as number) ^ 1;
    assert.deepEqual(decodeWorkingKeyBlock(algorithm, tmk, '004', damaged), { ok: false, reason: 'check_value', key: 'data' });
    assert.deepEqual(decodeWorkingKeyBlock(algorithm, tmk, '003', block), { ok: false, reason: 'length' });
  });
}

test('key set: 004 asks for a data key; 001 and 003 get double-length keys without one', () => {
  assert.equal(keySetOf('004'), '004');
  assert.equal(keySetOf('003'), '003');
  assert.equal(keySetOf('001'), '003');
});
