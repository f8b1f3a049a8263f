// The merchant statement (对账单) as CSV text. Pure: rows in, text out.
//
// The column order is a contract with merchants' spreadsheets and scripts: columns are never
// reordered, renamed or removed; new columns go only at the end (statementColumns is checked by a test).
import type { SettlementBatchRecord } from '../ports/store.ts';
import { statementAmountMinor, type StatementLine } from './settlement-batch.ts';

export const statementColumns = [
  'record_type',
  'merchant_id',
  'business_date',
  'payout_date',
  'settle_mode',
  'payment_id',
  'kind',
  'created_at',
  'terminal_id',
  'card_masked',
  'method',
  'amount_minor',
  'fee_minor',
  'net_minor',
  'rate_bps',
  'plan',
  'rule',
  'rrn',
  'auth_code',
  'original_payment_id',
] as const;

export type StatementColumn = (typeof statementColumns)[number];

/**
 * One `detail` row per statement line, then one `total` row whose amount is gross minus refunds plus
 * reconciliation adjustments,
 * whose fee and net are the batch's. Lines end with CRLF (RFC 4180).
 */
export function writeStatementCsv(batch: SettlementBatchRecord, lines: readonly StatementLine[]): string {
  const rows: string[] = [statementColumns.join(',')];
  const common = { merchant_id: batch.merchantId, business_date: batch.businessDate, payout_date: batch.payoutDate, settle_mode: batch.settleMode };
  for (const line of lines) {
    rows.push(
      formatRow({
        ...common,
        record_type: 'detail',
        payment_id: line.paymentId,
        kind: line.kind,
        created_at: new Date(line.createdAtMs).toISOString(),
        terminal_id: line.terminalId ?? '',
        card_masked: line.cardMasked,
        method: line.method,
        amount_minor: String(line.amountMinor),
        fee_minor: String(line.feeMinor),
        net_minor: String(line.netMinor),
        rate_bps: line.rateBps === null ? '' : String(line.rateBps),
        plan: line.plan,
        rule: line.rule,
        rrn: line.rrn ?? '',
        auth_code: line.authCode ?? '',
        original_payment_id: line.originalPaymentId ?? '',
      }),
    );
  }
  rows.push(
    formatRow({
      ...common,
      record_type: 'total',
      payment_id: '',
      kind: `${lines.length} lines`,
      created_at: new Date(batch.createdAtMs).toISOString(),
      terminal_id: '',
      card_masked: '',
      method: '',
      amount_minor: String(statementAmountMinor(batch)),
      fee_minor: String(batch.feesMinor),
      net_minor: String(batch.netMinor),
      rate_bps: '',
      plan: '',
      rule: '',
      rrn: '',
      auth_code: '',
      original_payment_id: '',
    }),
  );
  return `${rows.join('\r\n')}\r\n`;
}

function formatRow(row: Record<StatementColumn, string>): string {
  return statementColumns.map((column) => escapeCell(row[column])).join(',');
}

const numberPattern = /^-?\d+$/;

/** RFC 4180 quoting, plus a leading apostrophe on text that a spreadsheet would run as a formula. */
export function escapeCell(value: string): string {
  const safe = !numberPattern.test(value) && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Parses statement CSV back into rows (for tests and `reswipe settle` checks); handles quoted cells. */
export function parseStatementCsv(text: string): Array<Record<string, string>> {
  const records: string[][] = [];
  let cell = '';
  let record: string[] = [];
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(cell);
      cell = '';
    } else if (char === '\n') {
      record.push(cell.endsWith('\r') ? cell.slice(0, -1) : cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || record.length > 0) records.push([...record, cell]);
  const [header, ...body] = records;
  if (header === undefined) return [];
  return body.map((values) => Object.fromEntries(header.map((name, column) => [name, values[column] ?? ''])));
}
