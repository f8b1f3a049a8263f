// One line of a channel's clearing file, read with the channel's layout (clearing-layout.ts). Pure:
// the caller decodes and splits the file into lines. A line that does not fit is refused with its line
// number and the layout field, never guessed; a full card number in a card column is masked at once.
import { maskPan } from '../cards/pan.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
import { amountMinorMax } from '../fees/fee-plan.ts';
import { layoutLimits, type ClearingFieldName, type ClearingKind, type ClearingLayout, type ClearingStatus } from './clearing-layout.ts';

/** What reswipe keeps of one clearing line. No full PAN: `cardMasked` is first 6 and last 4 at most. */
export interface ClearingLine {
  readonly lineNo: number;
  readonly rrn: string | null;
  readonly stan: string | null;
  readonly terminalId: string | null;
  /** DE 7 as the channel echoes it: MMDDhhmmss. */
  readonly transmittedAt: string | null;
  /** YYYY-MM-DD, or MMDD when the layout's dates have no year. */
  readonly date: string | null;
  readonly time: string | null;
  readonly authCode: string | null;
  readonly kind: ClearingKind;
  readonly status: ClearingStatus;
  /** Always positive; the kind says the direction. */
  readonly amountMinor: number;
  readonly feeMinor: number | null;
  readonly currency: string | null;
  readonly merchantId: string | null;
  readonly cardMasked: string | null;
}

function refuse(lineNo: number, field: string, reason: string): never {
  throw new ReswipeError('RSW_RECON_LINE_INVALID', { lineNo, reason: `${field} ${reason}`, field });
}

/** Splits one delimited line; `quote` doubles inside a quoted value (RFC 4180), values do not span lines. */
export function splitDelimited(text: string, delimiter: string, quote: string | null, lineNo: number): string[] {
  if (quote === null || !text.includes(quote)) return text.split(delimiter);
  const values: string[] = [];
  let value = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          value += quote;
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        continue;
      }
      value += ch;
      i += 1;
      continue;
    }
    if (ch === quote && value === '') quoted = true;
    else if (ch === delimiter) {
      values.push(value);
      value = '';
    } else value += ch;
    i += 1;
  }
  if (quoted) refuse(lineNo, 'line', 'has a quote that is never closed');
  values.push(value);
  return values;
}

/** A spreadsheet-safe prefix (') that reswipe's own statement writer adds is taken off again. */
function clean(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith("'") ? trimmed.slice(1) : trimmed;
}

function rawFields(layout: ClearingLayout, text: string, lineNo: number): Map<ClearingFieldName, string> {
  const values = new Map<ClearingFieldName, string>();
  if (layout.type === 'delimited') {
    const columns = splitDelimited(text, layout.delimiter, layout.quote, lineNo);
    for (const field of layout.fields) {
      const value = columns[field.column];
      if (value === undefined) refuse(lineNo, field.name, `is in column ${field.column + 1}, but the line has ${columns.length} columns`);
      values.set(field.name, clean(value));
    }
  } else {
    for (const field of layout.fields) {
      if (text.length < field.start + field.length && field.name === 'amount') refuse(lineNo, field.name, `is at characters ${field.start + 1}-${field.start + field.length}, but the line has ${text.length}`);
      values.set(field.name, text.slice(field.start, field.start + field.length).trim());
    }
  }
  return values;
}

function parseAmount(text: string, unit: 'fen' | 'yuan', lineNo: number, field: string): number {
  const unsigned = text.replace(/^\+/, '');
  let minor: number;
  if (unit === 'fen') {
    if (!/^[0-9]{1,15}$/.test(unsigned)) refuse(lineNo, field, 'must be whole fen (digits only)');
    minor = Number(unsigned);
  } else {
    const match = /^([0-9]{1,13})(?:\.([0-9]{1,2}))?$/.exec(unsigned.replace(/,/g, ''));
    if (match === null) refuse(lineNo, field, 'must be yuan with at most two decimals');
    minor = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  }
  if (minor > amountMinorMax) refuse(lineNo, field, `must be at most ${amountMinorMax} fen`);
  return minor;
}

