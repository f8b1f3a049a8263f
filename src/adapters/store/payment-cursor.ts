// The opaque page cursor of `listPayments`: base64url of `<createdAtMs>:<id>` of the last row
// returned. Pages are ordered newest first by (created_at_ms, id), so the next page is every row
// strictly below that pair, and rows inserted meanwhile never cause gaps or repeats.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

export interface PaymentCursor {
  createdAtMs: number;
  id: string;
}

const cursorCharsMax = 512;

export function encodePaymentCursor(cursor: PaymentCursor): string {
  return Buffer.from(`${cursor.createdAtMs}:${cursor.id}`, 'utf8').toString('base64url');
}

/** Throws RSW_STORE_BAD_CURSOR for anything `encodePaymentCursor` could not have produced. */
export function decodePaymentCursor(text: string): PaymentCursor {
  const bad = (): ReswipeError => new ReswipeError('RSW_STORE_BAD_CURSOR', { field: 'cursor' });
  if (text.length === 0 || text.length > cursorCharsMax || !/^[A-Za-z0-9_-]+$/.test(text)) throw bad();
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):(.+)$/s.exec(decoded);
  if (match === null) throw bad();
  const createdAtMs = Number(match[1]);
  const id = match[2] as string;
  if (!Number.isSafeInteger(createdAtMs) || encodePaymentCursor({ createdAtMs, id }) !== text) throw bad();
  return { createdAtMs, id };
}
