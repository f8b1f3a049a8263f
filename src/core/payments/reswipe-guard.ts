// The re-swipe guard: the source article's fear is the customer charged twice after a confused retry.
// When a new sale arrives for the same card (fingerprint), amount and terminal (or merchant, for sales
// without a terminal) within engine.reswipeGuardWindowMs while an earlier one may still have moved money
// (pending, unknown, or its reversal not yet confirmed), it is not sent: the cashier is told WAIT,
// naming the earlier payment. Pure: the engine loads the candidates and their attempts.
import type { AttemptState, PaymentRecord } from '../ports/store.ts';
import type { Diagnosis } from '../declines/diagnosis.ts';
import { localDecline } from '../declines/local-decline.ts';
import { unknownOutcomeWaitSeconds } from '../declines/classify-outcome.ts';

/** Most recent payments of one card the re-swipe guard and the double-approval check look at. */
export const reswipeCandidatesMax = 50;

export interface ReswipeSale {
  readonly merchantId: string;
  readonly terminalId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  readonly kind: PaymentRecord['kind'];
}

/** Same card is given (the candidates come from a fingerprint query); same amount, currency, kind and terminal or merchant. */
export function isReswipeTwin(candidate: Pick<PaymentRecord, 'merchantId' | 'terminalId' | 'amountMinor' | 'currency' | 'kind'>, sale: ReswipeSale): boolean {
  if (candidate.amountMinor !== sale.amountMinor || candidate.currency !== sale.currency || candidate.kind !== sale.kind) return false;
  if (sale.terminalId !== null) return candidate.terminalId === sale.terminalId;
  return candidate.terminalId === null && candidate.merchantId === sale.merchantId;
}

export interface TwinState {
  readonly payment: Pick<PaymentRecord, 'id' | 'status'>;
  readonly attempts: ReadonlyArray<{ readonly outcome: AttemptState; readonly reversalPending: boolean }>;
}

/** True when the earlier payment may still have moved money that is not settled either way. */
export function isUnsettledTwin(twin: TwinState): boolean {
  if (twin.payment.status === 'pending') return true;
  return twin.attempts.some((attempt) => attempt.outcome === 'pending' || attempt.outcome === 'unknown' || attempt.reversalPending);
}

/** Two payments, earlier first: by creation, then by id, so both sides of a pair agree on the order. */
function inArrivalOrder<T extends { readonly id: string; readonly createdAtMs: number }>(a: T, b: T): [T, T] {
  return a.createdAtMs < b.createdAtMs || (a.createdAtMs === b.createdAtMs && a.id < b.id) ? [a, b] : [b, a];
}

/** An approved payment as the double-approval check compares it. */
export interface ApprovedTwin {
  readonly id: string;
  readonly createdAtMs: number;
  /** When its approving reply arrived; null if not recorded. */
  readonly approvedAtMs: number | null;
}

/**
 * Of two approved twins, the one to reverse: the newer (by creation, then id), when it arrived while
 * the earlier one's approval was not yet settled (the guard should have answered WAIT but raced it).
 * Null when the earlier was approved before the newer arrived: a separate purchase, which a terminal
 * that lost its reply reverses with its own 0400. Symmetric, so whichever of the two checks last
 * picks the same payment.
 */
export function doubleApprovalToReverse(a: ApprovedTwin, b: ApprovedTwin): string | null {
  const [earlier, newer] = inArrivalOrder(a, b);
  if (earlier.approvedAtMs !== null && earlier.approvedAtMs < newer.createdAtMs) return null;
  return newer.id;
}

/**
 * False when two approved twins are certainly separate purchases, judged from the payment rows alone:
 * the earlier one's last update (its approval came at or before it) precedes the newer one's arrival.
 * True means the attempts must be read (doubleApprovalToReverse decides).
 */
export function mayBeDoubleApproval(a: Pick<PaymentRecord, 'id' | 'createdAtMs' | 'updatedAtMs'>, b: Pick<PaymentRecord, 'id' | 'createdAtMs' | 'updatedAtMs'>): boolean {
  const [earlier, newer] = inArrivalOrder(a, b);
  return earlier.updatedAtMs >= newer.createdAtMs;
}

/** The local answer to a blocked re-swipe: verdict WAIT, DE 39 `94`, naming the earlier payment. */
export function reswipeWaitDiagnosis(earlierPaymentId: string): Diagnosis {
  const diagnosis = localDecline('94', {
    reason: `re-swipe blocked: earlier payment ${earlierPaymentId} for the same card and amount is not settled yet`,
    category: 'duplicate',
    party: 'gateway',
    verdict: 'wait',
    meaning: 'Re-swipe blocked: the same card and amount is still being resolved',
    cashier: {
      zh: `同卡同金额的上一笔交易（${earlierPaymentId}）结果未定，本笔未发送。请勿再次刷卡，等待上一笔结果。`,
      en: `The previous sale of this card and amount (${earlierPaymentId}) is still being resolved; this one was not sent. Do not swipe again; wait for its result.`,
    },
    customer: {
      zh: '上一笔支付正在确认中，本次未扣款，请稍候，不会重复扣款。',
      en: 'Your previous payment is being confirmed. This one was not charged; please wait, you will not be charged twice.',
    },
  });
  return { ...diagnosis, waitSeconds: unknownOutcomeWaitSeconds };
}
