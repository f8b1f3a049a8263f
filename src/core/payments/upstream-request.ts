// The 0200 sale request of host-link.md for one attempt, built from the sale and the attempt's own
// STAN and instant. Pure: time comes in as `nowMs`. Card data passes through only here, on its way to
// the codec; nothing built here is stored (the attempt keeps DE 3, 11, 7 and 41 only).
import type { IsoMessage } from '../iso8583/index.ts';
import type { CardNumber } from '../cards/pan.ts';
import type { EntryMode } from '../vocabulary.ts';
import { assertNever } from '../vocabulary.ts';
import { currencyNumericFor } from './reversal-message.ts';
import { fixedAns, localDateTime, transmissionDateTime } from './upstream-fields.ts';

// Kept importable from here, where the engine and the simulation have always found it.
export { transmissionDateTime };

export interface UpstreamSaleInput {
  amountMinor: number;
  currency: string;
  card: {
    number: CardNumber;
    /** YYMM. */
    expiry?: string;
    cvv?: string;
    entryMode: EntryMode;
    /** Passed through as DE 35 when the terminal sent it. */
    track2?: string;
    /** DE 52 as the terminal sent it (under its PIN key); translated to the channel's zone PIN key on the way out (app/channels/pin-translating-channel.ts), never sent as it is. */
    pinBlock?: Uint8Array;
    /** Passed through as DE 55 when the terminal sent it. */
    iccData?: Uint8Array;
  };
  merchant: { id: string; name: string; mcc: string };
  /** DE 41 as sent upstream (the terminal's id, or the HTTP intake's stand-in). */
  upstreamTerminalId: string;
  acquirerId: string;
  stan: string;
  nowMs: number;
  /** Offset of the merchant's local time from UTC, for DE 12/13; China Standard Time by default. */
  localOffsetMinutes?: number;
}

export const saleProcessingCode = '000000';
/** DE 22 of a UnionPay QR sale: PAN entry `03` (scanned code), PIN capability `2` (no PIN). */
export const unionPayQrPosEntryMode = '032';
export const saleMti = '0200';

/** DE 22 POS entry mode for each entry mode (PAN entry + PIN capability digit). */
export function posEntryModeFor(entryMode: EntryMode): string {
  switch (entryMode) {
    case 'chip':
      return '051';
    case 'contactless':
      return '071';
    case 'swipe':
      return '021';
    case 'fallback':
      return '801';
    case 'manual':
      return '012';
    case 'qr':
      return unionPayQrPosEntryMode;
    default:
      return assertNever(entryMode, 'entry mode');
  }
}

/** What every upstream sale carries whatever pays it (a card, a UnionPay QR code). */
export type UpstreamSaleBasics = Omit<UpstreamSaleInput, 'card'>;

/** The fields of an upstream 0200 that do not depend on what pays: DE 3, 4, 7, 11, 12, 13, 18, 25, 32, 41, 42, 43, 49. */
export function saleBasicFields(input: UpstreamSaleBasics): IsoMessage['fields'] {
  if (!(Number.isSafeInteger(input.amountMinor) && input.amountMinor >= 0)) {
    throw new Error(`broken invariant: amount ${input.amountMinor} is not a whole number of minor units`);
  }
  if (!/^[0-9]{6}$/.test(input.stan)) throw new Error('broken invariant: STAN is not n6');
  const local = localDateTime(input.nowMs, input.localOffsetMinutes);
  return {
    3: saleProcessingCode,
    4: String(input.amountMinor).padStart(12, '0'),
    7: transmissionDateTime(input.nowMs),
    11: input.stan,
    12: local.time,
    13: local.date,
    18: input.merchant.mcc,
    25: '00',
    32: input.acquirerId,
    41: fixedAns(input.upstreamTerminalId, 8),
    42: fixedAns(input.merchant.id, 15),
    43: fixedAns(input.merchant.name, 40),
    49: currencyNumericFor(input.currency),
  };
}

/** Builds the upstream 0200 for one attempt of a sale. */
export function buildUpstreamSale(input: UpstreamSaleInput): IsoMessage {
  const fields: IsoMessage['fields'] = {
    ...saleBasicFields(input),
    2: input.card.number.reveal(),
    22: posEntryModeFor(input.card.entryMode),
  };
  if (input.card.expiry !== undefined) fields[14] = input.card.expiry;
  if (input.card.track2 !== undefined) fields[35] = input.card.track2;
  if (input.card.cvv !== undefined) fields[48] = `CVV2=${input.card.cvv}`;
  if (input.card.pinBlock !== undefined) fields[52] = input.card.pinBlock;
  if (input.card.iccData !== undefined) fields[55] = input.card.iccData;
  return { mti: saleMti, fields };
}
