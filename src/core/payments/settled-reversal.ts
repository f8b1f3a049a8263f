// A sale's payment once the reversal of one of its attempts is confirmed: its status follows from its
// attempts, except while its sale is still being driven (it stays `pending` until the sale answers) and
// after a void (a void already undid the approval; reversing an earlier unknown attempt does not bring it
// back). Leaving `approved` takes the fee with it.
import { classifyOutcome } from '../declines/index.ts';
import type { AttemptRecord, PaymentRecord } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';
import { derivePaymentStatus } from './payment-decision.ts';
import { toStoredDecline } from './stored-decline.ts';

export function paymentAfterReversalSettled(input: {
  payment: PaymentRecord;
  /** Every attempt of the payment, the reversed one already `reversed`. */
  attempts: readonly AttemptRecord[];
  /** True while this process is still driving the sale. */
  isDriven: boolean;
  nowMs: number;
}): { payment: PaymentRecord; removesFee: boolean } {
  const { payment } = input;
  const status: PaymentStatus = input.isDriven ? 'pending' : payment.status === 'voided' ? 'voided' : derivePaymentStatus(input.attempts);
  const updated: PaymentRecord = {
    ...payment,
    status,
    decline: status === 'reversed' ? toStoredDecline(classifyOutcome('reversed')) : payment.decline,
    updatedAtMs: input.nowMs,
  };
  return { payment: updated, removesFee: payment.status === 'approved' && status !== 'approved' };
}
