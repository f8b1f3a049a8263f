// A channel's clearing-file layout as data (docs/reconciliation.md, "Formats"): which column or byte
// range holds which field, how amounts and dates are written, and which codes mean sale, refund,
// settled or reversed. A real bank's layout is a small JSON format file validated here, not code.
// Pure: parsing one line of text is in parse-clearing-line.ts; reading files is an adapter.
import { ReswipeError } from '../errors/reswipe-error.ts';

/** The fields reswipe reads from a clearing line. Only `amount` is required; matching needs at least one key. */
export const clearingFieldNames = ['rrn', 'stan', 'terminalId', 'transmittedAt', 'date', 'time', 'authCode', 'kind', 'status', 'amount', 'fee', 'currency', 'merchantId', 'cardMasked'] as const;
export type ClearingFieldName = (typeof clearingFieldNames)[number];

/** What a clearing line says happened. */
export const clearingKinds = ['sale', 'completion', 'refund'] as const;
export type ClearingKind = (typeof clearingKinds)[number];
export const clearingStatuses = ['settled', 'reversed'] as const;
export type ClearingStatus = (typeof clearingStatuses)[number];

export interface DelimitedField {
  readonly name: ClearingFieldName;
  /** 0-based column. */
  readonly column: number;
}

export interface FixedWidthField {
  readonly name: ClearingFieldName;
  /** 0-based character offset and width (characters, not bytes: files are decoded first). */
  readonly start: number;
  readonly length: number;
}

interface LayoutCommon {
  readonly name: string;
  /** `utf8` or `gbk` (many Chinese banks still write GBK). */
  readonly encoding: 'utf8' | 'gbk';
  /** Lines to skip at the top (titles, a header row). */
  readonly skipLines: number;
  /** Lines starting with one of these are not transactions (trailer, totals, comments). */
  readonly ignorePrefixes: readonly string[];
  /** `fen`: integer minor units (`1234`, `000000001234`); `yuan`: decimal yuan (`12.34`). */
  readonly amountUnit: 'fen' | 'yuan';
  /** How `date` is written. */
  readonly dateFormat: 'YYYYMMDD' | 'YYYY-MM-DD' | 'MMDD';
  /** The file's codes for the kind and status columns, mapped to reswipe's words. Absent column: sale, settled. */
  readonly kindCodes: Readonly<Record<string, ClearingKind>>;
  readonly statusCodes: Readonly<Record<string, ClearingStatus>>;
}

export type ClearingLayout =
  | (LayoutCommon & { readonly type: 'delimited'; readonly delimiter: string; readonly quote: string | null; readonly fields: readonly DelimitedField[] })
  | (LayoutCommon & { readonly type: 'fixed'; readonly fields: readonly FixedWidthField[] });

/**
 * The documented default: reswipe's own CSV (UTF-8, comma, RFC 4180 quotes, one header row). The
 * issuer simulator writes it, and a channel without a format file is read with it.
 *
 *   date,time,terminal_id,stan,transmitted_at,rrn,auth_code,kind,status,amount_minor,fee_minor,currency,merchant_id,card_masked
 */
export const defaultClearingColumns = ['date', 'time', 'terminal_id', 'stan', 'transmitted_at', 'rrn', 'auth_code', 'kind', 'status', 'amount_minor', 'fee_minor', 'currency', 'merchant_id', 'card_masked'] as const;

const defaultFieldOfColumn: Readonly<Record<(typeof defaultClearingColumns)[number], ClearingFieldName>> = {
  date: 'date',
  time: 'time',
  terminal_id: 'terminalId',
  stan: 'stan',
  transmitted_at: 'transmittedAt',
  rrn: 'rrn',
  auth_code: 'authCode',
  kind: 'kind',
  status: 'status',
  amount_minor: 'amount',
  fee_minor: 'fee',
  currency: 'currency',
  merchant_id: 'merchantId',
  card_masked: 'cardMasked',
};

