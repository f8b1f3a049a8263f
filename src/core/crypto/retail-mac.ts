// MACs for the iso87-ascii terminal link:
//
// - ANSI X9.19 retail MAC (ISO/IEC 9797-1 MAC algorithm 3, padding method 1) with a double-length
//   key K||K': zero-pad to 8-byte blocks, CBC-encrypt with single DES under K (IV zero), then
//   decrypt the last block under K' and encrypt it under K again. The MAC is all 8 bytes.
//   Single DES is run as des-ede-ecb under K||K (see block-cipher.ts).
// - The SM4 variant: CBC-MAC with SM4 (GB/T 15852.1 MAC algorithm 1, padding method 1: zero-pad to
//   16-byte blocks, IV zero), truncated to its first 8 bytes so it fits DE 64/128. SM4 keys are
//   already 128 bits, so there is no retail (two-key) output step.
import { blockBytesOf, decryptEcb, encryptEcb, xorBytes, type KeyAlgorithm } from './block-cipher.ts';

function zeroPadded(data: Uint8Array, blockBytes: number): Buffer {
  const length = Math.max(blockBytes, Math.ceil(data.length / blockBytes) * blockBytes);
  const padded = Buffer.alloc(length);
  padded.set(data);
  return padded;
}

function cbcMacLastBlock(algorithm: KeyAlgorithm, key: Uint8Array, data: Uint8Array): Buffer {
  const blockBytes = blockBytesOf(algorithm);
  const padded = zeroPadded(data, blockBytes);
  let chain: Buffer = Buffer.alloc(blockBytes);
  for (let offset = 0; offset < padded.length; offset += blockBytes) {
    chain = encryptEcb(algorithm, key, xorBytes(chain, padded.subarray(offset, offset + blockBytes)));
  }
  return chain;
}

/** ANSI X9.19 retail MAC under a 16-byte key K||K'; 8 bytes. */
export function ansiX919Mac(macKey: Uint8Array, data: Uint8Array): Buffer {
  if (macKey.length !== 16) throw new RangeError(`an X9.19 key is 16 bytes (K||K'), not ${macKey.length}`);
  const left = macKey.subarray(0, 8);
  const right = macKey.subarray(8, 16);
  const last = cbcMacLastBlock('3des', left, data);
  return encryptEcb('3des', left, decryptEcb('3des', right, last));
}

/** SM4 CBC-MAC (GB/T 15852.1 algorithm 1, padding 1), first 8 bytes. */
export function sm4CbcMac(macKey: Uint8Array, data: Uint8Array): Buffer {
  return cbcMacLastBlock('sm4', macKey, data).subarray(0, 8);
}

/** The iso87-ascii terminal MAC for a key algorithm: X9.19 for triple DES, SM4 CBC-MAC for SM4. */
export function retailMac(algorithm: KeyAlgorithm, macKey: Uint8Array, data: Uint8Array): Buffer {
  switch (algorithm) {
    case '3des':
      return ansiX919Mac(macKey, data);
    case 'sm4':
      return sm4CbcMac(macKey, data);
  }
}
