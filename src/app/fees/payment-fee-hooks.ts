// The fee hooks the engine, the follow-ups and the manual-handling actions call inside the write
// that approves, un-approves or refunds a payment. One builder, used by `serve` and by the CLI, so a
// payment resolved by hand is priced exactly as a sale approved on the wire.
import type { FeePlanSet } from '../../core/fees/fee-plan.ts';
import type { MerchantRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import type { FollowUpFeeHooks } from '../../core/ports/payments.ts';
import type { FeeSettings } from './fee-settings.ts';
import { recordFeesForApprovedPayment, recordFeesForRefund, removeFeesForPayment } from './record-payment-fees.ts';

export interface PaymentFeeHooksDeps {
  /** The current plans (PUT /v1/fee-plans/{name} replaces them while serve runs). */
  plans: () => FeePlanSet;
  settings: Pick<FeeSettings, 'timeZone' | 'settleMode' | 'cutoff'>;
  clock: Clock;
  logger: LoggerLike;
}

export function createPaymentFeeHooks(deps: PaymentFeeHooksDeps): FollowUpFeeHooks {
  const { settings, clock, logger } = deps;
  // A fee that cannot be priced must never undo the money movement it belongs to: it is flagged instead.
  async function flagFeeFailure(tx: StoreTx, paymentId: string, error: unknown, payload: Record<string, unknown>): Promise<void> {
    logger.error({ paymentId, error: error instanceof Error ? error.message : 'unknown' }, 'fee could not be recorded');
    await tx.appendEvent({ type: 'fee.failed', subjectId: paymentId, payload, atMs: clock.nowMs() });
  }
  return {
    async recordApproved(tx: StoreTx, payment: PaymentRecord, known?: MerchantRecord) {
      const merchant = known ?? (await tx.getMerchant(payment.merchantId));
      if (merchant === null) return null;
      try {
        return await recordFeesForApprovedPayment(tx, payment, {
          plans: deps.plans(),
          merchantFeePlan: merchant.feePlan,
          mcc: merchant.mcc,
          timeZone: settings.timeZone,
          settleMode: settings.settleMode,
          nowMs: clock.nowMs(),
          cutoff: settings.cutoff,
        });
      } catch (error) {
        await flagFeeFailure(tx, payment.id, error, { plan: merchant.feePlan });
        return null;
      }
    },
    async removeForPayment(tx: StoreTx, payment: PaymentRecord) {
      await removeFeesForPayment(tx, payment, { nowMs: clock.nowMs() });
    },
    async recordRefund(tx: StoreTx, refund: PaymentRecord) {
      try {
        const merchant = await tx.getMerchant(refund.merchantId);
        await recordFeesForRefund(tx, refund, { plans: deps.plans(), merchantFeePlan: merchant?.feePlan ?? 'standard', timeZone: settings.timeZone, nowMs: clock.nowMs(), cutoff: settings.cutoff });
      } catch (error) {
        await flagFeeFailure(tx, refund.id, error, { kind: 'refund' });
      }
    },
  };
}
