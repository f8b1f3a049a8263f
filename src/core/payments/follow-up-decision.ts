// The decision of one follow-up (void, refund, pre-authorization completion and cancel, completion
// void), beside the sale's state machine (payment-decision.ts). The use case loads the original, the
// payments already naming it and the terminal asking, inside the write that will insert the follow-up;
// this function decides on that fresh data and returns either a refusal or what to insert and send:
// reversible (an unknown outcome is reversed) or an advice (accepted once stored, re-sent until
// acknowledged), the amount, the original's channel, and what an approval does to the original.
//
// It composes the existing rules in a fixed order, so the first broken rule is the one named:
//   1. the terminal acts for its own merchant (follow-up-terminal-rules.ts), before anything about the
//      original is looked at, so a terminal of another shop learns nothing of this shop's payments;
//   2. the operation's rule: void-rules.ts, refund-rules.ts or preauth-rules.ts (an original of another
//      merchant is "not found");
//   3. a card the terminal presents again is the original's card (follow-up-card-rules.ts).
// Pure: the time, the fingerprint keys and the business day's zone and cut-off come in as inputs.
import { fingerprintPan } from '../cards/pan.ts';
import { businessDateOf } from '../fees/business-date.ts';
import type { FollowUpRequest } from '../ports/payments.ts';
import type { AttemptRecord, PaymentRecord } from '../ports/store.ts';
import { assertNever } from '../vocabulary.ts';
import { decideFollowUpCard, panOfTrack2 } from './follow-up-card-rules.ts';
import type { FollowUp, FollowUpOriginal } from './follow-up-original.ts';
import { transactionShape, type FollowUpOperation, type TransactionShape } from './follow-up-request.ts';
import { decideFollowUpTerminal } from './follow-up-terminal-rules.ts';
import { decideHoldClose } from './preauth-rules.ts';
import { decideRefund } from './refund-rules.ts';
import type { TxnRefusal, TxnRuleResult } from './txn-rule-result.ts';
import { decideVoid } from './void-rules.ts';

export interface FollowUpPolicy {
  /** Completion may exceed the authorized amount by this many basis points. */
  readonly completionToleranceBps: number;
  readonly holdExpiryDays: number;
  /** The business day (same as fees): a void stays on its sale's business date. */
  readonly settlementTimeZone: string;
  readonly settlementCutoff: string;
  /** The card-fingerprint keys, current first, then every retired one (a rotation in progress). */
  readonly panKeys: readonly string[];
}

export type FollowUpDecisionRequest = Pick<FollowUpRequest, 'operation' | 'intake' | 'merchantId' | 'originalPaymentId' | 'terminalId' | 'amountMinor' | 'currency' | 'card'>;

export interface FollowUpDecisionInput {
  readonly request: FollowUpDecisionRequest;
  /** The merchant the asking terminal is registered to, null when it is unknown; read only for an ISO request naming a terminal. */
  readonly senderTerminalMerchantId: string | null;
  /** The payment the request names, as stored (any merchant's), or null. */
  readonly original: PaymentRecord | null;
  /** The original's approved attempt: the follow-up goes to the same channel and upstream terminal. */
  readonly originalApprovedAttempt: Pick<AttemptRecord, 'channel' | 'upstreamTerminalId'> | null;
  /** Payments already naming the original. */
  readonly followUps: readonly FollowUp[];
  /** When the original's terminal last closed its batch (0500 balanced), or null if never. */
  readonly batchClosedAtMs: number | null;
  readonly nowMs: number;
  readonly policy: FollowUpPolicy;
}

/** What an approved follow-up does (an accepted refund advice counts as approved). */
export interface FollowUpEffects {
  /** A void, completion void or cancel closes its original (status `voided`). */
  readonly closesOriginal: boolean;
  /** Closing a sale or completion takes its fee back; a pre-authorization has none. */
  readonly removesOriginalFees: boolean;
  /** A completion is priced like a sale; a refund gives back its share of the fee. */
  readonly followUpFee: 'sale' | 'refund' | 'none';
}

export interface FollowUpToSend {
  readonly kind: 'send';
  readonly operation: FollowUpOperation;
  /** MTI, DE 3, DE 25 and whether a lost answer is reversed. */
  readonly shape: TransactionShape;
  /** `reversible`: one try, an unknown outcome is reversed. `advice`: accepted once stored, re-sent (0221) until acknowledged. */
  readonly delivery: 'reversible' | 'advice';
  readonly amountMinor: number;
  readonly currency: string;
  /** Status once stored: a refund advice counts against its original at once; the others wait for the host. */
  readonly initialStatus: 'approved' | 'pending';
  /** The terminal the follow-up is booked on: the asking terminal, or the original's over HTTP. */
  readonly terminalId: string | null;
  /** The original's channel and upstream terminal: only the host that holds the money can undo or capture it. */
  readonly channel: string;
  readonly upstreamTerminalId: string;
  readonly effects: FollowUpEffects;
}

export type FollowUpDecision = TxnRefusal | FollowUpToSend;

