// Key components: a key entered by two or three custodians, each holding one component, is the XOR
// of the components, so no single custodian ever knows the key. Triple DES keys are then given odd
// parity (the low bit of each byte), as HSMs expect; parity does not change what the key encrypts.
import { keyBytesOf, xorBytes, type KeyAlgorithm } from './block-cipher.ts';

export const keyComponentsMin = 2;
export const keyComponentsMax = 3;

/** XOR of 2-3 components of the algorithm's key length; throws RangeError on a count or length that cannot be. */
export function combineKeyComponents(algorithm: KeyAlgorithm, components: readonly Uint8Array[]): Buffer {
  if (components.length < keyComponentsMin || components.length > keyComponentsMax) {
    throw new RangeError(`a key is entered as ${keyComponentsMin} to ${keyComponentsMax} components, not ${components.length}`);
  }
  const keyBytes = keyBytesOf(algorithm);
  let key: Buffer = Buffer.alloc(keyBytes);
  for (const component of components) {
    if (component.length !== keyBytes) throw new RangeError(`each component is ${keyBytes} bytes, not ${component.length}`);
    key = xorBytes(key, component);
  }
  return algorithm === '3des' ? withOddParity(key) : key;
}

/** The same DES key bytes with each byte's low bit set so the byte has an odd number of ones. */
export function withOddParity(key: Uint8Array): Buffer {
  const out = Buffer.from(key);
  for (let index = 0; index < out.length; index += 1) {
    const high = (out[index] as number) & 0xfe;
    let ones = 0;
    for (let bit = 1; bit < 8; bit += 1) ones += (high >> bit) & 1;
    out[index] = high | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}
