// The card-fingerprint key (security.panKey): what a real key looks like, and the id stored with every
// fingerprint made under it (docs/card-data.md). A fingerprint is HMAC-SHA-256 over the PAN; with a
// guessable key, a stored masked PAN plus its fingerprint gives the PAN back in under a second (the
// hidden middle digits are a small search space), so outside development mode reswipe refuses any key
// that is not at least 32 random bytes.
import { createHmac } from 'node:crypto';

/** Fewest bytes of a key outside development mode: 256 bits, the HMAC-SHA-256 block of security. */
export const panKeyBytesMin = 32;

/**
 * How a key is written: hex (`openssl rand -hex 32`) or base64 (`openssl rand -base64 32`,
 * `reswipe config new-pan-key`). The HMAC key is the text exactly as written, so fingerprints made
 * before this rule (any 16+ character text) keep their value when the same text passes it.
 */
export function decodePanKeyText(text: string): Uint8Array | null {
  if (/^(?:[0-9a-fA-F]{2})+$/.test(text)) return Uint8Array.from(Buffer.from(text, 'hex'));
  if (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return Uint8Array.from(Buffer.from(text, 'base64'));
  return null;
}

/**
 * Why a key text is not a real key, or null when it is. "Random" is checked roughly, to catch the
 * mistakes people make (a passphrase, a repeated or counting pattern, text encoded as base64), not to
 * prove randomness: the bytes must take many distinct values, not be mostly printable characters, and
 * not repeat or count in runs. Uniform random bytes fail these with a chance far below 1 in 10^9.
 */
export function panKeyWeakness(text: string): string | null {
  const bytes = decodePanKeyText(text);
  if (bytes === null) return 'must be hex or base64 text (for example the output of `reswipe config new-pan-key`)';
  if (bytes.length < panKeyBytesMin) return `must encode at least ${panKeyBytesMin} bytes (it encodes ${bytes.length})`;
  const distinct = new Set(bytes).size;
  // Expected distinct values among n uniform bytes is 256(1 - (255/256)^n); 32 bytes give about 30.
  const distinctExpected = 256 * (1 - (255 / 256) ** bytes.length);
  if (distinct < distinctExpected * 0.75) return 'does not look random: too few distinct byte values';
  const printable = bytes.filter((byte) => byte >= 0x20 && byte <= 0x7e).length;
  if (printable > bytes.length * 0.75) return 'does not look random: it is mostly text (encode random bytes, not a passphrase)';
  let run = 1;
  for (let i = 1; i < bytes.length; i += 1) {
    const step = ((bytes[i] ?? 0) - (bytes[i - 1] ?? 0) + 256) % 256;
    const previousStep = i >= 2 ? ((bytes[i - 1] ?? 0) - (bytes[i - 2] ?? 0) + 256) % 256 : -1;
    run = step === previousStep ? run + 1 : 1;
    if (run >= 4) return 'does not look random: it repeats or counts';
  }
  return null;
}

/**
 * The key id stored with every fingerprint: `pk_` and the first 8 hex digits of an HMAC of a fixed label
 * under the key (a check value, as key ceremonies use). Derived, never configured, so an id can never
 * name two keys, and it tells nothing about the key that matters.
 */
export function panKeyIdOf(keyText: string): string {
  return `pk_${createHmac('sha256', keyText).update('reswipe pan key id', 'utf8').digest('hex').slice(0, 8)}`;
}
