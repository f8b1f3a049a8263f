// A PAN never travels as a bare string once it enters reswipe: it is a CardNumber, whose printed
// forms (toString, toJSON, util.inspect) are masked. Only `reveal()` gives the digits, for the
// codec at the moment a message is packed. Stored forms are the masked PAN and a keyed fingerprint.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { findPanLikeRuns } from './find-pan-like-runs.ts';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Digits a masked PAN always hides, whatever its length: with fewer, the hidden middle is a short guess. */
export const maskedDigitsMin = 6;

/**
 * Masks a PAN for display and storage: at most the first 6 and the last 4 digits stay (PCI DSS 3.4.1),
 * and at least 6 are hidden, so a short PAN shows fewer leading digits (12 digits: `62******3456`).
 * Below 10 digits everything is hidden.
 */
export function maskPan(pan: string): string {
  if (pan.length < maskedDigitsMin + 4) return '*'.repeat(pan.length);
  const leading = Math.min(6, pan.length - 4 - maskedDigitsMin);
  return `${pan.slice(0, leading)}${'*'.repeat(pan.length - leading - 4)}${pan.slice(-4)}`;
}

/** HMAC-SHA-256 of the whole PAN under the configured key, hex: the card's identity for budgets and the re-swipe guard. */
export function fingerprintPan(pan: string, panKey: string): string {
  if (panKey.length === 0) throw new Error('the PAN fingerprint key must not be empty');
  return createHmac('sha256', panKeyObjectOf(panKey)).update(pan, 'utf8').digest('hex');
}

/** The configured keys (current and retired: a handful) as key objects; past this many the cache starts over. */
const panKeyObjectsMax = 16;
const panKeyObjects = new Map<string, KeyObject>();

/**
 * The key as a KeyObject, made once per key: createHmac with a string key copies it into a new secret
 * key on every call, and every sale fingerprints its card at least once.
 */
function panKeyObjectOf(panKey: string): KeyObject {
  let keyObject = panKeyObjects.get(panKey);
  if (keyObject === undefined) {
    if (panKeyObjects.size >= panKeyObjectsMax) panKeyObjects.clear();
    keyObject = createSecretKey(Buffer.from(panKey, 'utf8'));
    panKeyObjects.set(panKey, keyObject);
  }
  return keyObject;
}

/** A card number whose every printed form is masked. */
export class CardNumber {
  readonly #digits: string;
  #fingerprintKey: string | null = null;
  #fingerprint = '';

  constructor(digits: string) {
    this.#digits = digits;
  }

  reveal(): string {
    return this.#digits;
  }

  /**
   * fingerprintPan of these digits under `panKey`, the last key's answer kept: a terminal sale hashes
   * its request with the fingerprint and its checks read the card's history by it, one HMAC for both.
   */
  fingerprint(panKey: string): string {
    if (this.#fingerprintKey !== panKey) {
      this.#fingerprint = fingerprintPan(this.#digits, panKey);
      this.#fingerprintKey = panKey;
    }
    return this.#fingerprint;
  }

  get masked(): string {
    return maskPan(this.#digits);
  }

  get last4(): string {
    return this.#digits.slice(-4);
  }

  get length(): number {
    return this.#digits.length;
  }

  toString(): string {
    return this.masked;
  }

  toJSON(): string {
    return this.masked;
  }

  [inspectSymbol](): string {
    return `CardNumber(${this.masked})`;
  }
}

/**
 * Masks what may be a PAN in free text: the last line of defence for logs and error texts. Every plain run
 * of 13-19 digits is masked, Luhn or not; a 12-digit run, or digits grouped by spaces or dashes, only when
 * they pass Luhn (findPanLikeRuns), so amounts (DE 4) and most retrieval numbers stay readable.
 */
export function maskPansInText(text: string): string {
  const runs = findPanLikeRuns(text, { digitsMin: 12, plainDigitsMin: 13 });
  if (runs.length === 0) return text;
  let masked = '';
  let from = 0;
  for (const run of runs) {
    masked += text.slice(from, run.start) + maskPan(run.digits);
    from = run.end;
  }
  return masked + text.slice(from);
}
