// The simulated issuer's clearing file (清算文件) for one business day, in reswipe's default CSV
// layout (docs/reconciliation.md), written from its own books: every charge and refund it approved in
// the day's window, `settled`, or `reversed` when a reversal reached it. Faults make the file
// disagree with the gateway on purpose, one kind per line, on the first eligible lines in time order,
// and the list of what was changed is returned with the file so a test knows exactly what to expect.
// Pure: the books and the window in, text out.
import { businessDayWindow } from '../../core/fees/business-date.ts';
import { defaultClearingColumns } from '../../core/reconciliation/clearing-layout.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { IssuerBook, LedgerEntry } from './issuer-book.ts';

export const clearingFaultKinds = ['missingSale', 'extraSale', 'amountDiffers', 'feeDiffers', 'reversalUnseen', 'reversedUpstream'] as const;
export type ClearingFaultKind = (typeof clearingFaultKinds)[number];
export type ClearingFaults = Partial<Record<ClearingFaultKind, number>>;

export interface AppliedClearingFault {
  readonly fault: ClearingFaultKind;
  readonly rrn: string;
  readonly stan: string;
  readonly amountMinor: number;
}

export interface ClearingFileOptions {
  readonly businessDate: string;
  readonly timeZone: string;
  readonly cutoff: string;
  readonly faults: ClearingFaults;
}

/** Lines of one fault kind per file. */
export const clearingFaultsMax = 100;
/** The fee a `feeDiffers` line carries: a rate no built-in plan charges. */
export const faultFeeBps = 123;

interface Row {
  date: string;
  time: string;
  terminalId: string;
  stan: string;
  transmittedAt: string;
  rrn: string;
  authCode: string;
  kind: 'sale' | 'refund';
  status: 'settled' | 'reversed';
  amountMinor: number;
  feeMinor: number | null;
  cardMasked: string;
}

export function validateClearingFaults(input: Record<string, string | null>): ClearingFaults {
  const faults: ClearingFaults = {};
  for (const kind of clearingFaultKinds) {
    const text = input[kind];
    if (text === null || text === undefined) continue;
    const count = /^[0-9]{1,3}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(count) || count > clearingFaultsMax) throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: `${kind} must be a count from 0 to ${clearingFaultsMax}` });
    faults[kind] = count;
  }
  return faults;
}

const partFormatters = new Map<string, Intl.DateTimeFormat>();
function localParts(atMs: number, timeZone: string): { date: string; time: string } {
  let formatter = partFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    partFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(atMs)).map((part) => [part.type, part.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}` };
}

function csvValue(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function rowOf(key: string, entry: LedgerEntry, timeZone: string): Row | null {
  if (entry.money.kind === 'hold') return null;
  // The request key is DE 32 | DE 41 | DE 11 | DE 7.
  const [, terminalId = '', stan = '', transmittedAt = ''] = key.split('|');
  const local = localParts(entry.atMs, timeZone);
  return {
    date: local.date,
    time: local.time,
    terminalId,
    stan,
    transmittedAt,
    rrn: entry.money.rrn,
    authCode: entry.money.authCode,
    kind: entry.money.kind === 'refund' ? 'refund' : 'sale',
    status: entry.reversedAtMs === null ? 'settled' : 'reversed',
    amountMinor: entry.money.amountMinor,
    feeMinor: null,
    cardMasked: entry.money.panMasked,
  };
}

export function writeClearingFile(book: IssuerBook, options: ClearingFileOptions): { csv: string; applied: AppliedClearingFault[]; lines: number } {
  const window = businessDayWindow(options.businessDate, options.timeZone, options.cutoff);
  const rows: Row[] = [];
  const entries = [...book.records.values()].filter((record) => !record.isReversal && record.entry !== null && record.entry.atMs >= window.fromMs && record.entry.atMs < window.toMs);
  entries.sort((a, b) => (a.entry as LedgerEntry).atMs - (b.entry as LedgerEntry).atMs || (a.key < b.key ? -1 : 1));
  for (const record of entries) {
    const row = rowOf(record.key, record.entry as LedgerEntry, options.timeZone);
    if (row !== null) rows.push(row);
  }
  const applied: AppliedClearingFault[] = [];
  const touched = new Set<Row>();
  const take = (fault: ClearingFaultKind, eligible: (row: Row) => boolean, change: (row: Row) => void): void => {
    let left = options.faults[fault] ?? 0;
    for (const row of rows) {
      if (left === 0) break;
      if (touched.has(row) || !eligible(row)) continue;
      touched.add(row);
      applied.push({ fault, rrn: row.rrn, stan: row.stan, amountMinor: row.amountMinor });
      change(row);
      left -= 1;
    }
  };
  const settledSale = (row: Row): boolean => row.kind === 'sale' && row.status === 'settled';
  take('reversalUnseen', (row) => row.status === 'reversed', (row) => (row.status = 'settled'));
  take('reversedUpstream', settledSale, (row) => (row.status = 'reversed'));
  take('amountDiffers', settledSale, (row) => (row.amountMinor += 100));
  take('feeDiffers', settledSale, (row) => (row.feeMinor = Math.round((row.amountMinor * faultFeeBps) / 10_000)));
  const missing = new Set<Row>();
  take('missingSale', settledSale, (row) => missing.add(row));
  const extra = options.faults.extraSale ?? 0;
  for (let i = 0; i < extra; i += 1) {
    const at = localParts(window.fromMs + 3_600_000 * (i + 1), options.timeZone);
    const row: Row = { date: options.businessDate, time: at.time, terminalId: 'SIMXTRA1', stan: String(900_001 + i), transmittedAt: '', rrn: `9${String(i + 1).padStart(11, '0')}`, authCode: 'XTRA01', kind: 'sale', status: 'settled', amountMinor: 8_800 + i, feeMinor: null, cardMasked: '622202******0000' };
    rows.push(row);
    applied.push({ fault: 'extraSale', rrn: row.rrn, stan: row.stan, amountMinor: row.amountMinor });
  }
  const lines = [defaultClearingColumns.join(',')];
  for (const row of rows) {
    if (missing.has(row)) continue;
    lines.push(
      [row.date, row.time, row.terminalId, row.stan, row.transmittedAt, row.rrn, row.authCode, row.kind, row.status, String(row.amountMinor), row.feeMinor === null ? '' : String(row.feeMinor), 'CNY', '', row.cardMasked].map(csvValue).join(','),
    );
  }
  return { csv: `${lines.join('\r\n')}\r\n`, applied, lines: lines.length - 1 };
}
