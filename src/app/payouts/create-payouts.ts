// Makes the payout instructions of a business date: one per settlement batch with money to pay
// (net > 0), to the merchant's recorded account. Idempotent: a batch that already has a live payout
// (pending, sent or paid) gets no second one, whether the first was made a minute ago by this command,
// by another gateway node or by the HTTP API, because the store's unique index decides, not a read.
// A failed payout's batch gets a new payout (attempt + 1), to the account as it is now.
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import { businessDayWindow } from '../../core/fees/business-date.ts';
import { reconcileBatch } from '../../core/fees/settlement-batch.ts';
import { expectedArrivalDate } from '../../core/payouts/expected-arrival.ts';
import { payoutIdOf } from '../../core/payouts/payout-state.ts';
import type { PayoutRecord, SettlementBatchRecord } from '../../core/ports/store.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { listMerchantPayments } from '../fees/settle-day.ts';
import type { PayoutDeps } from './payout-deps.ts';

export type PayoutCreation =
  | { readonly batchId: string; readonly merchantId: string; readonly outcome: 'created' | 'existing'; readonly payout: PayoutRecord }
  | { readonly batchId: string; readonly merchantId: string; readonly outcome: 'nothing_to_pay' | 'no_account' | 'batch_mismatch'; readonly detail: string };

export async function createPayouts(deps: PayoutDeps, businessDate: string, nowMs: number, merchantId?: string): Promise<PayoutCreation[]> {
  const batches = await deps.store.listSettlementBatches({ fromDate: businessDate, toDate: businessDate, ...(merchantId === undefined ? {} : { merchantId }) });
  const results: PayoutCreation[] = [];
  for (const batch of batches) results.push(await createPayoutForBatch(deps, batch, nowMs));
  return results;
}

export async function createPayoutForBatch(deps: PayoutDeps, batch: SettlementBatchRecord, nowMs: number): Promise<PayoutCreation> {
  const base = { batchId: batch.id, merchantId: batch.merchantId };
  const existing = await deps.store.listPayouts({ batchId: batch.id });
  const live = existing.find((payout) => payout.state !== 'failed');
  if (live !== undefined) return { ...base, outcome: 'existing', payout: live };
  if (batch.netMinor <= 0) return { ...base, outcome: 'nothing_to_pay', detail: `net ${batch.netMinor} fen` };
  // The batch must still add up against its payments: money leaves only for a batch that reconciles.
  const window = businessDayWindow(batch.businessDate, deps.timeZone, deps.cutoff);
  const payments = await listMerchantPayments(deps.store, batch.merchantId, window.fromMs, window.toMs);
  const feeLines = await deps.store.listFeeLines({ merchantId: batch.merchantId, fromDate: batch.businessDate, toDate: batch.businessDate });
  const reconciliation = reconcileBatch(batch, payments, feeLines);
  if (!reconciliation.ok) {
    const detail = [...reconciliation.differences.map((d) => `${d.field} ${d.batchMinor} != ${d.recomputedMinor}`), ...reconciliation.problems.map((p) => `${p.paymentId} ${p.problem}`)].slice(0, 5).join('; ');
    return { ...base, outcome: 'batch_mismatch', detail: `${detail}; run \`reswipe settle run --date ${batch.businessDate}\` again` };
  }
  const account = await deps.store.getPayoutAccount(batch.merchantId);
  if (account === null) return { ...base, outcome: 'no_account', detail: 'no payout account; set one with `reswipe payouts account set`' };
  const attempt = existing.reduce((max, payout) => Math.max(max, payout.attempt), 0) + 1;
  const payout: PayoutRecord = {
    id: payoutIdOf(batch.id, attempt),
    batchId: batch.id,
    merchantId: batch.merchantId,
    businessDate: batch.businessDate,
    attempt,
    amountMinor: batch.netMinor,
    currency: 'CNY',
    settleMode: batch.settleMode,
    bankCode: account.bankCode,
    accountName: account.accountName,
    accountNumberSealed: account.accountNumberSealed,
    accountNumberMasked: account.accountNumberMasked,
    state: 'pending',
    fileId: null,
    expectedArrivalDate: expectedArrivalDate(batch.businessDate, batch.settleMode, deps.calendar),
    bankReference: null,
    reasonCode: null,
    reasonText: null,
    createdAtMs: nowMs,
    sentAtMs: null,
    answeredAtMs: null,
    version: 1,
  };
  try {
    await deps.store.write(async (tx) => {
      // The batch as it is now: rebuilt since it was read, or already paid, means no payout from the old figures.
      const current = await tx.getSettlementBatch(batch.merchantId, batch.businessDate);
      if (current === null || current.netMinor !== batch.netMinor || current.createdAtMs !== batch.createdAtMs || current.state === 'paid') {
        throw new BatchChanged();
      }
      await tx.insertPayout(payout);
      await recordAudit(tx, { actor: deps.actor, action: 'payout.create', subjectId: payout.id, detail: { batchId: batch.id, amountMinor: payout.amountMinor, accountNumberMasked: payout.accountNumberMasked }, atMs: nowMs });
      await tx.appendEvent({ type: 'payout.created', subjectId: payout.id, payload: { batchId: batch.id, merchantId: batch.merchantId, amountMinor: payout.amountMinor }, atMs: nowMs });
    });
  } catch (error) {
    if (error instanceof BatchChanged) return { ...base, outcome: 'batch_mismatch', detail: 'the batch changed while the payout was made; run it again' };
    if (isReswipeError(error, 'RSW_STORE_CONFLICT')) {
      // Another writer made the batch's payout first: that one stands.
      const winner = (await deps.store.listPayouts({ batchId: batch.id })).find((p) => p.state !== 'failed');
      if (winner !== undefined) return { ...base, outcome: 'existing', payout: winner };
    }
    throw error;
  }
  return { ...base, outcome: 'created', payout };
}

class BatchChanged extends Error {}
