// Console passwords: scrypt (node:crypto) with a random 16-byte salt per user. The stored text names
// its parameters, `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64), so they can be raised later: a login
// whose hash used weaker parameters than today's rehashes the password it just verified.
// Verifying a login against an unknown user still runs scrypt (against a fixed dummy hash), so the
// answer takes about as long whether or not the user exists.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { randomBase62 } from './random-base62.ts';

export interface ScryptParameters {
  /** CPU and memory cost, a power of two. */
  n: number;
  r: number;
  p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and some tens of milliseconds per hash: OWASP's scrypt minimum is 2^17 with r 8 at p 1 for 128 MiB; 2^15 keeps a login within a small node's memory. */
export const scryptParameters: ScryptParameters = Object.freeze({ n: 2 ** 15, r: 8, p: 1 });
const keyBytes = 32;
const saltBytes = 16;
/** Hashes with parameters above this are refused when read (a corrupt row must not cost a node its memory). */
const nMax = 2 ** 20;

/** Generated passwords: 20 base62 characters, about 119 bits. */
export const generatedPasswordChars = 20;

function derive(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

export async function hashPassword(password: string, params: ScryptParameters = scryptParameters): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, params);
  return `scrypt$${params.n}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  params: ScryptParameters;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const match = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]{1,64})\$([A-Za-z0-9+/=]{1,128})$/.exec(stored);
  if (match === null) return null;
  const [n, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (n < 2 || n > nMax || (n & (n - 1)) !== 0 || r < 1 || p < 1 || p > 16) return null;
  return { params: { n, r, p }, salt: Buffer.from(match[4] ?? '', 'base64'), key: Buffer.from(match[5] ?? '', 'base64') };
}

/** A hash of nothing anyone knows, checked when the user does not exist so the timing says nothing. */
let dummyHash: Promise<string> | null = null;

/**
 * True when the password matches the stored hash; `stored` null (no such user) still costs one scrypt.
 * `needsRehash` is true when the hash used weaker parameters than `current`.
 */
export async function verifyPassword(password: string, stored: string | null, current: ScryptParameters = scryptParameters): Promise<{ matches: boolean; needsRehash: boolean }> {
  dummyHash ??= hashPassword(randomBase62(32), current);
  const parsed = parseHash(stored ?? (await dummyHash));
  if (parsed === null) {
    await derive(password, randomBytes(saltBytes), current);
    return { matches: false, needsRehash: false };
  }
  const key = await derive(password, parsed.salt, parsed.params);
  const matches = stored !== null && key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  const needsRehash = parsed.params.n < current.n || parsed.params.r < current.r || parsed.params.p < current.p;
  return { matches, needsRehash };
}

/** A new random password for `users create` and password resets (shown once). */
export function generatePassword(): string {
  return randomBase62(generatedPasswordChars);
}
