// Builders for the host-link requests the issuer simulator tests send (docs/contracts/host-link.md field layout).
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';

export interface SaleInput {
  readonly pan: string;
  readonly amountMinor: number;
  readonly stan?: string;
  readonly transmittedAt?: string;
  readonly terminalId?: string;
  readonly acquirerId?: string;
  readonly expiry?: string | null;
  readonly cvv?: string;
  readonly mti?: string;
  readonly processingCode?: string;
  readonly original?: string;
}

let nextStan = 1;

/** A fresh STAN per call, so tests never collide by accident. */
export function freshStan(): string {
  nextStan = (nextStan % 999_999) + 1;
  return String(nextStan).padStart(6, '0');
}

/** A 0200 sale by default; mti/processingCode turn it into a refund (200000) or a pre-authorization (0100, 030000). */
export function saleRequest(input: SaleInput): IsoMessage {
  const fields: IsoMessage['fields'] = {
    2: input.pan,
    3: input.processingCode ?? '000000',
    4: String(input.amountMinor).padStart(12, '0'),
    7: input.transmittedAt ?? '1125213000',
    11: input.stan ?? freshStan(),
    12: '213000',
    13: '1125',
    22: '051',
    25: '00',
    32: input.acquirerId ?? '12345678',
    41: (input.terminalId ?? 'T0000001').padEnd(8, ' '),
    42: 'M00000000000001',
    49: '156',
  };
  if (input.expiry !== null) fields[14] = input.expiry ?? '3012';
  if (input.cvv !== undefined) fields[48] = `CVV2=${input.cvv}`;
  if (input.original !== undefined) fields[90] = input.original;
  return { mti: input.mti ?? '0200', fields };
}

/** DE 90 naming an earlier request. */
export function originalDataOf(original: IsoMessage): string {
  const text = (de: number): string => String(original.fields[de] ?? '');
  return `${original.mti}${text(11)}${text(7)}${text(32).padStart(11, '0')}${'0'.repeat(11)}`;
}

/** A 0400 (or 0401) reversal of an earlier request, with its own new STAN. */
export function reversalOf(original: IsoMessage, stan: string, mti = '0400'): IsoMessage {
  const fields: IsoMessage['fields'] = {
    3: original.fields[3] ?? '000000',
    4: original.fields[4] ?? '000000000000',
    7: '1125213100',
    11: stan,
    32: original.fields[32] ?? '12345678',
    39: '98',
    41: original.fields[41] ?? 'T0000001',
    42: original.fields[42] ?? 'M00000000000001',
    49: original.fields[49] ?? '156',
    90: originalDataOf(original),
  };
  return { mti, fields };
}

export function echoRequest(code = '301', stan = freshStan()): IsoMessage {
  return { mti: '0800', fields: { 7: '1125213000', 11: stan, 70: code } };
}
