// Use case: authorize a sale (or a pre-authorization), from intake (ISO terminal or HTTP) to a persisted
// final answer. Load and check (check-sale.ts), then the pure first decision, then the intent unit (key,
// payment and first attempt in ONE write before anything goes upstream), then the sale's pipeline
// (drive-sale.ts: send, outcome unit, retry or wait for a reversal), answering before the client's
// deadline, with 98 WAIT while the outcome is unknown. An approval is checked for a double approval last.
// A duplicate is told by the idempotency key's unique constraint in the intent unit (nothing is read for
// a new key), or at once when this process is still running the key's sale (docs/reswipe-guard.md).
import { ReswipeError, isReswipeError } from '../../core/errors/reswipe-error.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import { currencyNumericFor } from '../../core/payments/reversal-message.ts';
import type { SaleRequest, SaleResult } from '../../core/ports/payments.ts';
import type { AttemptRecord } from '../../core/ports/store.ts';
import { checkSale } from './check-sale.ts';
import { driveSale, firstDecision } from './drive-sale.ts';
import { duplicateSaleResult } from './duplicate-sale.ts';
import { errorText } from './error-text.ts';
import { writeIntentUnit } from './intent-unit.ts';
import { findEffect } from './outcome-unit.ts';
import { reverseDoubleApproval } from './reverse-double-approval.ts';
import type { SaleContext } from './sale-context.ts';
import type { SaleDeps } from './sale-deps.ts';
import type { TerminalGate } from './terminal-gate.ts';

/** How sales get in: refused while closing, bounded per terminal and in all (terminal-gate.ts), tracked until done. */
export interface SaleAdmission {
  isClosing(): boolean;
  gate: TerminalGate;
  running: Set<Promise<unknown>>;
  /** The idempotency keys (keyInFlightOf) of the sales this process has admitted and not yet finished. */
  keysInFlight: Set<string>;
}

export function keyInFlightOf(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}

/** Authorizes one sale; resolves with the answer for the client (never rejects for a business outcome). */
export async function authorizeSale(deps: SaleDeps, admission: SaleAdmission, request: SaleRequest): Promise<SaleResult> {
  if (admission.isClosing()) throw new ReswipeError('RSW_ENGINE_SHUTTING_DOWN');
  if (!(Number.isSafeInteger(request.amountMinor) && request.amountMinor >= 1 && request.amountMinor <= 999_999_999_999)) {
    throw new ReswipeError('RSW_ENGINE_AMOUNT_INVALID', { field: 'amountMinor', amount: String(request.amountMinor) });
  }
  try {
    currencyNumericFor(request.currency);
  } catch {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'currency', reason: 'must be an ISO 4217 code reswipe knows (CNY, HKD, USD, ...)' });
  }
  if (request.card.entryMode === 'qr' && !request.capture) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'capture', reason: 'a UnionPay QR sale is captured at once: it has no pre-authorization' });
  }
  const { scope, key } = request.idempotency;
  // A key seen for the first time needs no read: its unique constraint arbitrates a duplicate in the
  // intent unit, before anything is sent (the catch in authorizeAdmitted answers it from the store). A
  // key whose sale this process is still running is answered from the store at once (the in-flight
  // answer, or the stored one), rather than queued at the gate behind its own original.
  const inFlight = keyInFlightOf(scope, key);
  if (admission.keysInFlight.has(inFlight)) return answerDuplicate(deps, request);
  admission.keysInFlight.add(inFlight);
  try {
    const release = await admission.gate.acquire(request.terminalId === null ? null : `terminal:${request.terminalId}`);
    const work = authorizeAdmitted(deps, request);
    admission.running.add(work);
    try {
      return await work;
    } finally {
      admission.running.delete(work);
      release();
    }
  } finally {
    admission.keysInFlight.delete(inFlight);
  }
}

/** The answer to a request whose idempotency key is taken, or may be: the stored answer, a mismatch, or "in progress". */
async function answerDuplicate(deps: SaleDeps, request: SaleRequest): Promise<SaleResult> {
  const earlier = await deps.store.getIdempotency(request.idempotency.scope, request.idempotency.key);
  if (earlier !== null) return duplicateSaleResult(deps, earlier, request.idempotency);
  // Taken by a sale whose intent is not committed yet (or was refused, storing nothing): it is still being answered.
  return { kind: 'in_progress', paymentId: null };
}

