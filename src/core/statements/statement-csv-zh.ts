// The statement (对账单) for people: the same rows as the machine layout (statement-csv.ts), with
// Chinese headers, local times, yuan amounts and Chinese words for kinds and modes. Pure.
//
// The machine layout stays the contract for scripts; this layout is for reading in a spreadsheet,
// so it starts with a UTF-8 byte order mark (Excel then reads the Chinese correctly). Amounts are
// exact: formatted from fen with integer arithmetic, never a float.
import { escapeCell } from '../fees/statement-csv.ts';
import { formatMinorAsYuan } from '../fees/parse-yuan.ts';
import { statementAmountMinor, type StatementLine } from '../fees/settlement-batch.ts';
import type { SettlementBatchRecord } from '../ports/store.ts';
import { localTimeOf } from '../time/local-time.ts';

export const statementColumnsZh = [
  '记录类型',
  '商户号',
  '清算日期',
  '结算日期',
  '结算周期',
  '交易流水号',
  '交易类型',
  '交易时间',
  '终端号',
  '卡号',
  '支付方式',
  '交易金额(元)',
  '手续费(元)',
  '结算金额(元)',
  '费率(%)',
  '费率方案',
  '计费规则',
  '参考号',
  '授权码',
  '原交易流水号',
] as const;

const kindZh: Readonly<Record<string, string>> = { sale: '消费', completion: '预授权完成', refund: '退货' };
const methodZh: Readonly<Record<string, string>> = {
  debit: '借记卡',
  credit: '贷记卡',
  'quasi-credit': '准贷记卡',
  prepaid: '预付卡',
  wechat: '微信支付',
  alipay: '支付宝',
  'unionpay-qr': '云闪付',
  'digital-rmb': '数字人民币',
  unknown: '未知卡种',
};

export function settleModeZh(mode: 't1' | 'd0'): string {
  return mode === 't1' ? 'T+1' : 'D0';
}

/** 60 bp → "0.60". */
export function formatBpsAsPercent(rateBps: number): string {
  return formatMinorAsYuan(rateBps);
}

/** An instant as local `YYYY-MM-DD HH:mm:ss` in the settlement time zone. */
export function formatLocalDateTime(atMs: number, timeZone: string): string {
  const t = localTimeOf(atMs, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${t.year}-${two(t.month)}-${two(t.day)} ${two(t.hour)}:${two(t.minute)}:${two(t.second)}`;
}

export function writeStatementCsvZh(batch: SettlementBatchRecord, lines: readonly StatementLine[], timeZone: string): string {
  const common = [batch.merchantId, batch.businessDate, batch.payoutDate, settleModeZh(batch.settleMode)];
  const rows: string[][] = [[...statementColumnsZh]];
  for (const line of lines) {
    const kind = line.lineType === 'fee_adjustment' ? '手续费调整' : line.lineType === 'adjustment' ? '对账调整' : (kindZh[line.kind] ?? line.kind);
    rows.push([
      '明细',
      ...common,
      line.paymentId,
      kind,
      formatLocalDateTime(line.createdAtMs, timeZone),
      line.terminalId ?? '',
      line.cardMasked,
      methodZh[line.method] ?? line.method,
      formatMinorAsYuan(line.amountMinor),
      formatMinorAsYuan(line.feeMinor),
      formatMinorAsYuan(line.netMinor),
      line.rateBps === null ? '' : formatBpsAsPercent(line.rateBps),
      line.plan,
      line.rule,
      line.rrn ?? '',
      line.authCode ?? '',
      line.originalPaymentId ?? '',
    ]);
  }
  rows.push([
    '合计',
    ...common,
    '',
    `${lines.length} 笔`,
    formatLocalDateTime(batch.createdAtMs, timeZone),
    '',
    '',
    '',
    // Gross - refunds + reconciliation adjustments: the detail rows' amounts add up to it (docs/reconciliation.md).
    formatMinorAsYuan(statementAmountMinor(batch)),
    formatMinorAsYuan(batch.feesMinor),
    formatMinorAsYuan(batch.netMinor),
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  // Yuan amounts like "-100.00" are numbers, not formulas: escapeCell only guards integers, so the
  // amount columns are written as they are (they come from formatMinorAsYuan, never from input).
  const amountColumns = new Set([11, 12, 13, 14]);
  const text = rows.map((row, rowIndex) => row.map((cell, column) => (rowIndex > 0 && amountColumns.has(column) ? cell : escapeCell(cell))).join(',')).join('\r\n');
  return `\uFEFF${text}\r\n`;
}