export const defaultClearingLayout: ClearingLayout = Object.freeze({
  name: 'reswipe-csv',
  type: 'delimited',
  delimiter: ',',
  quote: '"',
  encoding: 'utf8',
  skipLines: 1,
  ignorePrefixes: ['#'],
  amountUnit: 'fen',
  dateFormat: 'YYYY-MM-DD',
  kindCodes: { sale: 'sale', completion: 'completion', refund: 'refund' },
  statusCodes: { settled: 'settled', reversed: 'reversed' },
  fields: defaultClearingColumns.map((column, index) => ({ name: defaultFieldOfColumn[column], column: index })),
} satisfies ClearingLayout);

/** Bounds of a layout file. */
export const layoutLimits = Object.freeze({ fieldsMax: 64, lineCharsMax: 4096, codesMax: 64, skipLinesMax: 100 });

function refuse(layout: string, field: string, reason: string): never {
  throw new ReswipeError('RSW_RECON_LAYOUT_INVALID', { layout, reason, field });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readInteger(name: string, value: unknown, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) refuse(name, field, `must be an integer from ${min} to ${max}`);
  return value as number;
}

function readCodes<T extends string>(name: string, value: unknown, field: string, allowed: readonly T[], fallback: Readonly<Record<string, T>>): Readonly<Record<string, T>> {
  if (value === undefined) return fallback;
  if (!isRecord(value)) refuse(name, field, 'must be an object of file code to reswipe word');
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > layoutLimits.codesMax) refuse(name, field, `must map 1 to ${layoutLimits.codesMax} codes`);
  const codes: Record<string, T> = {};
  for (const [code, word] of entries) {
    if (!allowed.includes(word as T)) refuse(name, `${field}.${code}`, `must be one of ${allowed.join(', ')}`);
    codes[code] = word as T;
  }
  return Object.freeze(codes);
}

const knownKeys = new Set(['name', 'type', 'delimiter', 'quote', 'encoding', 'skipLines', 'ignorePrefixes', 'amountUnit', 'dateFormat', 'kindCodes', 'statusCodes', 'fields']);

/**
 * Validates a format file's JSON into a layout. Unknown keys, unknown field names, a field given twice,
 * overlapping fixed-width ranges, and a layout with no matching key (RRN, STAN + terminal + DE 7, or
 * authorization code) are refused with the key they concern.
 */
