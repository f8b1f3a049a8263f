// A UnionPay QR sale (银联二维码, C2B 付款码: the merchant scans the customer's code) on the ISO 8583
// host link: an 0200 sale whose DE 2 is the scanned code instead of a card number and whose DE 22
// POS entry mode is `032` (03 = the code was read by the scanner, 2 = no PIN entered), so the issuer
// side sees at once that no card was present. On iso87-ascii DE 48 also carries `QRC=C2B`. No expiry,
// track, CVV or PIN travels. docs/qr-unionpay.md gives the layout of both dialects and why.
// Pure: time comes in as `nowMs`. The code is a bearer credential while valid: it passes through here
// on its way to the codec and is never kept (the engine stores its masked form only).
import type { IsoMessage } from '../iso8583/index.ts';
import { currencyNumericFor } from './reversal-message.ts';
import { saleMti, saleProcessingCode } from './upstream-request.ts';
import { fixedAns, localDateTime, transmissionDateTime } from './upstream-fields.ts';

/** DE 22 of a UnionPay QR sale: PAN entry `03` (scanned code), PIN capability `2` (no PIN). */
export const unionPayQrPosEntryMode = '032';
/** The DE 48 tag (iso87-ascii) that names a customer-presented (C2B) code. */
export const unionPayQrDe48Marker = 'QRC=C2B';
/** cups-pos DE 60.1 transaction type code of a sale. */
export const cupsSaleTypeCode = '22';

/** The dialects whose layout for UnionPay QR is defined (docs/qr-unionpay.md). */
export const unionPayQrDialects = ['iso87-ascii', 'cups-pos'] as const;
export type UnionPayQrDialect = (typeof unionPayQrDialects)[number];

/** True for a C2B code as UnionPay issues them: 19 digits starting 62. No Luhn digit is promised. */
export function isUnionPayQrCode(code: string): boolean {
  return /^62[0-9]{17}$/.test(code);
}

/** True when a sale's DE 22 says the "card number" is a scanned code (entry mode 03x). */
export function isQrEntryMode(posEntryMode: string | undefined): boolean {
  return posEntryMode !== undefined && /^03[0-9]$/.test(posEntryMode);
}

export interface UnionPayQrSaleInput {
  amountMinor: number;
  currency: string;
  /** The scanned 19-digit code. */
  qrCode: string;
  merchant: { id: string; name: string; mcc: string };
  /** DE 41 as sent upstream. */
  upstreamTerminalId: string;
  acquirerId: string;
  stan: string;
  nowMs: number;
  /** Offset of the merchant's local time from UTC, for DE 12/13; China Standard Time by default. */
  localOffsetMinutes?: number;
  /** cups-pos DE 60.2; `000001` when absent. */
  batchNumber?: string;
}

/** Builds the 0200 of one attempt of a UnionPay QR sale in the given dialect's layout. */
export function buildUpstreamUnionPayQrSale(input: UnionPayQrSaleInput, dialect: UnionPayQrDialect): IsoMessage {
  if (!(Number.isSafeInteger(input.amountMinor) && input.amountMinor > 0)) {
    throw new Error(`broken invariant: amount ${input.amountMinor} is not a positive whole number of minor units`);
  }
  if (!/^[0-9]{6}$/.test(input.stan)) throw new Error('broken invariant: STAN is not n6');
  // Callers validate the code first (RSW_ error to the client); reaching here with a bad one is a bug.
  if (!isUnionPayQrCode(input.qrCode)) throw new Error('broken invariant: not a 19-digit UnionPay QR code starting 62');
  const batch = input.batchNumber ?? '000001';
  if (!/^[0-9]{6}$/.test(batch)) throw new Error('broken invariant: batch number is not n6');
  const local = localDateTime(input.nowMs, input.localOffsetMinutes);
  const fields: IsoMessage['fields'] = {
    2: input.qrCode,
    3: saleProcessingCode,
    4: String(input.amountMinor).padStart(12, '0'),
    7: transmissionDateTime(input.nowMs),
    11: input.stan,
    12: local.time,
    13: local.date,
    18: input.merchant.mcc,
    22: unionPayQrPosEntryMode,
    25: '00',
    32: input.acquirerId,
    41: fixedAns(input.upstreamTerminalId, 8),
    42: fixedAns(input.merchant.id, 15),
    49: currencyNumericFor(input.currency),
  };
  switch (dialect) {
    case 'iso87-ascii':
      fields[43] = fixedAns(input.merchant.name, 40);
      fields[48] = unionPayQrDe48Marker;
      break;
    case 'cups-pos':
      // cups-pos has no DE 43 and a numeric DE 48: the type code and batch of DE 60 go instead.
      fields[60] = { '1': cupsSaleTypeCode, '2': batch };
      break;
  }
  return { mti: saleMti, fields };
}

/** Whether an incoming 0200 is a UnionPay QR sale: a 62-code in DE 2 read with entry mode 03x. */
export function isUnionPayQrSale(message: IsoMessage): boolean {
  const pan = message.fields[2];
  const entry = message.fields[22];
  return typeof pan === 'string' && typeof entry === 'string' && isQrEntryMode(entry) && isUnionPayQrCode(pan);
}
