// A UnionPay QR sale (银联二维码, C2B 付款码: the merchant scans the customer's code) on the ISO 8583
// host link: an 0200 sale whose DE 2 is the scanned code instead of a card number and whose DE 22
// POS entry mode is `032` (03 = the code was read by the scanner, 2 = no PIN entered), so the issuer
// side sees at once that no card was present. On iso87-ascii DE 48 also carries `QRC=C2B`. No expiry,
// track, CVV or PIN travels. docs/qr-unionpay.md gives the layout of both dialects and why.
// Pure: time comes in as `nowMs`. The code is a bearer credential while valid: it passes through here
// on its way to the codec and is never kept (the engine stores its masked form only).
import type { IsoMessage } from '../iso8583/index.ts';
import { saleBasicFields, saleMti, unionPayQrPosEntryMode, type UpstreamSaleBasics } from './upstream-request.ts';

export { unionPayQrPosEntryMode };
/** The DE 48 tag (iso87-ascii) that names a customer-presented (C2B) code. */
export const unionPayQrDe48Marker = 'QRC=C2B';
/** cups-pos DE 60.1 transaction type code of a sale. */
export const cupsSaleTypeCode = '22';

/** The dialects whose layout for UnionPay QR is defined (docs/qr-unionpay.md). */
export const unionPayQrDialects = ['iso87-ascii', 'cups-pos'] as const;
export type UnionPayQrDialect = (typeof unionPayQrDialects)[number];

/**
 * The UnionPay QR layout of a channel's dialect, or null when it has none (a custom dialect file): such
 * a channel never carries a QR sale. A channel that names no dialect speaks the host link (iso87-ascii).
 */
export function unionPayQrDialectOf(channelDialect: string | undefined): UnionPayQrDialect | null {
  const dialect = channelDialect ?? 'iso87-ascii';
  return (unionPayQrDialects as readonly string[]).includes(dialect) ? (dialect as UnionPayQrDialect) : null;
}

/** True for a C2B code as UnionPay issues them: 19 digits starting 62. No Luhn digit is promised. */
export function isUnionPayQrCode(code: string): boolean {
  return /^62[0-9]{17}$/.test(code);
}

/** True when a sale's DE 22 says the "card number" is a scanned code (entry mode 03x). */
export function isQrEntryMode(posEntryMode: string | undefined): boolean {
  return posEntryMode !== undefined && /^03[0-9]$/.test(posEntryMode);
}

export interface UnionPayQrSaleInput extends UpstreamSaleBasics {
  /** The scanned 19-digit code. */
  qrCode: string;
  /** cups-pos DE 60.2; `000001` when absent. */
  batchNumber?: string;
}

/** Builds the 0200 of one attempt of a UnionPay QR sale in the given dialect's layout. */
export function buildUpstreamUnionPayQrSale(input: UnionPayQrSaleInput, dialect: UnionPayQrDialect): IsoMessage {
  // A QR sale always has an amount (a zero sale is a card-only balance or verification flow).
  if (!(Number.isSafeInteger(input.amountMinor) && input.amountMinor > 0)) {
    throw new Error(`broken invariant: amount ${input.amountMinor} is not a positive whole number of minor units`);
  }
  // Callers validate the code first (RSW_ error to the client); reaching here with a bad one is a bug.
  if (!isUnionPayQrCode(input.qrCode)) throw new Error('broken invariant: not a 19-digit UnionPay QR code starting 62');
  const batch = input.batchNumber ?? '000001';
  if (!/^[0-9]{6}$/.test(batch)) throw new Error('broken invariant: batch number is not n6');
  const fields: IsoMessage['fields'] = { ...saleBasicFields(input), 2: input.qrCode, 22: unionPayQrPosEntryMode };
  switch (dialect) {
    case 'iso87-ascii':
      fields[48] = unionPayQrDe48Marker;
      break;
    case 'cups-pos':
      // cups-pos has no DE 43 and a numeric DE 48: the type code and batch of DE 60 go instead.
      delete fields[43];
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
