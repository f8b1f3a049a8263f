// The CUPS POS MAC ("POS终端MAC算法", the ECB algorithm of the China UnionPay POS terminal
// specification), as CUPS terminals compute it over the MAC element block (MAB):
//
//   1. Split the MAB into blocks of the cipher's size, the last one padded with 0x00; an empty MAB is one zero block.
//   2. XOR all blocks together into one result block.
//   3. Write the result block as uppercase hex ASCII (twice its length).
//   4. Encrypt the first half of that text under the MAC key.
//   5. XOR the ciphertext with the second half of the text.
//   6. Encrypt the XOR under the MAC key again.
//   7. Write that as uppercase hex ASCII; its first 8 characters (8 bytes) are the MAC.
//
// With triple DES the blocks are 8 bytes and the hex text 16; a single-length MAC key (8 bytes)
// is single DES. The SM4 variant used by SM4 terminals is the same procedure with 16-byte blocks
// (32 hex characters, halves of 16), and the MAC is again the first 8 hex characters, so DE 64
// keeps its 8 bytes. docs/terminal-keys.md has the worked example the tests replay.
import { blockBytesOf, encryptEcb, xorBytes, type KeyAlgorithm } from './block-cipher.ts';

export function cupsPosMac(algorithm: KeyAlgorithm, macKey: Uint8Array, mab: Uint8Array): Buffer {
  const blockBytes = blockBytesOf(algorithm);
  const result = Buffer.alloc(blockBytes);
  for (let index = 0; index < mab.length; index += 1) result[index % blockBytes] = (result[index % blockBytes] as number) ^ (mab[index] as number);
  const text = Buffer.from(result.toString('hex').toUpperCase(), 'ascii');
  const first = encryptEcb(algorithm, macKey, text.subarray(0, blockBytes));
  const second = encryptEcb(algorithm, macKey, xorBytes(first, text.subarray(blockBytes)));
  return Buffer.from(second.toString('hex').toUpperCase().slice(0, 8), 'ascii');
}
