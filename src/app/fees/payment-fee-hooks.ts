// The fee hooks the engine, the follow-ups and the manual-handling actions call inside the write
// that approves, un-approves or refunds a payment. One builder, used by `serve` and by the CLI, so a
// payment resolved by hand is priced exactly as a sale approved on the wire.
import type { FeePlanSet } from '../../core/fees/fee-plan.ts';
import type { FeeLineRecord, MerchantRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import type { FollowUpFeeHooks } from '../../core/ports/payments.ts';
import type { FeeSettings } from './fee-settings.ts';
import { approvedFeeLineOf, recordFeesForApprovedPayment, recordFeesForRefund, removeFeesForPayment } from './record-payment-fees.ts';
import { settlementSignOf } from '../../core/fees/settlement-batch.ts';

export interface PaymentFeeHooksDeps {
  /** The current plans (PUT /v1/fee-plans/{name} replaces them while serve runs). */
  plans: () => FeePlanSet;
  settings: Pick<FeeSettings, 'timeZone' | 'settleMode' | 'cutoff'>;
  clock: Clock;
  logger: LoggerLike;
  /**
   * `projector` (docs/projector.md): an approval's fee line is priced (the answer shows it) but written by the
   * payment projector off the answer's path; a removal or refund first writes the approved fee line it needs
   * (idempotent), so it never depends on the projector having run. `inline` (default): written at once.
   */
  approvedFees?: 'inline' | 'projector';
}

export interface ApprovedFeeWriters {
  /** Writes (idempotently) the fee line of one approved sale or completion now. */
  writeApproved: FollowUpFeeHooks['recordApproved'];
  /**
   * The payment projector's: writes the fee lines of a batch of approved sales and completions in a few
   * multi-row statements (each merchant read once); a line already stored is kept, never written twice.
   */
  writeApprovedBatch(tx: StoreTx, payments: readonly PaymentRecord[]): Promise<void>;
}

export function createPaymentFeeHooks(deps: PaymentFeeHooksDeps): FollowUpFeeHooks & ApprovedFeeWriters {
  const { settings, clock, logger } = deps;
  // A fee that cannot be priced must never undo the money movement it belongs to: it is flagged instead.
  async function flagFeeFailure(tx: StoreTx, paymentId: string, error: unknown, payload: Record<string, unknown>): Promise<void> {
    logger.error({ paymentId, error: error instanceof Error ? error.message : 'unknown' }, 'fee could not be recorded');
    await tx.appendEvent({ type: 'fee.failed', subjectId: paymentId, payload, atMs: clock.nowMs() });
  }
  const contextOf = (merchant: MerchantRecord) => ({
    plans: deps.plans(),
    merchantFeePlan: merchant.feePlan,
    mcc: merchant.mcc,
    timeZone: settings.timeZone,
    settleMode: settings.settleMode,
    nowMs: clock.nowMs(),
    cutoff: settings.cutoff,
  });
  const deferred = deps.approvedFees === 'projector';
  /** The written hook: the projector's, and the inline one. */
  async function writeApproved(tx: StoreTx, payment: PaymentRecord, known?: MerchantRecord) {
    const merchant = known ?? (await tx.getMerchant(payment.merchantId));
    if (merchant === null) return null;
    try {
      return await recordFeesForApprovedPayment(tx, payment, contextOf(merchant));
    } catch (error) {
      await flagFeeFailure(tx, payment.id, error, { plan: merchant.feePlan });
      return null;
    }
  }
  async function writeApprovedBatch(tx: StoreTx, payments: readonly PaymentRecord[]): Promise<void> {
    const contexts = new Map<string, { merchant: MerchantRecord; context: ReturnType<typeof contextOf> } | null>();
    const lines: FeeLineRecord[] = [];
    for (const payment of payments) {
      let priced = contexts.get(payment.merchantId);
      if (priced === undefined) {
        const merchant = await tx.getMerchant(payment.merchantId);
        priced = merchant === null ? null : { merchant, context: contextOf(merchant) };
        contexts.set(payment.merchantId, priced);
      }
      if (priced === null) continue;
      try {
        lines.push(approvedFeeLineOf(payment, priced.context));
      } catch (error) {
        // Flagged only when the payment has no fee line yet, as the one-by-one write did (it never priced a stored line again).
        if (!(await tx.listFeeLines({ paymentId: payment.id })).some((line) => line.kind === 'fee')) await flagFeeFailure(tx, payment.id, error, { plan: priced.merchant.feePlan });
      }
    }
    await tx.insertFeeLinesIfAbsent(lines);
  }
  /** With the projector writing fee lines: the approved fee line of `paymentId` written now if it is not yet (a removal or refund needs it). */
  async function ensureApprovedFee(tx: StoreTx, paymentId: string | null): Promise<void> {
    if (!deferred || paymentId === null) return;
    if ((await tx.listFeeLines({ paymentId })).some((line) => line.kind === 'fee')) return;
    const payment = await tx.getPayment(paymentId);
    // Priced as approved: the line the projector would have written while it was.
    if (payment !== null && settlementSignOf(payment.kind) === 1) await writeApproved(tx, { ...payment, status: 'approved' });
  }
  return {
    async recordApproved(tx: StoreTx, payment: PaymentRecord, known?: MerchantRecord) {
      if (!deferred) return writeApproved(tx, payment, known);
      const merchant = known ?? (await tx.getMerchant(payment.merchantId));
      if (merchant === null) return null;
      try {
        return approvedFeeLineOf(payment, contextOf(merchant));
      } catch {
        // The projector writes the line or flags the failure; the answer goes out without a fee.
        return null;
      }
    },
    writeApproved,
    writeApprovedBatch,
    async removeForPayment(tx: StoreTx, payment: PaymentRecord) {
      // Every caller (a reversal of an approval, a void, an operator's not-charged) calls this only for a payment
      // that was approved until this unit, so its approved fee line is due: written now if the projector has not yet.
      await ensureApprovedFee(tx, payment.id);
      await removeFeesForPayment(tx, payment, { nowMs: clock.nowMs() });
    },
    async recordRefund(tx: StoreTx, refund: PaymentRecord) {
      try {
        await ensureApprovedFee(tx, refund.originalPaymentId);
        const merchant = await tx.getMerchant(refund.merchantId);
        await recordFeesForRefund(tx, refund, { plans: deps.plans(), merchantFeePlan: merchant?.feePlan ?? 'standard', timeZone: settings.timeZone, nowMs: clock.nowMs(), cutoff: settings.cutoff });
      } catch (error) {
        await flagFeeFailure(tx, refund.id, error, { kind: 'refund' });
      }
    },
  };
}
