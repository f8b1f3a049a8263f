// Goal: the software HSM translates PIN blocks between terminal PIN keys and zone PIN keys (3DES and
// SM4, either way) without ever showing a clear block. Method: PIN blocks from the published format 0
// example encrypted by an independent implementation (the openssl command line), translated, and
// decrypted again; wrong keys, unknown keys and the key source; every error message scanned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SoftwareHsm } from '../../../src/adapters/hsm/software-hsm.ts';
import { decryptEcb, encryptEcb } from '../../../src/core/crypto/block-cipher.ts';
import { keyCheckValue } from '../../../src/core/crypto/key-check-value.ts';
import { accountNumber12Of, formatPinBlock } from '../../../src/core/crypto/pin-block.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { terminalPinKeyRef, type HsmKey } from '../../../src/core/ports/hsm.ts';

const pan = '43219876543210987';
const account = accountNumber12Of(pan);
const clear8 = Buffer.from('0412AC89ABCDEF67', 'hex'); // ISO 9564 format 0 worked example, PIN 1234
const terminalTdes: HsmKey = { algorithm: '3des', key: Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex') };
const zoneTdes: HsmKey = { algorithm: '3des', key: Buffer.from('89ABCDEF01234567FEDCBA9876543210', 'hex') };
const terminalSm4: HsmKey = { algorithm: 'sm4', key: Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex') };
const zoneSm4: HsmKey = { algorithm: 'sm4', key: Buffer.from('1032547698BADCFEEFCDAB8967452301', 'hex') };
const terminalRef = terminalPinKeyRef('T0000001');

/** Encryption by the openssl command line, independent of src/core/crypto. */
function opensslEncrypt(key: HsmKey, data: Buffer): Buffer {
  const cipher = key.algorithm === '3des' ? '-des-ede' : '-sm4-ecb';
  return execFileSync('openssl', ['enc', cipher, '-e', '-nopad', '-K', Buffer.from(key.key).toString('hex')], { input: data });
}

function hsmWith(terminal: HsmKey, zone: HsmKey): SoftwareHsm {
  const hsm = new SoftwareHsm();
  hsm.importKey(terminalRef, terminal);
  hsm.importKey('zpk/bank-a', zone);
  return hsm;
}

function translate(hsm: SoftwareHsm, pinBlock: Uint8Array, accountNumber12 = account): Promise<Uint8Array> {
  return hsm.translatePin({ pinBlock, accountNumber12, source: { keyRef: terminalRef, format: 'iso-0' }, destination: { keyRef: 'zpk/bank-a', format: 'iso-0' } });
}

const pairs: Array<[name: string, terminal: HsmKey, zone: HsmKey]> = [
  ['3DES terminal key to 3DES zone key', terminalTdes, zoneTdes],
  ['SM4 terminal key to SM4 zone key', terminalSm4, zoneSm4],
  ['3DES terminal key to SM4 zone key', terminalTdes, zoneSm4],
  ['SM4 terminal key to 3DES zone key', terminalSm4, zoneTdes],
];

for (const [name, terminal, zone] of pairs) {
  test(`${name}: the bank decrypts the same PIN, bound to the same account`, async () => {
    const terminalBlockBytes = terminal.algorithm === '3des' ? 8 : 16;
    const zoneBlockBytes = zone.algorithm === '3des' ? 8 : 16;
    const fromTerminal = opensslEncrypt(terminal, formatPinBlock('1234', account, terminalBlockBytes));
    const translated = Buffer.from(await translate(hsmWith(terminal, zone), fromTerminal));
    assert.equal(translated.length, zoneBlockBytes);
    assert.deepEqual(translated, opensslEncrypt(zone, formatPinBlock('1234', account, zoneBlockBytes)), 'what openssl makes of the same PIN under the zone key');
    if (zoneBlockBytes === 8) assert.deepEqual(decryptEcb(zone.algorithm, zone.key, translated), clear8);
    assert.notDeepEqual(translated, fromTerminal);
  });
}

test('round trip: translated to the zone key and back gives the terminal block again', async () => {
  const hsm = hsmWith(terminalTdes, zoneTdes);
  hsm.importKey('back', terminalTdes);
  const fromTerminal = encryptEcb('3des', terminalTdes.key, clear8);
  const atZone = await translate(hsm, fromTerminal);
  const back = await hsm.translatePin({ pinBlock: atZone, accountNumber12: account, source: { keyRef: 'zpk/bank-a', format: 'iso-0' }, destination: { keyRef: 'back', format: 'iso-0' } });
  assert.deepEqual(Buffer.from(back), fromTerminal);
});

/** Asserts the error is `code` and that neither message nor params show a block, clear or encrypted. */
function refusedWith(code: string, ...secrets: Buffer[]) {
  return (error: unknown): boolean => {
    assert.ok(isReswipeError(error), String(error));
    assert.equal(error.code, code);
    const text = JSON.stringify(error.toJSON()).toUpperCase();
    for (const secret of secrets) assert.ok(!text.includes(secret.toString('hex').toUpperCase()), 'no PIN block in the error');
    return true;
  };
}

test('a block under another PIN key is refused as invalid, and nothing is translated', async () => {
  const hsm = hsmWith(terminalTdes, zoneTdes);
  const underWrongKey = encryptEcb('3des', zoneTdes.key, clear8);
  await assert.rejects(translate(hsm, underWrongKey), refusedWith('RSW_HSM_PIN_BLOCK_INVALID', underWrongKey, clear8));
});

test('a block bound to another account is refused', async () => {
  const hsm = hsmWith(terminalTdes, zoneTdes);
  const block = encryptEcb('3des', terminalTdes.key, clear8);
  await assert.rejects(translate(hsm, block, accountNumber12Of('6222020000000000018')), refusedWith('RSW_HSM_PIN_BLOCK_INVALID', block, clear8));
});

test('a block of the wrong length for the terminal key is refused', async () => {
  const hsm = hsmWith(terminalSm4, zoneTdes);
  const block = encryptEcb('3des', terminalTdes.key, clear8);
  await assert.rejects(translate(hsm, block), refusedWith('RSW_HSM_PIN_BLOCK_INVALID', block));
});

test('an unknown key is refused by reference; a key from the key source is asked for each time and never kept', async () => {
  const asked: string[] = [];
  let current = terminalTdes;
  const hsm = new SoftwareHsm({
    keySource: async (keyRef) => {
      asked.push(keyRef);
      return keyRef === terminalRef ? current : null;
    },
  });
  const block = encryptEcb('3des', terminalTdes.key, clear8);
  await assert.rejects(translate(hsm, block), refusedWith('RSW_HSM_KEY_UNKNOWN', block));
  hsm.importKey('zpk/bank-a', zoneTdes);
  await translate(hsm, block);
  assert.deepEqual(asked, [terminalRef, 'zpk/bank-a', terminalRef], 'the zone key was unknown to the source; the terminal key was asked for again');
  // A new sign-on replaced the terminal's PIN key: the next translation uses the new one at once.
  current = terminalSm4;
  await assert.rejects(translate(hsm, block), refusedWith('RSW_HSM_PIN_BLOCK_INVALID', block));
  await translate(hsm, encryptEcb('sm4', terminalSm4.key, formatPinBlock('1234', account, 16)));
});

test('check values: held keys show theirs, unknown keys none; a forgotten key is gone', async () => {
  const hsm = hsmWith(terminalTdes, zoneSm4);
  assert.equal(await hsm.checkValueOf('zpk/bank-a'), keyCheckValue('sm4', zoneSm4.key));
  assert.equal(await hsm.checkValueOf('nothing'), null);
  hsm.forgetKey(terminalRef);
  assert.equal(await hsm.checkValueOf(terminalRef), null);
  assert.throws(() => hsm.importKey('short', { algorithm: '3des', key: Buffer.alloc(5) }), RangeError);
});

test('the key bound is kept: beyond keysMax a new key is refused', () => {
  const hsm = new SoftwareHsm({ keysMax: 1 });
  hsm.importKey('a', zoneTdes);
  hsm.importKey('a', zoneSm4);
  assert.throws(() => hsm.importKey('b', zoneTdes), (error: unknown) => isReswipeError(error, 'RSW_HSM_UNAVAILABLE'));
});
