// Random text for ids, keys and generated passwords, from the operating system's generator.
import { randomBytes } from 'node:crypto';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 text from the operating system's generator (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let text = '';
  // 248 = 4 * 62: bytes at or above it are dropped so every character is equally likely.
  for (let round = 0; round < 64 && text.length < length; round++) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      text += base62[byte % 62];
      if (text.length === length) break;
    }
  }
  if (text.length !== length) throw new Error('the random generator returned too few usable bytes');
  return text;
}
