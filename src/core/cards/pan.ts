// A PAN never travels as a bare string once it enters reswipe: it is a CardNumber, whose printed
// forms (toString, toJSON, util.inspect) are masked. Only `reveal()` gives the digits, for the
// codec at the moment a message is packed. Stored forms are the masked PAN and a keyed fingerprint.
import { createHmac } from 'node:crypto';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Masks a PAN for display and storage: first 6 and last 4 digits, stars between (PCI DSS 3.4.1). */
export function maskPan(pan: string): string {
  if (pan.length < 11) return '*'.repeat(pan.length);
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

/** HMAC-SHA-256 of the whole PAN under the configured key, hex: the card's identity for budgets and the re-swipe guard. */
export function fingerprintPan(pan: string, panKey: string): string {
  if (panKey.length === 0) throw new Error('the PAN fingerprint key must not be empty');
  return createHmac('sha256', panKey).update(pan, 'utf8').digest('hex');
}

/** A card number whose every printed form is masked. */
export class CardNumber {
  readonly #digits: string;

  constructor(digits: string) {
    this.#digits = digits;
  }

  reveal(): string {
    return this.#digits;
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

/** Replaces every run of 13-19 digits in free text with its masked form: the last line of defence for logs. */
export function maskPansInText(text: string): string {
  return text.replace(/(?<!\d)\d{13,19}(?!\d)/g, (digits) => maskPan(digits));
}
