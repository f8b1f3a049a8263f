// Use case: the terminal's own reversal (0400/0401). The original is found by its STAN and DE 7 (or
// STAN and local date); if it was (or may have been) approved and the 0400 may undo it
// (decideTerminalReversal: same terminal and merchant, same amount, inside the window, batch not
// settled), its reversal is queued. An original that never arrived has its key taken now, so it is
// refused as a duplicate if it arrives later and is never charged. Answers DE 39 for the 0410.
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import { isOriginalLocalDate } from '../../core/payments/original-local-date.ts';
import { isUnresolved } from '../../core/payments/payment-decision.ts';
import { decideTerminalReversal } from '../../core/payments/terminal-reversal-rules.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { TerminalReversalInput } from '../../core/ports/payments.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import { isQrProviderMethod } from '../../core/qr/auth-code.ts';
import { defaultBusinessTimeZone } from '../../core/time/local-time.ts';
import { writeDurably } from './durable-write.ts';
import { reversalReasonOf } from './reversal-reason.ts';
import type { SaleDeps } from './sale-deps.ts';

/** The request hash of a key taken by a terminal reversal whose original never arrived: no real request hashes to it. */
const reversedByTerminalHash = 'reversed-by-terminal';
/** A terminal's own 0400 later than this after its sale is refused when the settings name no window (the config default). */
const defaultTerminalReversalWindowMs = 86_400_000;

export async function reverseByTerminal(deps: SaleDeps, input: TerminalReversalInput): Promise<{ responseCode: string; refusal?: TxnRefusal }> {
  const { store, settings, clock, logger } = deps;
  const scope = `iso:${input.terminalId}`;
  let transmittedAt = input.originalTransmittedAt;
  if (transmittedAt === null) {
    // Named by STAN only: the newest sale of this terminal with that STAN (and, when given, made on that
    // local date: cups-pos DE 61.3 is the terminal's local date, compared in the business time zone).
    const zone = settings.businessTimeZone ?? defaultBusinessTimeZone;
    const page = await store.listPayments({ limit: 20, terminalId: input.terminalId, stan: input.originalStan });
    const match = page.data.find(
      (payment) =>
        payment.terminalStan === input.originalStan &&
        payment.terminalTransmittedAt !== null &&
        (input.originalDateMmdd === undefined || isOriginalLocalDate(input.originalDateMmdd, payment, zone)),
    );
    if (match === undefined || match.terminalTransmittedAt === null) return { responseCode: '25' };
    transmittedAt = match.terminalTransmittedAt;
  }
  const key = `${input.originalStan}:${transmittedAt}`;
  let record = await store.getIdempotency(scope, key);
  if (record === null) {
    // The original never reached us (or is still on its way, reordered behind its reversal). Its key
    // is taken now, so if the original arrives later it is refused as a duplicate and never charged.
    const tombstoned = await takeKeyOfMissingOriginal(deps, scope, key);
    if (tombstoned) return { responseCode: '25' };
    record = await store.getIdempotency(scope, key);
    if (record === null) return { responseCode: '25' };
  }
  if (record.state === 'in_progress') {
    await deps.answerWaiters.waitUntilAnswered(scope, key, clock.nowMs() + settings.terminalTimeoutMs);
    record = await store.getIdempotency(scope, key);
  }
  const paymentId = record?.paymentId ?? null;
  if (paymentId === null) return { responseCode: '25' };
  const reasonCode = reversalReasonOf(input.reasonCode, '06');
  const decided = await writeDurably(store, async (tx): Promise<{ kind: 'queued' | 'nothing' } | { kind: 'qr'; payment: PaymentRecord } | TxnRefusal> => {
    const payment = await tx.getPayment(paymentId);
    if (payment === null) return { kind: 'nothing' };
    const nowMs = clock.nowMs();
    // Decided inside the write, on fresh data: a 0500 settling the batch cannot slip between check and queue.
    const settled = payment.terminalId === null ? null : await tx.lastEventOf('batch.settled', payment.terminalId);
    const rule = decideTerminalReversal({
      original: payment,
      terminalId: input.terminalId,
      merchantId: input.merchantId,
      amountMinor: input.amountMinor,
      nowMs,
      windowMs: settings.terminalReversalWindowMs ?? defaultTerminalReversalWindowMs,
      batchSettledAtMs: settled?.atMs ?? null,
    });
    if (rule.kind === 'refused') return rule;
    // A WeChat Pay or Alipay sale was never an upstream ISO message: its trade is cancelled by the QR use cases, never by a card 0400.
    if (isQrProviderMethod(payment.method)) return { kind: 'qr', payment };
    const attempts = await tx.listAttempts(paymentId);
    const target = attempts.find((attempt) => attempt.outcome === 'approved' || isUnresolved(attempt.outcome));
    if (target === undefined) return { kind: 'nothing' };
    await deps.enqueueReversal(tx, {
      attempt: target,
      payment,
      reasonCode: target.outcome === 'approved' ? reasonCode : '98',
      nowMs,
      newStan: await tx.nextStan(target.channel),
      transmittedAt: transmissionDateTime(nowMs),
    });
    // enqueueReversal appends `reversal.queued` itself; this event records who asked.
    await tx.appendEvent({ type: 'payment.reversal_requested', subjectId: paymentId, payload: { seq: target.seq, channel: target.channel, reasonCode, by: 'terminal' }, atMs: nowMs });
    return { kind: 'queued' };
  });
  if (decided.kind === 'refused') {
    // Loud: a 0400 naming another terminal's or merchant's sale is what a stranger forging reversals sends.
    logger.warn({ terminalId: input.terminalId, paymentId, code: decided.code, responseCode: decided.isoResponseCode }, 'terminal reversal refused; nothing reversed');
    return { responseCode: decided.isoResponseCode, refusal: decided };
  }
  if (decided.kind === 'qr') {
    if (deps.reverseQrSale === undefined) {
      logger.warn({ terminalId: input.terminalId, paymentId }, 'terminal reversal of a QR sale without QR use cases; refused (12)');
      return { responseCode: '12' };
    }
    return deps.reverseQrSale(decided.payment, input);
  }
  if (decided.kind === 'queued') deps.reversalWorker.kick();
  logger.info({ terminalId: input.terminalId, paymentId, queued: decided.kind === 'queued' }, 'terminal reversal honoured');
  return { responseCode: '00' };
}

/** Takes an idempotency key for a request the terminal has already reversed; false when the request got there first. */
async function takeKeyOfMissingOriginal(deps: SaleDeps, scope: string, key: string): Promise<boolean> {
  const nowMs = deps.clock.nowMs();
  try {
    await writeDurably(deps.store, (tx) =>
      tx.insertIdempotency({ scope, key, requestHash: reversedByTerminalHash, paymentId: null, state: 'done', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs }),
    );
    return true;
  } catch (error) {
    if (isReswipeError(error, 'RSW_STORE_CONFLICT')) return false;
    throw error;
  }
}
