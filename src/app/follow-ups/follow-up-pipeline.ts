// The one pipeline of every follow-up that names an original (void, refund, completion, cancel,
// completion void): load → decide (decideFollowUp, pure) → persist → perform → record the reply.
//
// Money safety (docs/vocabulary.md invariants):
//   - load and decide run INSIDE the write that inserts the follow-up, on the original locked for
//     update, so two follow-ups of one original are serialized and refunds can never together exceed it;
//   - the idempotency key, the payment and its pending attempt (with its own upstream STAN) are durable
//     before a byte goes upstream;
//   - the reply is recorded in one more write (record-follow-up-reply.ts): a reversible follow-up's
//     unknown outcome is reversed, a refund advice stands once stored and waits for the forwarder.
import { pendingAttempt } from '../../core/payments/pending-attempt.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import { decideFollowUp, toFollowUp, type FollowUpDecisionInput, type FollowUpToSend } from '../../core/payments/follow-up-decision.ts';
import { buildUpstreamFollowUp, entryModeCodeOf } from '../../core/payments/follow-up-request.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { FollowUpRequest, FollowUpResult } from '../../core/ports/payments.ts';
import type { AttemptRecord, IdempotencyRecord, MerchantRecord, PaymentRecord, StoreTx } from '../../core/ports/store.ts';
import { newTimeOrderedId } from '../../core/time/random.ts';
import { channelNamed, type FollowUpContext } from './follow-up-context.ts';
import { followUpPolicyOf } from './follow-up-settings.ts';
import { recordFollowUpReply } from './record-follow-up-reply.ts';
import { txnView, type StoredFollowUp } from './follow-up-answer.ts';

export type { StoredFollowUp } from './follow-up-answer.ts';

/** Runs one follow-up through the pipeline. Refusals are values; only faults throw. */
export async function runFollowUp(context: FollowUpContext, request: FollowUpRequest): Promise<FollowUpResult> {
  const { store, clock, logger, settings } = context;
  const earlier = await store.getIdempotency(request.idempotency.scope, request.idempotency.key);
  if (earlier !== null) return replayOf(context, earlier, request.idempotency.requestHash);
  const nowMs = clock.nowMs();
  const deadlineMs = request.deadlineMs ?? nowMs + settings.terminalTimeoutMs;

  let stored: StoredFollowUp | TxnRefusal;
  try {
    stored = await store.write(async (tx) => {
      const loaded = await loadInTx(tx, request);
      const decision = decideFollowUp({ ...loaded.input, nowMs, policy: followUpPolicyOf(settings) });
      if (decision.kind === 'refused') return decision;
      return persistInTx(context, tx, request, decision, loaded, nowMs);
    });
  } catch (error) {
    if (isReswipeError(error, 'RSW_STORE_CONFLICT')) {
      const again = await store.getIdempotency(request.idempotency.scope, request.idempotency.key);
      if (again !== null) return replayOf(context, again, request.idempotency.requestHash);
    }
    throw error;
  }
  if (stored.kind === 'refused') {
    logger.info({ operation: request.operation, originalPaymentId: request.originalPaymentId, code: stored.code }, 'follow-up refused');
    return { kind: 'refused', refusal: stored };
  }

  const result = await sendInTime(context, request, stored, deadlineMs);
  const finished = await recordFollowUpReply(context, request, stored, result);
  logger.info({ paymentId: finished.view.id, operation: request.operation, status: finished.view.status, code: finished.diagnosis.code }, 'follow-up answered');
  return finished;
}

interface Loaded {
  readonly input: Omit<FollowUpDecisionInput, 'nowMs' | 'policy'>;
  readonly merchant: MerchantRecord | null;
  readonly originalAttempt: AttemptRecord | null;
}

/** Load: the original (locked), the terminal asking, the original's follow-ups, approved attempt and batch. */
async function loadInTx(tx: StoreTx, request: FollowUpRequest): Promise<Loaded> {
  // Locked, not just read: on PostgreSQL a follow-up of the same original deciding on another node
  // waits here until this unit commits, then sees this unit's follow-up in listFollowUps, so two
  // refunds (or a refund and a void) can never both pass "never more than the original".
  const stored = await tx.lockPaymentForUpdate(request.originalPaymentId);
  const senderTerminalMerchantId = request.intake === 'iso' && request.terminalId !== null ? ((await tx.getTerminal(request.terminalId))?.merchantId ?? null) : null;
  const original = stored !== null && stored.merchantId === request.merchantId ? stored : null;
  const merchant = await tx.getMerchant(request.merchantId);
  const followUps = original === null ? [] : (await tx.listFollowUps(original.id)).map(toFollowUp);
  const originalAttempt = original === null ? null : ((await tx.listAttempts(original.id)).find((attempt) => attempt.outcome === 'approved') ?? null);
  const voids = request.operation === 'void' || request.operation === 'completion_void';
  const batchClosed = !voids || original?.terminalId == null ? null : await tx.lastEventOf('batch.settled', original.terminalId);
  return {
    input: { request, senderTerminalMerchantId, original, originalApprovedAttempt: originalAttempt, followUps, batchClosedAtMs: batchClosed?.atMs ?? null },
    merchant,
    originalAttempt,
  };
}

