// The two block ciphers terminals use, as pure functions over bytes: triple DES with a double-length
// (two-key, 16-byte) key and SM4 (GB/T 32907, 16-byte key and block). Both run in ECB on whole
// blocks, without padding: every caller in reswipe pads (or refuses) before it gets here.
//
// Single DES is not offered by OpenSSL 3's default provider, which is what Node's crypto uses here.
// DES with key K equals two-key triple DES with key K||K (E_K(D_K(E_K(x))) = E_K(x)), so an 8-byte key
// is run as des-ede-ecb under K||K. That covers the single-length steps of ANSI X9.19 and CUPS
// single-length working keys without the legacy provider.
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** Key algorithm of a terminal: double-length triple DES or SM4 (国密). */
export type KeyAlgorithm = '3des' | 'sm4';

export const keyAlgorithms: readonly KeyAlgorithm[] = Object.freeze(['3des', 'sm4']);

/** Block size in bytes: 8 for DES, 16 for SM4. */
export function blockBytesOf(algorithm: KeyAlgorithm): number {
  switch (algorithm) {
    case '3des':
      return 8;
    case 'sm4':
      return 16;
  }
}

/** Key length in bytes a terminal's keys have: 16 for both (double-length 3DES, SM4-128). */
export function keyBytesOf(algorithm: KeyAlgorithm): number {
  switch (algorithm) {
    case '3des':
      return 16;
    case 'sm4':
      return 16;
  }
}

function cipherNameOf(algorithm: KeyAlgorithm, key: Uint8Array): { name: string; key: Uint8Array } {
  switch (algorithm) {
    case '3des':
      if (key.length === 8) return { name: 'des-ede-ecb', key: Buffer.concat([key, key]) };
      if (key.length === 16) return { name: 'des-ede-ecb', key };
      throw new RangeError(`a triple DES key is 8 or 16 bytes, not ${key.length}`);
    case 'sm4':
      if (key.length !== 16) throw new RangeError(`an SM4 key is 16 bytes, not ${key.length}`);
      return { name: 'sm4-ecb', key };
  }
}

function run(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array, decrypt: boolean): Buffer {
  const blockBytes = blockBytesOf(algorithm);
  if (data.length === 0 || data.length % blockBytes !== 0) {
    throw new RangeError(`ECB data must be a whole number of ${blockBytes}-byte blocks, not ${data.length} bytes`);
  }
  const { name, key: cipherKey } = cipherNameOf(algorithm, key);
  const cipher = decrypt ? createDecipheriv(name, cipherKey, null) : createCipheriv(name, cipherKey, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** ECB encryption of whole blocks. A 3DES key of 8 bytes is single DES (run as K||K). */
export function encryptEcb(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array): Buffer {
  return run(algorithm, key, data, false);
}

/** ECB decryption of whole blocks. */
export function decryptEcb(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array): Buffer {
  return run(algorithm, key, data, true);
}

/** Byte-wise XOR of two equally long byte strings. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new RangeError(`XOR needs equal lengths, not ${a.length} and ${b.length}`);
  const out = Buffer.allocUnsafe(a.length);
  for (let index = 0; index < a.length; index += 1) out[index] = (a[index] as number) ^ (b[index] as number);
  return out;
}
