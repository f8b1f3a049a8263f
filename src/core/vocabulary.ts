// The words every part of reswipe shares (docs/vocabulary.md). Each is an `as const` list, so
// the type and a runtime check come from one place, and exhaustive switches catch a new member.

/** What actually happened to the money in one attempt. */
export const attemptOutcomes = ['approved', 'declined', 'not_sent', 'unknown', 'reversed'] as const;
export type AttemptOutcome = (typeof attemptOutcomes)[number];

/** What the cashier may do next. `none` means approved, nothing to retry. */
export const retryVerdicts = ['none', 'now', 'later', 'fix', 'never', 'wait'] as const;
export type RetryVerdict = (typeof retryVerdicts)[number];

export const causeCategories = [
  'approved',
  'card_data',
  'insufficient_funds',
  'network',
  'merchant_permission',
  'card_status',
  'fraud_risk',
  'pin',
  'limits',
  'issuer_unavailable',
  'terminal_setup',
  'duplicate',
  'original_txn',
  'format_system',
  'referral',
  'reserved',
  'other',
] as const;
export type CauseCategory = (typeof causeCategories)[number];

export const responsibleParties = ['cardholder', 'issuer', 'scheme', 'channel', 'gateway', 'terminal', 'merchant'] as const;
export type ResponsibleParty = (typeof responsibleParties)[number];

/** The status a client sees for a payment (docs/contracts/http-api.md). Internal states never leak. */
export const paymentStatuses = ['pending', 'approved', 'declined', 'reversed', 'voided'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

export const cardBrands = ['unionpay', 'visa', 'mastercard', 'jcb', 'amex', 'discover', 'diners', 'mir', 'unknown'] as const;
export type CardBrand = (typeof cardBrands)[number];

export const cardTypes = ['debit', 'credit', 'quasi-credit', 'prepaid', 'unknown'] as const;
export type CardType = (typeof cardTypes)[number];

/** Payment methods a merchant may accept and a fee plan may price. Card types are methods too. */
export const paymentMethods = ['debit', 'credit', 'quasi-credit', 'prepaid', 'wechat', 'alipay', 'unionpay-qr', 'digital-rmb'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** How a card was read at the terminal. */
export const cardEntryModes = ['chip', 'contactless', 'swipe', 'fallback', 'manual'] as const;
export type CardEntryMode = (typeof cardEntryModes)[number];

/** How a card-pipeline sale was presented: a card entry mode, or `qr` (a scanned UnionPay QR code, docs/qr-unionpay.md). */
export const entryModes = [...cardEntryModes, 'qr'] as const;
export type EntryMode = (typeof entryModes)[number];

export const languages = ['zh', 'en'] as const;
export type Language = (typeof languages)[number];

/** Text in both languages the product speaks. */
export interface BilingualText {
  readonly zh: string;
  readonly en: string;
}

export function isMember<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** For exhaustive switches: the compiler proves this is unreachable; at run time it is a broken invariant. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${String(value)}`);
}
