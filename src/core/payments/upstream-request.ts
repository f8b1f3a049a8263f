// The 0200 sale request of host-link.md for one attempt, built from the sale and the attempt's own
// STAN and instant. Pure: time comes in as `nowMs`. Card data passes through only here, on its way to
// the codec; nothing built here is stored (the attempt keeps DE 3, 11, 7 and 41 only).
import type { IsoMessage } from '../iso8583/index.ts';
import type { CardNumber } from '../cards/pan.ts';
import type { EntryMode } from '../vocabulary.ts';
import { assertNever } from '../vocabulary.ts';
import { currencyNumericFor } from './reversal-message.ts';

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
    /** Passed through as DE 52 when the terminal sent it. */
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
    default:
      return assertNever(entryMode, 'entry mode');
  }
}

/** DE 7 (MMDDhhmmss, UTC) for an instant. */
export function transmissionDateTime(nowMs: number): string {
  const at = new Date(nowMs);
  return pad2(at.getUTCMonth() + 1) + pad2(at.getUTCDate()) + pad2(at.getUTCHours()) + pad2(at.getUTCMinutes()) + pad2(at.getUTCSeconds());
}

/** Builds the upstream 0200 for one attempt of a sale. */
export function buildUpstreamSale(input: UpstreamSaleInput): IsoMessage {
  if (!(Number.isSafeInteger(input.amountMinor) && input.amountMinor >= 0)) {
    throw new Error(`broken invariant: amount ${input.amountMinor} is not a whole number of minor units`);
  }
  if (!/^[0-9]{6}$/.test(input.stan)) throw new Error('broken invariant: STAN is not n6');
  const local = new Date(input.nowMs + (input.localOffsetMinutes ?? 480) * 60_000);
  const fields: IsoMessage['fields'] = {
    2: input.card.number.reveal(),
    3: saleProcessingCode,
    4: String(input.amountMinor).padStart(12, '0'),
    7: transmissionDateTime(input.nowMs),
    11: input.stan,
    12: pad2(local.getUTCHours()) + pad2(local.getUTCMinutes()) + pad2(local.getUTCSeconds()),
    13: pad2(local.getUTCMonth() + 1) + pad2(local.getUTCDate()),
    18: input.merchant.mcc,
    22: posEntryModeFor(input.card.entryMode),
    25: '00',
    32: input.acquirerId,
    41: fixedAns(input.upstreamTerminalId, 8),
    42: fixedAns(input.merchant.id, 15),
    43: fixedAns(input.merchant.name, 40),
    49: currencyNumericFor(input.currency),
  };
  if (input.card.expiry !== undefined) fields[14] = input.card.expiry;
  if (input.card.track2 !== undefined) fields[35] = input.card.track2;
  if (input.card.cvv !== undefined) fields[48] = `CVV2=${input.card.cvv}`;
  if (input.card.pinBlock !== undefined) fields[52] = input.card.pinBlock;
  if (input.card.iccData !== undefined) fields[55] = input.card.iccData;
  return { mti: saleMti, fields };
}

/** Fixed-length ans: right-padded with spaces, cut to the length (a longer name never breaks the frame). */
function fixedAns(value: string, length: number): string {
  // Printable ASCII only: DE 43 is ans, and a merchant name may be Chinese; non-ASCII is replaced.
  const ascii = value.replace(/[^\x20-\x7e]/g, '?');
  return ascii.slice(0, length).padEnd(length, ' ');
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