async function authorizeAdmitted(deps: SaleDeps, request: SaleRequest): Promise<SaleResult> {
  const { settings, logger } = deps;
  const nowMs = deps.clock.nowMs();
  const deadlineMs = request.deadlineMs ?? nowMs + settings.terminalTimeoutMs;
  const replyByMs = deadlineMs - settings.replyMarginMs;

  const checked = await checkSale(deps, request, nowMs);
  if (checked.kind === 'no_party') {
    // Nothing is stored for this answer, so no key arbitrates: a replay of a stored sale whose merchant or
    // terminal is unknown now gets its stored answer, not this decline.
    const earlier = await deps.store.getIdempotency(request.idempotency.scope, request.idempotency.key);
    if (earlier !== null) return duplicateSaleResult(deps, earlier, request.idempotency);
    logger.warn({ merchantId: request.merchantId, terminalId: request.terminalId, code: checked.decline.code }, 'sale from an unknown merchant or terminal declined locally');
    return { kind: 'completed', view: toPaymentView(checked.payment, []), diagnosis: checked.decline };
  }
  const { payment, merchant, decline, route } = checked;
  const paymentId = payment.id;
  // The answer of a local decline (stored with its key); a sale that goes upstream is answered by its outcome unit.
  const declinedView = decline === null ? null : toPaymentView(payment, []);
  // The first decision is pure, so its first attempt is persisted (with its upstream STAN) in the SAME
  // unit as the idempotency key and the payment: one durable commit instead of two before the first
  // byte goes upstream, and the intent is just as durable when it does.
  const first = decline === null ? firstDecision(settings, route, replyByMs, nowMs) : null;
  const firstSend = first === null ? undefined : findEffect(first.effects, 'send');
  let firstAttempt: AttemptRecord | null = null;
  try {
    // Nothing is sent before this write, so a busy database is retried: for at most a quarter of the budget.
    const busyRetryUntilMs = nowMs + Math.max(0, Math.floor((replyByMs - nowMs) / 4));
    firstAttempt = await writeIntentUnit(deps, { request, payment, decline, declinedView, reswipeBlockedBy: checked.reswipeBlockedBy, firstSend, nowMs, busyRetryUntilMs });
  } catch (error) {
    // The key (or the ISO retransmission's key) is taken: a duplicate. Nothing of this unit is stored, nothing was sent.
    if (isReswipeError(error, 'RSW_STORE_CONFLICT') && isDuplicateConstraint(error.params.constraint)) return answerDuplicate(deps, request);
    // The intent was not written (nothing sent). A replay still gets its stored answer when the key can
    // be read: a store that refuses writes may still serve reads, as it did the read that once came
    // before every sale. (A key naming this very payment is this unit's, committed despite the error.)
    const earlier = await deps.store.getIdempotency(request.idempotency.scope, request.idempotency.key).catch(() => null);
    if (earlier === null || earlier.paymentId === paymentId) throw error;
    return duplicateSaleResult(deps, earlier, request.idempotency).catch(() => {
      throw error;
    });
  }
  if (decline !== null && declinedView !== null) {
    logger.debug({ paymentId, code: decline.code, category: decline.category }, 'sale declined locally');
    return { kind: 'completed', view: declinedView, diagnosis: decline };
  }

  deps.active.add(paymentId);
  const context: SaleContext = {
    request,
    payment,
    merchant,
    replyByMs,
    recovery: {
      policy: deps.recoveryPolicy,
      route,
      schemeBudgetAllowed: checked.budgetAllowed,
      replyByMs,
      autoRetriesMax: settings.autoRetriesMax,
      attemptMinMs: settings.attemptMinMs,
      isOneTimeCode: request.card.entryMode === 'qr',
    },
    attempts: new Map(),
    storedAttempts: new Map(),
    reversals: new Map(),
    result: null,
    routeInput: checked.routeInput,
    persistedSeq: firstAttempt === null ? null : firstAttempt.seq,
    stored: payment,
  };
  if (firstAttempt !== null) {
    context.attempts.set(firstAttempt.seq, firstAttempt);
    context.storedAttempts.set(firstAttempt.seq, firstAttempt);
  }
  try {
    await driveSale(deps, context, first);
  } finally {
    deps.active.delete(paymentId);
    deps.answerWaiters.notifyAnswered(request.idempotency.scope, request.idempotency.key);
  }
  if (context.result === null) throw new Error(`broken invariant: payment ${paymentId} finished without an answer`);
  if (context.result.kind === 'completed' && context.result.view.status === 'approved') {
    // The approval is durable and is the answer: a failing double-approval check must not turn it into a 96.
    await reverseDoubleApproval(deps, context.payment).catch((error: unknown) => {
      logger.error({ paymentId, error: errorText(error) }, 'double-approval check failed; the approval stands');
    });
  }
  return context.result;
}

function isDuplicateConstraint(constraint: unknown): boolean {
  return constraint === 'idempotency_records_pkey' || constraint === 'payments_iso_key';
}