export function decideFollowUp(input: FollowUpDecisionInput): FollowUpDecision {
  const { request, policy } = input;
  if (request.intake === 'iso' && request.terminalId !== null) {
    const sender = decideFollowUpTerminal({ terminalId: request.terminalId, terminalMerchantId: input.senderTerminalMerchantId, merchantId: request.merchantId });
    if (sender.kind === 'refused') return sender;
  }
  const original = input.original !== null && input.original.merchantId === request.merchantId ? input.original : null;
  const followUps = original === null ? [] : input.followUps;
  const amountMinor = request.amountMinor ?? original?.amountMinor ?? 0;
  const currency = request.currency ?? original?.currency ?? 'CNY';
  const rule = decideOperation(input, original === null ? null : toFollowUpOriginal(original), followUps, amountMinor, currency);
  if (rule.kind === 'refused') return rule.code === 'RSW_TXN_ORIGINAL_NOT_FOUND' ? namingTheOriginal(rule, request.originalPaymentId) : rule;
  if (original === null) throw new Error('broken invariant: an allowed follow-up has its original');
  // A card the terminal presents goes upstream, so it must be the original's card: a refund to another
  // card would pay a stranger out of this sale. Refused before anything is stored or sent.
  const card = decideFollowUpCard({ originalFingerprint: original.panFingerprint, presentedCards: presentedPans(request.card).map((pan) => policy.panKeys.map((key) => fingerprintPan(pan, key))) });
  if (card.kind === 'refused') return card;
  if (input.originalApprovedAttempt === null) throw new Error(`broken invariant: approved payment ${original.id} has no approved attempt`);
  const shape = transactionShape(request.operation);
  return {
    kind: 'send',
    operation: request.operation,
    shape,
    delivery: shape.reversible ? 'reversible' : 'advice',
    amountMinor,
    currency,
    initialStatus: request.operation === 'refund' ? 'approved' : 'pending',
    terminalId: request.terminalId ?? original.terminalId,
    channel: input.originalApprovedAttempt.channel,
    upstreamTerminalId: input.originalApprovedAttempt.upstreamTerminalId,
    effects: effectsOf(request.operation),
  };
}

function decideOperation(input: FollowUpDecisionInput, original: FollowUpOriginal | null, followUps: readonly FollowUp[], amountMinor: number, currency: string): TxnRuleResult {
  const { request, nowMs, policy } = input;
  const operation = request.operation;
  switch (operation) {
    case 'void':
    case 'completion_void':
      return decideVoid({
        operation,
        original,
        followUps,
        amountMinor,
        currency,
        // An HTTP void acts for the original's own terminal.
        terminalId: request.intake === 'http' ? (original?.terminalId ?? null) : request.terminalId,
        originalBusinessDate: businessDateOf(original?.createdAtMs ?? nowMs, policy.settlementTimeZone, policy.settlementCutoff),
        todayBusinessDate: businessDateOf(nowMs, policy.settlementTimeZone, policy.settlementCutoff),
        batchClosedAtMs: input.batchClosedAtMs,
      });
    case 'refund':
      return decideRefund({ original, followUps, amountMinor, currency });
    case 'completion':
    case 'preauth_cancel':
      return decideHoldClose({ operation, original, followUps, amountMinor, currency, nowMs, policy });
    default:
      return assertNever(operation, 'follow-up operation');
  }
}

function effectsOf(operation: FollowUpOperation): FollowUpEffects {
  switch (operation) {
    case 'void':
    case 'completion_void':
      return { closesOriginal: true, removesOriginalFees: true, followUpFee: 'none' };
    case 'preauth_cancel':
      return { closesOriginal: true, removesOriginalFees: false, followUpFee: 'none' };
    case 'completion':
      return { closesOriginal: false, removesOriginalFees: false, followUpFee: 'sale' };
    case 'refund':
      return { closesOriginal: false, removesOriginalFees: false, followUpFee: 'refund' };
    default:
      return assertNever(operation, 'follow-up operation');
  }
}

/** What the follow-up rules read of an original payment. */
export function toFollowUpOriginal(payment: PaymentRecord): FollowUpOriginal {
  return { id: payment.id, kind: payment.kind, status: payment.status, terminalId: payment.terminalId, amountMinor: payment.amountMinor, currency: payment.currency, createdAtMs: payment.createdAtMs };
}

/** What the follow-up rules read of a payment already naming the original. */
export function toFollowUp(payment: Pick<PaymentRecord, 'kind' | 'status' | 'amountMinor'>): FollowUp {
  return { kind: payment.kind, status: payment.status, amountMinor: payment.amountMinor };
}

/** The card numbers a follow-up carries: DE 2 and the PAN part of DE 35 (track 2), each when present. */
function presentedPans(card: FollowUpRequest['card']): string[] {
  const pans: string[] = [];
  if (card?.pan !== undefined) pans.push(card.pan);
  if (card?.track2 !== undefined) {
    // Track data whose PAN cannot be read is not passed on as a card of its own: compared as given, it never matches.
    pans.push(panOfTrack2(card.track2) ?? card.track2);
  }
  return pans;
}

function namingTheOriginal(refusal: TxnRefusal, originalId: string): TxnRefusal {
  return { ...refusal, params: { originalId }, reason: refusal.reason.replace('unknown', originalId) };
}
