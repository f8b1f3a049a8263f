// The monthly statement of one merchant (月结单): its settlement batches of a calendar month (by
// business date), each with its payout, and the month's totals. Pure: data in, data and HTML out.
// The HTML is self-contained (no script, no external file, one inline style whose hash the server
// puts in the page's Content-Security-Policy) and prints on A4; every amount is exact to the fen.
import { createHash } from 'node:crypto';
import { ReswipeError } from '../errors/reswipe-error.ts';
import { formatMinorAsYuan } from '../fees/parse-yuan.ts';
import type { MerchantRecord, SettlementBatchRecord } from '../ports/store.ts';
import type { PayoutView } from '../payouts/payout-view.ts';
import { settleModeZh } from './statement-csv-zh.ts';

export interface MonthlyStatementRow {
  readonly batch: SettlementBatchRecord;
  /** The batch's live payout (or its latest failed one); null when none was made. */
  readonly payout: PayoutView | null;
}

export interface MonthlyStatement {
  readonly merchant: Pick<MerchantRecord, 'id' | 'name'>;
  readonly month: string;
  readonly rows: readonly MonthlyStatementRow[];
  readonly totals: { grossMinor: number; refundsMinor: number; feesMinor: number; netMinor: number; paidMinor: number; unpaidMinor: number };
  readonly generatedAt: string;
}

/** Validates YYYY-MM and returns the first and last date of the month. */
export function monthRange(month: string, field = 'month'): { fromDate: string; toDate: string } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (match === null) throw new ReswipeError('RSW_PAYOUT_BAD_MONTH', { field, reason: 'must be a month YYYY-MM' });
  const year = Number(match[1]);
  const monthNumber = Number(match[2]);
  const lastDay = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  return { fromDate: `${month}-01`, toDate: `${month}-${String(lastDay).padStart(2, '0')}` };
}

export function buildMonthlyStatement(merchant: Pick<MerchantRecord, 'id' | 'name'>, month: string, rows: readonly MonthlyStatementRow[], generatedAtMs: number): MonthlyStatement {
  const { fromDate, toDate } = monthRange(month);
  const sorted = [...rows].sort((a, b) => (a.batch.businessDate < b.batch.businessDate ? -1 : a.batch.businessDate > b.batch.businessDate ? 1 : 0));
  const totals = { grossMinor: 0, refundsMinor: 0, feesMinor: 0, netMinor: 0, paidMinor: 0, unpaidMinor: 0 };
  for (const row of sorted) {
    const { batch } = row;
    if (batch.merchantId !== merchant.id || batch.businessDate < fromDate || batch.businessDate > toDate) {
      throw new Error(`batch ${batch.id} is not of merchant ${merchant.id} in ${month}`);
    }
    totals.grossMinor += batch.grossMinor;
    totals.refundsMinor += batch.refundsMinor;
    totals.feesMinor += batch.feesMinor;
    totals.netMinor += batch.netMinor;
    if (row.payout?.state === 'paid') totals.paidMinor += row.payout.amountMinor;
    else if (batch.netMinor > 0) totals.unpaidMinor += batch.netMinor;
  }
  return { merchant: { id: merchant.id, name: merchant.name }, month, rows: sorted, totals, generatedAt: new Date(generatedAtMs).toISOString() };
}

const payoutStateLabels: Readonly<Record<string, string>> = {
  pending: '待发送 pending',
  sent: '已发送 sent',
  paid: '已到账 paid',
  failed: '失败 failed',
};

export const monthlyStatementStyle = `
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#111;font-size:12px}
h1{font-size:18px;margin:0 0 4px}
.meta{margin:0 0 16px;color:#444}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #999;padding:3px 5px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th{background:#eee}
tfoot td{font-weight:bold;background:#f6f6f6}
.reason{color:#a00}
.note{margin-top:12px;color:#444}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0}thead{display:table-header-group}tr{page-break-inside:avoid}}
`;

/** The value of the page's Content-Security-Policy: nothing loads, only the one inline style. */
export function monthlyStatementCsp(): string {
  const hash = createHash('sha256').update(monthlyStatementStyle, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; frame-ancestors 'none'`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function renderMonthlyStatementHtml(statement: MonthlyStatement): string {
  const yuan = (minor: number) => `¥${formatMinorAsYuan(minor)}`;
  const e = escapeHtml;
  const body = statement.rows
    .map(({ batch, payout }) => {
      const reason = payout?.reason == null ? '' : `<div class="reason">${e(payout.reason.zh)} / ${e(payout.reason.en)}${payout.reason.bankText !== null && payout.reason.bankText !== payout.reason.zh ? ` (${e(payout.reason.bankText)})` : ''}</div>`;
      return `<tr><td>${e(batch.businessDate)}</td><td>${e(settleModeZh(batch.settleMode))}</td><td class="num">${yuan(batch.grossMinor)}</td><td class="num">${yuan(batch.refundsMinor)}</td><td class="num">${yuan(batch.feesMinor)}</td><td class="num">${yuan(batch.netMinor)}</td><td>${e(payout?.expectedArrivalDate ?? batch.payoutDate)}</td><td>${e(payout?.actualArrivalDate ?? '')}</td><td>${payout === null ? (batch.netMinor > 0 ? '未出款 not paid out' : '无需出款 nothing to pay') : e(payoutStateLabels[payout.state] ?? payout.state)}${payout === null ? '' : ` <span>${e(payout.accountNumberMasked)}</span>`}${reason}</td></tr>`;
    })
    .join('\n');
  const t = statement.totals;
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${e(statement.merchant.name)} ${e(statement.month)} 月结单 Monthly statement</title>
<style>${monthlyStatementStyle}</style>
</head>
<body>
<h1>商户月结单 Monthly settlement statement</h1>
<p class="meta">商户 Merchant: ${e(statement.merchant.name)} (${e(statement.merchant.id)}) · 月份 Month: ${e(statement.month)} · 生成时间 Generated: ${e(statement.generatedAt)}</p>
<table>
<thead><tr><th>清算日期<br>Business date</th><th>结算周期<br>Cycle</th><th class="num">交易金额<br>Gross</th><th class="num">退货<br>Refunds</th><th class="num">手续费<br>Fees</th><th class="num">结算金额<br>Net</th><th>预计到账<br>Expected arrival</th><th>实际到账<br>Actual arrival</th><th>出款状态<br>Payout</th></tr></thead>
<tbody>
${body === '' ? '<tr><td colspan="9">本月无结算 No settlement this month</td></tr>' : body}
</tbody>
<tfoot><tr><td colspan="2">合计 Total</td><td class="num">${yuan(t.grossMinor)}</td><td class="num">${yuan(t.refundsMinor)}</td><td class="num">${yuan(t.feesMinor)}</td><td class="num">${yuan(t.netMinor)}</td><td colspan="3">已到账 Paid ${yuan(t.paidMinor)} · 未到账 Not yet paid ${yuan(t.unpaidMinor)}</td></tr></tfoot>
</table>
<p class="note">金额单位为人民币元，精确到分。结算金额 = 交易金额 − 退货 − 手续费。Amounts in CNY yuan, exact to the fen. Net = gross − refunds − fees.</p>
</body>
</html>
`;
}
