// What an operator may do with a payment flagged for manual handling, and what it does to the money
// (docs/reversals.md, "Manual handling"). Pure: the app loads the facts, this decides, the app writes
// the decision with its audit record and event in one store transaction.
//
// The three actions:
// - retry the reversal now: every dead reversal of the payment goes back to the reversal queue with a
//   fresh budget (the queue's own rules then send it: claim before send, 0400 then 0401 repeats);
// - resolve as charged: the bank says the customer paid. The attempt whose reversal died becomes
//   approved and so does the payment (its fee is recorded as for any approved sale);
// - resolve as not charged: the bank says no money moved. Every attempt whose reversal died becomes
//   reversed; the payment ends reversed (its fee, if it had one, is removed).
// Anything that would leave two approvals, hide an approval, act while a reversal is still being sent,
// or touch a paid settlement batch is refused with a stable code, and nothing changes.
import type { AttemptState, ManualResolutionOutcome, PaymentKind, ReversalState, SettlementBatchRecord } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';
import { assertNever } from '../vocabulary.ts';
import { derivePaymentStatus } from './payment-decision.ts';

export type ManualHandlingAction = { kind: 'retry_reversal' } | { kind: 'resolve'; outcome: 'charged' | 'not-charged' };

/** What the decision reads: the payment, its attempts with their reversals, its resolution and the state of its settlement batch. */
export interface ManualHandlingFacts {
  payment: { id: string; kind: PaymentKind; status: PaymentStatus; flagged: boolean };
  attempts: ReadonlyArray<{ seq: number; outcome: AttemptState; reversal: { id: string; state: ReversalState } | null }>;
  resolution: { outcome: ManualResolutionOutcome } | null;
  /** The settlement batch of the payment's business day, when one exists. */
  batch: { businessDate: string; state: SettlementBatchRecord['state'] } | null;
}

export type ManualHandlingRefusal =
  | { code: 'RSW_MANUAL_NOT_FLAGGED'; params: { paymentId: string } }
  | { code: 'RSW_MANUAL_ALREADY_RESOLVED'; params: { paymentId: string; outcome: ManualResolutionOutcome } }
  | { code: 'RSW_MANUAL_REVERSAL_IN_PROGRESS'; params: { paymentId: string } }
  | { code: 'RSW_MANUAL_NO_DEAD_REVERSAL'; params: { paymentId: string } }
  | { code: 'RSW_MANUAL_SEVERAL_DEAD_REVERSALS'; params: { paymentId: string; count: number } }
  | { code: 'RSW_MANUAL_OTHER_APPROVAL'; params: { paymentId: string; reason: string } }
  | { code: 'RSW_MANUAL_NOT_RESOLVABLE'; params: { paymentId: string; reason: string } }
  | { code: 'RSW_MANUAL_BATCH_PAID'; params: { paymentId: string; businessDate: string } };

export type ManualHandlingDecision =
  | { kind: 'refused'; refusal: ManualHandlingRefusal }
  /** Put these dead reversals back in the queue with a fresh budget; the payment stays flagged and open. */
  | { kind: 'retry_reversals'; reversalIds: string[] }
  /**
   * Record the resolution; set these attempts' outcomes and the payment's status. `fee`: record the fee
   * of a newly approved sale or completion, remove the fee of a payment that is no longer approved, or
   * leave the fee lines alone.
   */
  | {
      kind: 'resolve';
      outcome: 'charged' | 'not-charged';
      attemptOutcomes: Array<{ seq: number; outcome: 'approved' | 'reversed' }>;
      status: PaymentStatus;
      fee: 'record' | 'remove' | 'keep';
    };

/** Kinds whose money goes to the merchant and whose "charged" means what a cashier means by it. */
function isResolvableKind(kind: PaymentKind): boolean {
  switch (kind) {
    case 'sale':
    case 'preauth':
    case 'completion':
      return true;
    case 'void':
    case 'refund':
    case 'preauth_cancel':
    case 'completion_void':
    case 'balance_inquiry':
      return false;
    default:
      return assertNever(kind, 'payment kind');
  }
}

/** Whether approving (or un-approving) a payment of this kind moves a fee line: sales and completions carry one. */
function carriesFee(kind: PaymentKind): boolean {
  return kind === 'sale' || kind === 'completion';
}

