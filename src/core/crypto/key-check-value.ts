// Key check values: the key encrypts a block of zeros and the first bytes of the result are shown.
// Operators compare them when they enter components or read a key back; they never reveal the key.
import { blockBytesOf, encryptEcb, type KeyAlgorithm } from './block-cipher.ts';

/**
 * The check value operators see: 3 bytes (6 hex digits) for triple DES, as payShield and most HSMs
 * print it, and 4 bytes (8 hex digits) for SM4, the usual length for SM4 keys. Uppercase hex.
 */
export function keyCheckValue(algorithm: KeyAlgorithm, key: Uint8Array): string {
  const bytes = algorithm === '3des' ? 3 : 4;
  return checkBytes(algorithm, key, bytes).toString('hex').toUpperCase();
}

/** The first `bytes` bytes of E_key(zeros): what CUPS DE 62 carries after each key (4 bytes). */
export function checkBytes(algorithm: KeyAlgorithm, key: Uint8Array, bytes: number): Buffer {
  const zeros = Buffer.alloc(blockBytesOf(algorithm));
  return encryptEcb(algorithm, key, zeros).subarray(0, bytes);
}
