// Use case: refund part or all of a QR sale (docs/qr-payments.md#refunds). The card refund rules
// decide (src/core/payments/refund-rules.ts: never more than paid in total, refunds in flight
// counted), inside one write that locks the original and stores the refund `pending` before the
// provider is called. The refund's payment id is the out_refund_no, so a retry after no answer sends
// the same number and the provider refunds once; `processing` and no answer are followed by refund
// queries with the sale's backoff. Still unknown at the budget's end: answered `pending` (WAIT), and
// finished by the recovery sweep, which asks again with the same out_refund_no
// (recover-pending-qr-refunds.ts).
import { approvedDiagnosis, type Diagnosis } from '../../core/declines/index.ts';
import { diagnoseQrCode, qrOutcomeDiagnosis } from '../../core/declines/qr-code-table.ts';
import { decideRefund } from '../../core/payments/refund-rules.ts';
import { refuse } from '../../core/payments/txn-rule-result.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import { completedPayload } from '../../core/payments/sale-answer.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import type { FollowUpRequest, FollowUpResult, TxnView } from '../../core/ports/payments.ts';
import type { QrRefundResult } from '../../core/ports/qr-channel.ts';
import type { AttemptRecord, PaymentRecord } from '../../core/ports/store.ts';
import { protocolOfQrMethod } from '../../core/qr/choose-qr-channel.ts';
import { queryDelayMs } from '../../core/qr/qr-sale-decision.ts';
import { buildQrAttempt, qrPaymentIdOf } from '../../core/qr/qr-sale-records.ts';
import { newRandomId } from '../../core/time/random.ts';
import { duplicateSaleResult } from '../payments/duplicate-sale.ts';
import { updatePaymentChecked, writeDurably } from '../payments/durable-write.ts';
import { callProvider } from './call-provider.ts';
import type { QrChannelEntry, QrPaymentDeps } from './qr-deps.ts';

/** Refund calls (refund + refund query) per refund while the client waits. */
const refundCallsMax = 12;