/** Decides one manual-handling action; refusals come first, in the order an operator would fix them. */
export function decideManualHandling(facts: ManualHandlingFacts, action: ManualHandlingAction): ManualHandlingDecision {
  const paymentId = facts.payment.id;
  const refuse = (refusal: ManualHandlingRefusal): ManualHandlingDecision => ({ kind: 'refused', refusal });
  if (!facts.payment.flagged) return refuse({ code: 'RSW_MANUAL_NOT_FLAGGED', params: { paymentId } });
  if (facts.resolution !== null) return refuse({ code: 'RSW_MANUAL_ALREADY_RESOLVED', params: { paymentId, outcome: facts.resolution.outcome } });
  // A reversal still in the queue may be confirmed any moment: deciding now would race the bank's answer.
  if (facts.attempts.some((attempt) => attempt.reversal?.state === 'pending')) return refuse({ code: 'RSW_MANUAL_REVERSAL_IN_PROGRESS', params: { paymentId } });
  const dead = facts.attempts.filter((attempt) => attempt.reversal?.state === 'dead');
  if (dead.length === 0) return refuse({ code: 'RSW_MANUAL_NO_DEAD_REVERSAL', params: { paymentId } });

  switch (action.kind) {
    case 'retry_reversal':
      return { kind: 'retry_reversals', reversalIds: dead.map((attempt) => attempt.reversal?.id ?? '') };
    case 'resolve':
      break;
    default:
      return assertNever(action, 'manual handling action');
  }

  if (!isResolvableKind(facts.payment.kind)) {
    return refuse({ code: 'RSW_MANUAL_NOT_RESOLVABLE', params: { paymentId, reason: `a ${facts.payment.kind} is settled with the channel and corrected by a new follow-up` } });
  }
  if (facts.payment.status !== 'pending' && facts.payment.status !== 'approved') {
    return refuse({ code: 'RSW_MANUAL_NOT_RESOLVABLE', params: { paymentId, reason: `it is ${facts.payment.status}` } });
  }
  const deadSeqs = new Set(dead.map((attempt) => attempt.seq));
  // An approval whose reversal did not die is money the resolution must not contradict.
  const otherApproved = facts.attempts.find((attempt) => !deadSeqs.has(attempt.seq) && attempt.outcome === 'approved');

  if (action.outcome === 'charged') {
    if (dead.length > 1) return refuse({ code: 'RSW_MANUAL_SEVERAL_DEAD_REVERSALS', params: { paymentId, count: dead.length } });
    const target = dead[0];
    if (target === undefined) throw new Error('broken invariant: one dead reversal expected');
    if (target.outcome !== 'unknown' && target.outcome !== 'approved') {
      return refuse({ code: 'RSW_MANUAL_NOT_RESOLVABLE', params: { paymentId, reason: `the attempt whose reversal died is ${target.outcome}` } });
    }
    if (otherApproved !== undefined && target.outcome === 'unknown') {
      return refuse({ code: 'RSW_MANUAL_OTHER_APPROVAL', params: { paymentId, reason: `attempt ${otherApproved.seq} is already approved: charged would be a second charge` } });
    }
    // Approving moves money into a batch; a paid batch is final.
    if (facts.payment.status !== 'approved' && carriesFee(facts.payment.kind) && facts.batch?.state === 'paid') {
      return refuse({ code: 'RSW_MANUAL_BATCH_PAID', params: { paymentId, businessDate: facts.batch.businessDate } });
    }
    return {
      kind: 'resolve',
      outcome: 'charged',
      attemptOutcomes: target.outcome === 'approved' ? [] : [{ seq: target.seq, outcome: 'approved' }],
      status: 'approved',
      fee: facts.payment.status === 'approved' || !carriesFee(facts.payment.kind) ? 'keep' : 'record',
    };
  }

  if (otherApproved !== undefined) {
    return refuse({ code: 'RSW_MANUAL_OTHER_APPROVAL', params: { paymentId, reason: `attempt ${otherApproved.seq} is approved and was not reversed: not charged would hide it` } });
  }
  const after = facts.attempts.map((attempt) => ({ outcome: deadSeqs.has(attempt.seq) ? ('reversed' as const) : attempt.outcome }));
  const status = derivePaymentStatus(after);
  if (status === 'approved' || status === 'pending') {
    // Another attempt is still unknown without a reversal: recovery drives it, not the operator.
    return refuse({ code: 'RSW_MANUAL_NOT_RESOLVABLE', params: { paymentId, reason: 'another attempt is still unresolved' } });
  }
  const unapproves = facts.payment.status === 'approved' && carriesFee(facts.payment.kind);
  if (unapproves && facts.batch?.state === 'paid') return refuse({ code: 'RSW_MANUAL_BATCH_PAID', params: { paymentId, businessDate: facts.batch.businessDate } });
  return {
    kind: 'resolve',
    outcome: 'not-charged',
    attemptOutcomes: dead.map((attempt) => ({ seq: attempt.seq, outcome: 'reversed' as const })),
    // The last attempt decides between reversed and declined; an attempt that died is reversed, so this is `reversed` unless a later one was declined.
    status,
    fee: unapproves ? 'remove' : 'keep',
  };
}
