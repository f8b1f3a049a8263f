// A merchant's monthly statement (月结单): the month's batches with their payouts, as data and as a
// printable, self-contained HTML page (docs/settlement.md "Monthly statement").
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { toPayoutView } from '../../core/payouts/payout-view.ts';
import type { PayoutRecord, StoreReader } from '../../core/ports/store.ts';
import { buildMonthlyStatement, monthRange, renderMonthlyStatementHtml, type MonthlyStatement } from '../../core/statements/monthly-statement.ts';

export async function loadMonthlyStatement(reader: StoreReader, merchantId: string, month: string, timeZone: string, nowMs: number): Promise<MonthlyStatement> {
  const { fromDate, toDate } = monthRange(month);
  const merchant = await reader.getMerchant(merchantId);
  if (merchant === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: merchantId, field: 'merchantId' });
  const batches = await reader.listSettlementBatches({ merchantId, fromDate, toDate });
  const payouts = await reader.listPayouts({ merchantId, fromDate, toDate });
  const byBatch = new Map<string, PayoutRecord>();
  // The live payout of a batch wins; without one, its latest failed attempt shows why no money came.
  for (const payout of payouts) {
    const seen = byBatch.get(payout.batchId);
    if (seen === undefined || (seen.state === 'failed' && (payout.state !== 'failed' || payout.attempt > seen.attempt))) byBatch.set(payout.batchId, payout);
  }
  const rows = batches.map((batch) => {
    const payout = byBatch.get(batch.id);
    return { batch, payout: payout === undefined ? null : toPayoutView(payout, timeZone) };
  });
  return buildMonthlyStatement(merchant, month, rows, nowMs);
}

export async function monthlyStatementHtml(reader: StoreReader, merchantId: string, month: string, timeZone: string, nowMs: number): Promise<string> {
  return renderMonthlyStatementHtml(await loadMonthlyStatement(reader, merchantId, month, timeZone, nowMs));
}