function parseDate(text: string, format: ClearingLayout['dateFormat'], lineNo: number): string {
  const pattern = format === 'YYYYMMDD' ? /^(\d{4})(\d{2})(\d{2})$/ : format === 'YYYY-MM-DD' ? /^(\d{4})-(\d{2})-(\d{2})$/ : /^()(\d{2})(\d{2})$/;
  const match = pattern.exec(text);
  if (match === null) refuse(lineNo, 'date', `must be ${format}`);
  const [, year, month, day] = match as unknown as [string, string, string, string];
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31) refuse(lineNo, 'date', 'is not a calendar date');
  return year === '' ? `${month}${day}` : `${year}-${month}-${day}`;
}

function optional(values: Map<ClearingFieldName, string>, name: ClearingFieldName, lineNo: number, pattern: RegExp, reason: string): string | null {
  const value = values.get(name);
  if (value === undefined || value === '') return null;
  if (!pattern.test(value)) refuse(lineNo, name, reason);
  return value;
}

/** Card columns may hold a masked card or, in some banks' files, a full number: keep only the masked form. */
function maskedCard(value: string | undefined, lineNo: number): string | null {
  if (value === undefined || value === '') return null;
  const digits = value.replace(/[\s-]/g, '');
  if (/^[0-9]{13,19}$/.test(digits)) return maskPan(digits);
  if (!/^[0-9]{0,10}[*xX]{1,13}[0-9]{0,4}$/.test(digits)) refuse(lineNo, 'cardMasked', 'must be a masked card number like 622202******0018');
  return digits.replace(/[xX]/g, '*');
}

/**
 * Reads one line. Null for a line that is not a transaction (blank, or starting with one of the
 * layout's ignored prefixes); the caller skips the layout's first `skipLines` lines itself.
 */
export function parseClearingLine(layout: ClearingLayout, text: string, lineNo: number): ClearingLine | null {
  if (text.length > layoutLimits.lineCharsMax) throw new ReswipeError('RSW_RECON_FILE_TOO_LARGE', { what: `line ${lineNo} length`, limit: `${layoutLimits.lineCharsMax} characters` });
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (line.trim() === '' || layout.ignorePrefixes.some((prefix) => line.startsWith(prefix))) return null;
  const values = rawFields(layout, line, lineNo);
  const amountText = values.get('amount');
  if (amountText === undefined || amountText === '') refuse(lineNo, 'amount', 'is empty');
  const kindCode = values.get('kind');
  const kind = kindCode === undefined ? 'sale' : layout.kindCodes[kindCode];
  if (kind === undefined) refuse(lineNo, 'kind', `code "${kindCode?.slice(0, 10)}" is not in the layout's kindCodes`);
  const statusCode = values.get('status');
  const status = statusCode === undefined ? 'settled' : layout.statusCodes[statusCode];
  if (status === undefined) refuse(lineNo, 'status', `code "${statusCode?.slice(0, 10)}" is not in the layout's statusCodes`);
  const feeText = values.get('fee');
  const dateText = values.get('date');
  return {
    lineNo,
    rrn: optional(values, 'rrn', lineNo, /^[0-9A-Za-z]{1,12}$/, 'must be 1-12 letters or digits'),
    stan: optional(values, 'stan', lineNo, /^[0-9]{1,6}$/, 'must be 1-6 digits')?.padStart(6, '0') ?? null,
    terminalId: optional(values, 'terminalId', lineNo, /^[0-9A-Za-z]{1,16}$/, 'must be 1-16 letters or digits'),
    transmittedAt: optional(values, 'transmittedAt', lineNo, /^[0-9]{10}$/, 'must be MMDDhhmmss'),
    date: dateText === undefined || dateText === '' ? null : parseDate(dateText, layout.dateFormat, lineNo),
    time: optional(values, 'time', lineNo, /^[0-9]{2}:?[0-9]{2}:?[0-9]{2}$/, 'must be hhmmss or hh:mm:ss'),
    authCode: optional(values, 'authCode', lineNo, /^[0-9A-Za-z ]{1,6}$/, 'must be 1-6 letters or digits'),
    kind,
    status,
    amountMinor: parseAmount(amountText, layout.amountUnit, lineNo, 'amount'),
    feeMinor: feeText === undefined || feeText === '' ? null : parseAmount(feeText, layout.amountUnit, lineNo, 'fee'),
    currency: optional(values, 'currency', lineNo, /^[A-Z]{3}$|^[0-9]{3}$/, 'must be an ISO 4217 code'),
    merchantId: optional(values, 'merchantId', lineNo, /^[0-9A-Za-z_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -'),
    cardMasked: maskedCard(values.get('cardMasked'), lineNo),
  };
}
