// One sale in flight: what it was asked, what it has written, and what its attempts and reversals are
// in this process. Built by authorize-sale.ts once the intent unit committed; read and updated by the
// steps of the sale (drive-sale.ts and the files it calls).
import type { SaleRecoveryInputs } from '../../core/payments/sale-event.ts';
import type { SaleRequest, SaleResult } from '../../core/ports/payments.ts';
import type { AttemptRecord, MerchantRecord, PaymentRecord, ReversalRecord } from '../../core/ports/store.ts';
import type { RouteInput } from '../../core/routing/choose-route.ts';

export interface SaleContext {
  request: SaleRequest;
  payment: PaymentRecord;
  merchant: MerchantRecord;
  replyByMs: number;
  /** The sale's route (best first), scheme budget and deadline, as the recovery policy needs them. */
  recovery: SaleRecoveryInputs;
  attempts: Map<number, AttemptRecord>;
  /**
   * The attempts as this sale last committed them, by seq: the outcome unit's first try writes only the
   * columns an answer changed (the store then leaves the attempt's unchanged index entries alone).
   */
  storedAttempts: Map<number, AttemptRecord>;
  reversals: Map<number, ReversalRecord>;
  result: SaleResult | null;
  /** What chose the route (asked again for the channels healthy now). */
  routeInput: RouteInput;
  /** The seq of an attempt already stored `pending` (the first one, written with the payment) and not yet sent. */
  persistedSeq: number | null;
  /**
   * The payment row as this sale last committed it, so a decision need not read it back; null when it
   * must be read (another write of it may have happened). A stale copy cannot do harm: its version no
   * longer matches, the update is refused and the unit is retried with a fresh read.
   */
  stored: PaymentRecord | null;
}