/** Persist: the idempotency key, the follow-up payment and its pending attempt, in the deciding write. */
async function persistInTx(context: FollowUpContext, tx: StoreTx, request: FollowUpRequest, decision: FollowUpToSend, loaded: Loaded, nowMs: number): Promise<StoredFollowUp> {
  const original = loaded.input.original;
  const { merchant, originalAttempt } = loaded;
  if (original === null || merchant === null || originalAttempt === null) throw new Error('broken invariant: an allowed follow-up has its original, its approved attempt and its merchant');
  const paymentId = newTimeOrderedId(context.random, 'pay', nowMs);
  const payment: PaymentRecord = {
    id: paymentId,
    kind: decision.operation,
    status: decision.initialStatus,
    intake: request.intake,
    merchantId: original.merchantId,
    terminalId: decision.terminalId,
    amountMinor: decision.amountMinor,
    currency: decision.currency,
    panFingerprint: original.panFingerprint,
    ...(original.panKeyId === undefined ? {} : { panKeyId: original.panKeyId }),
    panMasked: original.panMasked,
    cardBrand: original.cardBrand,
    cardType: original.cardType,
    cardIssuer: original.cardIssuer,
    entryMode: original.entryMode,
    terminalStan: request.terminalStan ?? null,
    terminalTransmittedAt: request.terminalTransmittedAt ?? null,
    reference: request.reference,
    originalPaymentId: original.id,
    responseCode: null,
    authCode: null,
    rrn: null,
    decline: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    version: 1,
    // A follow-up of a UnionPay QR sale is one too, in listings and statements.
    ...(original.method === undefined ? {} : { method: original.method }),
  };
  const attempt: AttemptRecord = pendingAttempt(
    {
      id: newTimeOrderedId(context.random, 'att', nowMs),
      paymentId,
      seq: 1,
      channel: decision.channel,
      mti: decision.shape.mti,
      stan: await tx.nextStan(decision.channel),
      processingCode: decision.shape.processingCode,
      upstreamTerminalId: decision.upstreamTerminalId,
    },
    nowMs,
  );
  await tx.insertIdempotency({ ...request.idempotency, paymentId, state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs });
  await tx.insertPayment(payment);
  await tx.insertAttempt(attempt);
  await tx.appendEvent({ type: `payment.${request.operation}_started`, subjectId: paymentId, payload: { originalPaymentId: original.id, amountMinor: decision.amountMinor }, atMs: nowMs });
  return { kind: 'stored', decision, payment, attempt, original, originalAttempt, merchant };
}

/** Perform: one send on the original's channel, within what is left of the client's deadline. */
async function sendInTime(context: FollowUpContext, request: FollowUpRequest, stored: StoredFollowUp, deadlineMs: number): Promise<ChannelSendResult> {
  const { clock, settings } = context;
  const { payment, attempt, original, originalAttempt, merchant } = stored;
  const named = channelNamed(context, attempt.channel);
  if (named === null) return { kind: 'not_sent', reason: 'closed', detail: 'channel not running' };
  const message = buildUpstreamFollowUp({
    type: request.operation,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc },
    upstreamTerminalId: attempt.upstreamTerminalId,
    acquirerId: named.settings.acquirerId,
    stan: attempt.stan,
    transmittedAtMs: attempt.createdAtMs,
    nowMs: clock.nowMs(),
    originalAttempt,
    originalRrn: original.rrn,
    ...(request.card === undefined ? {} : { card: request.card }),
    localOffsetMinutes: settings.localOffsetMinutes,
    entryModeCode: entryModeCodeOf(original.entryMode),
  });
  const leftMs = deadlineMs - settings.replyMarginMs - clock.nowMs();
  return named.channel.send(message, { timeoutMs: Math.max(1, Math.min(named.settings.timeoutMs, leftMs)) });
}

async function replayOf(context: FollowUpContext, earlier: IdempotencyRecord, requestHash: string): Promise<FollowUpResult> {
  if (earlier.requestHash !== requestHash) return { kind: 'idempotency_mismatch' };
  if (earlier.state !== 'done' || earlier.paymentId === null) return { kind: 'in_progress' };
  const payment = await context.store.getPayment(earlier.paymentId);
  if (payment === null) return { kind: 'in_progress' };
  const view = txnView(payment, await context.store.listAttempts(earlier.paymentId));
  return { kind: 'replayed', view, responseStatus: earlier.responseStatus, responseBody: earlier.responseBody };
}
