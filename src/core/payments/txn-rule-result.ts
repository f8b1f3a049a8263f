// The answer of every follow-up transaction rule (void, refund, completion, cancel): allowed, or
// refused with a stable catalogue code, the params its message needs, and the DE 39 a terminal gets.
// A refusal is a business outcome, so it is a value; the adapters turn it into a problem object
// (HTTP) or DE 39 + DE 63 (ISO 8583) through the error catalogue.
import { ReswipeError } from '../errors/reswipe-error.ts';

export type TxnRefusalCode =
  | 'RSW_TXN_ORIGINAL_NOT_FOUND'
  | 'RSW_TXN_ORIGINAL_NOT_APPROVED'
  | 'RSW_TXN_ORIGINAL_WRONG_KIND'
  | 'RSW_TXN_VOID_OTHER_DAY'
  | 'RSW_TXN_BATCH_SETTLED'
  | 'RSW_TXN_VOID_OTHER_TERMINAL'
  | 'RSW_TXN_VOID_AMOUNT'
  | 'RSW_TXN_ALREADY_VOIDED'
  | 'RSW_TXN_HAS_REFUNDS'
  | 'RSW_TXN_REFUND_EXCEEDS'
  | 'RSW_TXN_AMOUNT_INVALID'
  | 'RSW_TXN_CURRENCY_MISMATCH'
  | 'RSW_TXN_HOLD_EXPIRED'
  | 'RSW_TXN_HOLD_CLOSED'
  | 'RSW_TXN_COMPLETION_EXCEEDS'
  | 'RSW_TXN_CANCEL_AMOUNT'
  | 'RSW_TXN_CARD_MISMATCH'
  | 'RSW_TXN_TERMINAL_NOT_MERCHANTS'
  | 'RSW_TXN_REVERSAL_OTHER_TERMINAL'
  | 'RSW_TXN_REVERSAL_AMOUNT'
  | 'RSW_TXN_REVERSAL_BATCH_SETTLED'
  | 'RSW_TXN_REVERSAL_TOO_LATE';

export interface TxnRefusal {
  readonly kind: 'refused';
  readonly code: TxnRefusalCode;
  readonly params: Readonly<Record<string, string>>;
  /** The catalogue message with its params filled: the reason a cashier or client reads. */
  readonly reason: string;
  /** DE 39 for a terminal. */
  readonly isoResponseCode: string;
  readonly httpStatus: number;
}

export type TxnRuleResult = { readonly kind: 'allowed' } | TxnRefusal;

export const allowed: TxnRuleResult = Object.freeze({ kind: 'allowed' });

/** Builds a refusal from the catalogue, so code, message, HTTP status and DE 39 never drift apart. */
export function refuse(code: TxnRefusalCode, params: Record<string, string | number> = {}): TxnRefusal {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) text[name] = String(value);
  const error = new ReswipeError(code, text);
  return Object.freeze({
    kind: 'refused',
    code,
    params: Object.freeze(text),
    reason: error.message,
    isoResponseCode: error.isoResponseCode ?? '12',
    httpStatus: error.httpStatus,
  });
}

/** Whole minor units DE 4 can carry. */
export function isValidAmountMinor(amountMinor: number): boolean {
  return Number.isSafeInteger(amountMinor) && amountMinor >= 1 && amountMinor <= 999_999_999_999;
}
