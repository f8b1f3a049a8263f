// What the follow-up rules (void, refund, completion, cancel) read of an original payment and of the
// payments that already name it. Plain data so the rules stay pure and table-testable.
import type { PaymentKind } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';

export interface FollowUpOriginal {
  readonly id: string;
  readonly kind: PaymentKind;
  readonly status: PaymentStatus;
  readonly terminalId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  readonly createdAtMs: number;
}

/** A payment whose `originalPaymentId` is the original: an earlier void, refund, completion or cancel. */
export interface FollowUp {
  readonly kind: PaymentKind;
  readonly status: PaymentStatus;
  readonly amountMinor: number;
}

/** A follow-up that moved money or may still do so: approved, or pending (its outcome not known yet). */
export function isLiveFollowUp(followUp: FollowUp): boolean {
  return followUp.status === 'approved' || followUp.status === 'pending';
}