export function validateClearingLayout(input: unknown): ClearingLayout {
  if (!isRecord(input)) refuse('?', '', 'must be a JSON object');
  const name = typeof input.name === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(input.name) ? input.name : refuse('?', 'name', 'must be 1-64 letters, digits, dot, dash or underscore');
  for (const key of Object.keys(input)) if (!knownKeys.has(key)) refuse(name, key, 'is not a layout key');
  const type = input.type === 'delimited' || input.type === 'fixed' ? input.type : refuse(name, 'type', 'must be delimited or fixed');
  const encoding = input.encoding === undefined ? 'utf8' : input.encoding === 'utf8' || input.encoding === 'gbk' ? input.encoding : refuse(name, 'encoding', 'must be utf8 or gbk');
  const skipLines = input.skipLines === undefined ? 0 : readInteger(name, input.skipLines, 'skipLines', 0, layoutLimits.skipLinesMax);
  const ignorePrefixes = input.ignorePrefixes === undefined ? [] : Array.isArray(input.ignorePrefixes) && input.ignorePrefixes.length <= 10 && input.ignorePrefixes.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 20)
    ? (input.ignorePrefixes as string[])
    : refuse(name, 'ignorePrefixes', 'must be at most 10 non-empty strings');
  const amountUnit = input.amountUnit === undefined ? 'fen' : input.amountUnit === 'fen' || input.amountUnit === 'yuan' ? input.amountUnit : refuse(name, 'amountUnit', 'must be fen or yuan');
  const dateFormat = input.dateFormat === undefined ? 'YYYYMMDD' : input.dateFormat === 'YYYYMMDD' || input.dateFormat === 'YYYY-MM-DD' || input.dateFormat === 'MMDD' ? input.dateFormat : refuse(name, 'dateFormat', 'must be YYYYMMDD, YYYY-MM-DD or MMDD');
  const kindCodes = readCodes(name, input.kindCodes, 'kindCodes', clearingKinds, { sale: 'sale', completion: 'completion', refund: 'refund' });
  const statusCodes = readCodes(name, input.statusCodes, 'statusCodes', clearingStatuses, { settled: 'settled', reversed: 'reversed' });
  if (!Array.isArray(input.fields) || input.fields.length === 0 || input.fields.length > layoutLimits.fieldsMax) refuse(name, 'fields', `must list 1 to ${layoutLimits.fieldsMax} fields`);
  const seen = new Set<string>();
  const common = { name, encoding, skipLines, ignorePrefixes: Object.freeze([...ignorePrefixes]), amountUnit, dateFormat, kindCodes, statusCodes } as const;
  let layout: ClearingLayout;
  if (type === 'delimited') {
    const delimiter = typeof input.delimiter === 'string' && input.delimiter.length === 1 && input.delimiter !== '\n' && input.delimiter !== '\r' ? input.delimiter : refuse(name, 'delimiter', 'must be one character (",", "|", "\\t" ...)');
    const quote = input.quote === undefined || input.quote === null ? null : typeof input.quote === 'string' && input.quote.length === 1 && input.quote !== delimiter ? input.quote : refuse(name, 'quote', 'must be one character other than the delimiter, or null');
    const fields = (input.fields as unknown[]).map((field, index): DelimitedField => {
      if (!isRecord(field)) refuse(name, `fields[${index}]`, 'must be {name, column}');
      const fieldName = readFieldName(name, field.name, `fields[${index}].name`, seen);
      return { name: fieldName, column: readInteger(name, field.column, `fields[${index}].column`, 0, 255) };
    });
    const columns = new Set(fields.map((field) => field.column));
    if (columns.size !== fields.length) refuse(name, 'fields', 'two fields read the same column');
    layout = { ...common, type, delimiter, quote, fields: Object.freeze(fields) };
  } else {
    const fields = (input.fields as unknown[]).map((field, index): FixedWidthField => {
      if (!isRecord(field)) refuse(name, `fields[${index}]`, 'must be {name, start, length}');
      const fieldName = readFieldName(name, field.name, `fields[${index}].name`, seen);
      const start = readInteger(name, field.start, `fields[${index}].start`, 0, layoutLimits.lineCharsMax - 1);
      const length = readInteger(name, field.length, `fields[${index}].length`, 1, layoutLimits.lineCharsMax - start);
      return { name: fieldName, start, length };
    });
    const sorted = [...fields].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i += 1) {
      const before = sorted[i - 1] as FixedWidthField;
      const field = sorted[i] as FixedWidthField;
      if (before.start + before.length > field.start) refuse(name, 'fields', `${before.name} and ${field.name} overlap`);
    }
    layout = { ...common, type, fields: Object.freeze(fields) };
  }
  if (!seen.has('amount')) refuse(name, 'fields', 'must include amount');
  const hasKey = seen.has('rrn') || (seen.has('stan') && seen.has('terminalId') && seen.has('transmittedAt')) || seen.has('authCode');
  if (!hasKey) refuse(name, 'fields', 'must include a matching key: rrn, or stan + terminalId + transmittedAt, or authCode');
  return Object.freeze(layout);
}

function readFieldName(layout: string, value: unknown, field: string, seen: Set<string>): ClearingFieldName {
  if (typeof value !== 'string' || !(clearingFieldNames as readonly string[]).includes(value)) refuse(layout, field, `must be one of ${clearingFieldNames.join(', ')}`);
  if (seen.has(value)) refuse(layout, field, `${value} is given twice`);
  seen.add(value);
  return value as ClearingFieldName;
}