export async function refundQrPayment(deps: QrPaymentDeps, request: FollowUpRequest): Promise<FollowUpResult> {
  const replay = await refundQrPaymentReplay(deps, request);
  if (replay !== null) return replay;
  const nowMs = deps.clock.nowMs();
  const refundId = qrPaymentIdOf(newRandomId(deps.random, 'x').slice(2));
  const started = await writeDurably(deps.store, async (tx) => {
    const original = await tx.lockPaymentForUpdate(request.originalPaymentId);
    if (original === null || original.merchantId !== request.merchantId) return { kind: 'refused' as const, refusal: refuse('RSW_TXN_ORIGINAL_NOT_FOUND', { originalId: request.originalPaymentId }) };
    const followUps = await tx.listFollowUps(original.id);
    const amountMinor = request.amountMinor ?? original.amountMinor;
    const decision = decideRefund({ original, followUps, amountMinor, currency: request.currency ?? original.currency });
    if (decision.kind !== 'allowed') return { kind: 'refused' as const, refusal: decision };
    const entry = channelOf(deps, original);
    if (entry === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'id', reason: `no QR channel serves ${original.method ?? 'card'}: configure one to refund this payment` });
    await tx.insertIdempotency({ scope: request.idempotency.scope, key: request.idempotency.key, requestHash: request.idempotency.requestHash, paymentId: refundId, state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    const refund: PaymentRecord = {
      ...original,
      id: refundId,
      kind: 'refund',
      status: 'pending',
      intake: request.intake,
      amountMinor,
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
      manualHandlingSinceMs: null,
    };
    await tx.insertPayment(refund);
    const attempt = buildQrAttempt({ id: newRandomId(deps.random, 'att'), paymentId: refundId, seq: 1, channel: entry.port.name, stan: await tx.nextStan(entry.port.name), upstreamTerminalId: original.terminalId ?? deps.settings.httpTerminalId, nowMs });
    await tx.insertAttempt(attempt);
    return { kind: 'started' as const, original, refund, attempt, entry };
  });
  if (started.kind === 'refused') return { kind: 'refused', refusal: started.refusal };
  const budgetEndMs = (request.deadlineMs ?? nowMs + deps.settings.httpBudgetMs) - deps.settings.replyMarginMs;
  deps.active.add(refundId);
  try {
    const result = await refundUntilFinal(deps, started.entry, started.original, started.refund, budgetEndMs);
    const view = await writeQrRefundOutcome(deps, started.refund, started.attempt, result, request.idempotency);
    return { kind: 'completed', view: view.view, diagnosis: view.diagnosis };
  } finally {
    deps.active.delete(refundId);
  }
}

function channelOf(deps: QrPaymentDeps, original: PaymentRecord): QrChannelEntry | undefined {
  return deps.channels.find((entry) => entry.port.method === original.method && !entry.disabled) ?? deps.channels.find((entry) => entry.port.method === original.method);
}

/** Refund, then refund queries while `processing` or unknown; a refund not sent or unanswered is sent again with the same out_refund_no. */
export async function refundUntilFinal(deps: QrPaymentDeps, entry: QrChannelEntry, original: PaymentRecord, refund: PaymentRecord, budgetEndMs: number): Promise<QrRefundResult> {
  const options = { timeoutMs: entry.timeoutMs };
  const send = () => entry.port.refund({ outTradeNo: original.id, outRefundNo: refund.id, refundMinor: refund.amountMinor, totalMinor: original.amountMinor, currency: original.currency, reason: refund.reference }, options);
  let result = await callProvider(deps.clock, send);
  for (let calls = 1; calls < refundCallsMax; calls++) {
    if (result.kind === 'answer' && (result.state === 'refunded' || result.state === 'failed')) return result;
    const delayMs = queryDelayMs({ ...deps.settings.sale, callTimeoutMs: entry.timeoutMs }, calls - 1);
    if (deps.clock.nowMs() + delayMs + entry.timeoutMs > budgetEndMs) return result;
    await deps.sleep(delayMs);
    // Not sent, no answer or not found: the same out_refund_no again (the provider refunds it once); processing: ask where it stands.
    const processing = result.kind === 'answer' && (result.state === 'processing' || result.state === 'unknown');
    result = await callProvider(deps.clock, processing ? () => entry.port.refundQuery(original.id, refund.id, options) : send);
  }
  return result;
}


/** The refund's end in one write: approved (fee back), declined, or still pending (WAIT). */
export async function writeQrRefundOutcome(deps: QrPaymentDeps, refund: PaymentRecord, attempt: AttemptRecord, result: QrRefundResult, idempotency: { scope: string; key: string } | null): Promise<{ view: TxnView; diagnosis: Diagnosis }> {
  const method = refund.method === 'alipay' ? 'alipay' : 'wechat';
  const end = result.kind === 'answer' && result.state === 'refunded' ? 'approved' : result.kind === 'answer' && result.state === 'failed' ? 'declined' : 'unknown';
  const providerCode = result.kind === 'answer' ? result.providerCode : null;
  const diagnosis = end === 'approved' ? approvedDiagnosis() : end === 'declined' ? diagnoseQrCode(deps.codeTables, protocolOfQrMethod[method], providerCode, 'declined') : qrOutcomeDiagnosis('unknown', null);
  return writeDurably(deps.store, async (tx) => {
    const nowMs = deps.clock.nowMs();
    const stored = await tx.getPayment(refund.id);
    if (stored === null) throw new Error(`broken invariant: refund ${refund.id} vanished`);
    const finishedAttempt: AttemptRecord = {
      ...attempt,
      outcome: end === 'approved' ? 'approved' : end === 'declined' ? 'declined' : 'unknown',
      responseCode: end === 'approved' ? '00' : (providerCode ?? diagnosis.code),
      providerCode,
      providerTradeNo: result.kind === 'answer' ? result.providerRefundNo : null,
      sentAtMs: attempt.sentAtMs ?? (result.kind === 'not_sent' ? null : result.sentAtMs),
      completedAtMs: end === 'unknown' ? null : nowMs,
    };
    await tx.updateAttempt(finishedAttempt);
    const after: PaymentRecord = {
      ...stored,
      status: end === 'approved' ? 'approved' : end === 'declined' ? 'declined' : 'pending',
      responseCode: diagnosis.code,
      rrn: finishedAttempt.providerTradeNo ?? stored.rrn,
      decline: end === 'approved' ? null : toStoredDecline(diagnosis),
      updatedAtMs: nowMs,
    };
    await updatePaymentChecked(tx, stored, after);
    const written = { ...after, version: stored.version + 1 };
    if (end === 'approved' && stored.status !== 'approved') await deps.fees?.recordRefund(tx, written);
    const view = toPaymentView(written, await tx.listAttempts(written.id)) as TxnView;
    if (idempotency !== null) await tx.updateIdempotency(idempotency.scope, idempotency.key, { paymentId: written.id, state: 'done', responseStatus: 201, responseBody: JSON.stringify(view), updatedAtMs: nowMs });
    if (end !== 'unknown') await tx.appendEvent({ type: 'payment.completed', subjectId: written.id, payload: { ...completedPayload(written, diagnosis), kind: 'refund', method: written.method }, atMs: nowMs });
    return { view, diagnosis };
  });
}

/** A refund or void whose idempotency key is taken: the stored answer, in progress, or a mismatch; null when the key is new. */
export async function refundQrPaymentReplay(deps: QrPaymentDeps, request: FollowUpRequest): Promise<FollowUpResult | null> {
  const earlier = await deps.store.getIdempotency(request.idempotency.scope, request.idempotency.key);
  return earlier === null ? null : asFollowUpResult(await duplicateSaleResult(deps, earlier, request.idempotency));
}

function asFollowUpResult(result: Awaited<ReturnType<typeof duplicateSaleResult>>): FollowUpResult {
  switch (result.kind) {
    case 'replayed':
      return { kind: 'replayed', view: result.view as TxnView, responseStatus: result.responseStatus, responseBody: result.responseBody };
    case 'in_progress':
      return { kind: 'in_progress' };
    case 'idempotency_mismatch':
      return { kind: 'idempotency_mismatch' };
    case 'completed':
      return { kind: 'completed', view: result.view as TxnView, diagnosis: result.diagnosis };
  }
}
