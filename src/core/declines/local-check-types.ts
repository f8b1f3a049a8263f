// Inputs and results of the checks reswipe runs before anything goes upstream.
import type { EntryMode, PaymentMethod } from '../vocabulary.ts';
import type { CardInfo } from '../cards/card-info.ts';
import type { Diagnosis } from './diagnosis.ts';

/** Amount limits in minor units; an absent limit means no limit. Same shape as the store's records. */
export interface Limits {
  perSaleMinor?: number;
  perDayMinor?: number;
  perMonthMinor?: number;
}

export interface LocalCheckInput {
  pan: string;
  /** YYMM, as in DE 14. */
  expiry?: string;
  cvv?: string;
  entryMode: EntryMode;
  amountMinor: number;
  method?: PaymentMethod;
  merchant: { id: string; accepts: readonly string[]; limits: Limits; disabled?: boolean } | null;
  terminal: { id: string; state: 'registered' | 'active' | 'disabled'; signedOn: boolean; limits: Limits } | null;
  /** Approved totals so far in the current day and month, before this sale. */
  totals: { merchantDayMinor: number; merchantMonthMinor: number; terminalDayMinor: number; terminalMonthMinor: number };
  nowMs: number;
  /** IANA zone for "this month" in the expiry check; default Asia/Shanghai. */
  timeZone?: string;
  strict: { luhn: boolean; bin: boolean };
}

export type LocalCheckResult =
  | { ok: true; card: CardInfo; warnings: string[] }
  | { ok: false; card: CardInfo | null; diagnosis: Diagnosis };
