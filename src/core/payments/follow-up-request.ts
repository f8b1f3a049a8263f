// The upstream requests of the transaction set (docs/domain/pos-transactions.md), built from what the store keeps:
// MTI, DE 3 and DE 25 per transaction type, and DE 90 naming the original attempt so the host finds
// the card and the money without a PAN (the store never holds one). A card the terminal presented
// again (a void at the counter) is passed through. Pure: time comes in as `nowMs`.
import type { IsoMessage } from '../iso8583/index.ts';
import type { AttemptRecord } from '../ports/store.ts';
import { assertNever, entryModes, isMember } from '../vocabulary.ts';
import { currencyNumericFor, originalDataElements } from './reversal-message.ts';
import { fixedAns, localDateTime, transmissionDateTime } from './upstream-fields.ts';
import { posEntryModeFor } from './upstream-request.ts';

export type FollowUpOperation = 'void' | 'refund' | 'completion' | 'preauth_cancel' | 'completion_void';
export type TransactionType = FollowUpOperation | 'balance_inquiry';

/** MTI, DE 3, DE 25 and whether a lost answer is reversed (docs/domain/pos-transactions.md). */
export interface TransactionShape {
  readonly mti: '0100' | '0200' | '0220';
  readonly processingCode: string;
  readonly conditionCode: '00' | '06';
  readonly reversible: boolean;
}

export function transactionShape(type: TransactionType): TransactionShape {
  switch (type) {
    case 'void':
      return { mti: '0200', processingCode: '200000', conditionCode: '00', reversible: true };
    case 'refund':
      return { mti: '0220', processingCode: '200000', conditionCode: '00', reversible: false };
    case 'completion':
      return { mti: '0200', processingCode: '000000', conditionCode: '06', reversible: true };
    case 'preauth_cancel':
      return { mti: '0100', processingCode: '200000', conditionCode: '06', reversible: true };
    case 'completion_void':
      return { mti: '0200', processingCode: '200000', conditionCode: '06', reversible: true };
    case 'balance_inquiry':
      return { mti: '0200', processingCode: '310000', conditionCode: '00', reversible: false };
    default:
      return assertNever(type, 'transaction type');
  }
}

export interface UpstreamFollowUpInput {
  readonly type: FollowUpOperation;
  /** The MTI actually sent: a refund advice repeat goes as 0221. */
  readonly mti?: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly merchant: { readonly id: string; readonly name: string; readonly mcc: string };
  readonly upstreamTerminalId: string;
  readonly acquirerId: string;
  readonly stan: string;
  /** The instant fixed for this request's DE 7 (a repeat keeps it). */
  readonly transmittedAtMs: number;
  readonly nowMs: number;
  /** The original's approved attempt, named in DE 90. */
  readonly originalAttempt: Pick<AttemptRecord, 'mti' | 'stan' | 'transmittedAt'>;
  readonly originalRrn: string | null;
  /** Card data the terminal presented with this request, passed through (never stored). */
  readonly card?: { readonly pan?: string; readonly expiry?: string; readonly track2?: string };
  readonly localOffsetMinutes?: number;
  readonly entryModeCode?: string;
}

export function buildUpstreamFollowUp(input: UpstreamFollowUpInput): IsoMessage {
  if (!(Number.isSafeInteger(input.amountMinor) && input.amountMinor >= 1)) throw new Error(`broken invariant: amount ${input.amountMinor} is not a positive whole number of minor units`);
  if (!/^[0-9]{6}$/.test(input.stan)) throw new Error('broken invariant: STAN is not n6');
  const shape = transactionShape(input.type);
  const local = localDateTime(input.nowMs, input.localOffsetMinutes);
  const fields: IsoMessage['fields'] = {
    3: shape.processingCode,
    4: String(input.amountMinor).padStart(12, '0'),
    7: transmissionDateTime(input.transmittedAtMs),
    11: input.stan,
    12: local.time,
    13: local.date,
    18: input.merchant.mcc,
    22: input.entryModeCode ?? '012',
    25: shape.conditionCode,
    32: input.acquirerId,
    41: fixedAns(input.upstreamTerminalId, 8),
    42: fixedAns(input.merchant.id, 15),
    43: fixedAns(input.merchant.name, 40),
    49: currencyNumericFor(input.currency),
    90: originalDataElements(input.originalAttempt, input.acquirerId),
  };
  if (input.originalRrn !== null && /^[0-9A-Za-z ]{1,12}$/.test(input.originalRrn)) fields[37] = input.originalRrn.padEnd(12, ' ');
  if (input.card?.pan !== undefined) fields[2] = input.card.pan;
  if (input.card?.expiry !== undefined) fields[14] = input.card.expiry;
  if (input.card?.track2 !== undefined) fields[35] = input.card.track2;
  return { mti: input.mti ?? shape.mti, fields };
}

/** DE 22 for a follow-up or a balance inquiry: the stored entry mode's code, manual (`012`) for anything unknown. */
export function entryModeCodeOf(entryMode: string): string {
  return isMember(entryModes, entryMode) ? posEntryModeFor(entryMode) : '012';
}
