// DE 62 of the 0810 sign-on answer: the working keys, each encrypted under the terminal master key
// (TMK) in ECB, each followed by a 4-byte check value (the first 4 bytes of the CLEAR working key
// encrypting a block of zeros), so the terminal can prove it decrypted the key correctly.
//
// Layouts (docs/terminal-keys.md), chosen by the sign-on's key-set code (cups-pos 60.3):
//   '003' double-length:       PIK(16) CV(4) | MAK(16) CV(4)                     = 40 bytes
//   '004' with a data key:     PIK(16) CV(4) | MAK(16) CV(4) | TDK(16) CV(4)     = 60 bytes
// Keys are 16 bytes for triple DES (double length) and SM4 alike. reswipe never issues single-length
// (56-bit) DES keys: a sign-on asking for '001' gets the '003' layout, and a terminal configured for
// single-length keys must be set to '003'. iso87-ascii sign-ons (DE 70 001) get '003': that dialect
// carries no track data key.
import { checkBytes } from './key-check-value.ts';
import { decryptEcb, encryptEcb, type KeyAlgorithm } from './block-cipher.ts';

export type KeySetCode = '003' | '004';

export interface WorkingKeys {
  /** PIN key (PIK / TPK). */
  pin: Buffer;
  /** MAC key (MAK / TAK). */
  mac: Buffer;
  /** Track/data key (TDK), only with key set '004'. */
  data: Buffer | null;
}

const checkValueBytes = 4;

/** Every working key is 16 bytes: double-length triple DES or SM4. */
export const workingKeyBytes = 16;

/** Whether the key set carries a data key. */
export function keySetHasDataKey(keySet: KeySetCode): boolean {
  return keySet === '004';
}

/** The DE 62 bytes for clear working keys under a clear TMK. */
export function encodeWorkingKeyBlock(algorithm: KeyAlgorithm, tmk: Uint8Array, keySet: KeySetCode, keys: WorkingKeys): Buffer {
  const keyBytes = workingKeyBytes;
  const ordered = keySetHasDataKey(keySet) ? [keys.pin, keys.mac, keys.data] : [keys.pin, keys.mac];
  const parts: Buffer[] = [];
  for (const key of ordered) {
    if (key === null || key.length !== keyBytes) throw new RangeError(`key set ${keySet} (${algorithm}) needs ${keyBytes}-byte working keys`);
    parts.push(encryptEcb(algorithm, tmk, key), checkBytes(algorithm, key, checkValueBytes));
  }
  return Buffer.concat(parts);
}

export type WorkingKeyBlockResult = { ok: true; keys: WorkingKeys } | { ok: false; reason: 'length' | 'check_value'; key?: 'pin' | 'mac' | 'data' };

/** Reads DE 62 back (the terminal's side): decrypts each key under the TMK and checks its check value. */
export function decodeWorkingKeyBlock(algorithm: KeyAlgorithm, tmk: Uint8Array, keySet: KeySetCode, block: Uint8Array): WorkingKeyBlockResult {
  const keyBytes = workingKeyBytes;
  const names = keySetHasDataKey(keySet) ? (['pin', 'mac', 'data'] as const) : (['pin', 'mac'] as const);
  if (block.length !== names.length * (keyBytes + checkValueBytes)) return { ok: false, reason: 'length' };
  const found: Partial<Record<'pin' | 'mac' | 'data', Buffer>> = {};
  let offset = 0;
  for (const name of names) {
    const key = decryptEcb(algorithm, tmk, block.subarray(offset, offset + keyBytes));
    const expected = Buffer.from(block.subarray(offset + keyBytes, offset + keyBytes + checkValueBytes));
    if (!checkBytes(algorithm, key, checkValueBytes).equals(expected)) return { ok: false, reason: 'check_value', key: name };
    found[name] = key;
    offset += keyBytes + checkValueBytes;
  }
  return { ok: true, keys: { pin: found.pin as Buffer, mac: found.mac as Buffer, data: found.data ?? null } };
}

/** cups-pos 60.3 of a sign-on to the key set it gets: '004' asks for a data key, anything else is '003'. */
export function keySetOf(networkCode: string): KeySetCode {
  return networkCode === '004' ? '004' : '003';
}
