// Use case: take a QR sale (付款码) from intake to a durable answer (docs/qr-payments.md). Validate,
// answer a duplicate from its idempotency key, load and check, then the intent unit (key, payment and
// first attempt in ONE write before the pay goes out), then drive the trade (query-until-final.ts)
// and write its end in one outcome unit: approved, declined, cancelled (not charged) or WAIT while
// the durable follow-up cancels it in the background.
import { fingerprintPan } from '../../core/cards/pan.ts';
import { ReswipeError, isReswipeError } from '../../core/errors/reswipe-error.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import { completedPayload } from '../../core/payments/sale-answer.ts';
import type { SaleResult } from '../../core/ports/payments.ts';
import type { QrSaleRequest } from '../../core/ports/qr-payments.ts';
import { authCodeProblem } from '../../core/qr/auth-code.ts';
import { checkQrSale } from '../../core/qr/check-qr-sale.ts';
import { protocolOfQrMethod, qrRouteOf } from '../../core/qr/choose-qr-channel.ts';
import { buildQrAttempt, buildQrPayment, qrPaymentIdOf } from '../../core/qr/qr-sale-records.ts';
import { newRandomId } from '../../core/time/random.ts';
import { duplicateSaleResult } from '../payments/duplicate-sale.ts';
import { writeDurably } from '../payments/durable-write.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { diagnosisOfQrEnd, writeQrOutcomeUnit } from './qr-outcome-unit.ts';
import { queryUntilFinal } from './query-until-final.ts';

/** QR sales in flight in one process; more are refused before anything is sent. */
export const qrSalesInFlightMax = 10_000;

export async function takeQrPayment(deps: QrPaymentDeps, request: QrSaleRequest): Promise<SaleResult> {
  if (!(Number.isSafeInteger(request.amountMinor) && request.amountMinor >= 1 && request.amountMinor <= 999_999_999_999)) {
    throw new ReswipeError('RSW_ENGINE_AMOUNT_INVALID', { field: 'amountMinor', amount: String(request.amountMinor) });
  }
  if (request.currency !== 'CNY') throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'currency', reason: 'QR payments are taken in CNY' });
  const problem = authCodeProblem(request.method, request.authCode);
  if (problem !== null) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'authCode', reason: problem });

  const { scope, key } = request.idempotency;
  const earlier = await deps.store.getIdempotency(scope, key);
  if (earlier !== null) return duplicateSaleResult(deps, earlier, request.idempotency);
  if (deps.active.size >= qrSalesInFlightMax) throw new ReswipeError('RSW_ENGINE_OVERLOADED', { inFlight: String(deps.active.size) });

  const nowMs = deps.clock.nowMs();
  const merchant = await deps.store.getMerchant(request.merchantId);
  const terminal = request.terminalId === null ? null : await deps.store.getTerminal(request.terminalId);
  const route = qrRouteOf(
    deps.channels.map((entry) => ({ ...entry, name: entry.port.name, method: entry.port.method })),
    request.method,
  );
  const checked = checkQrSale({
    merchant,
    terminal,
    terminalNamed: request.terminalId !== null,
    intake: request.intake,
    method: request.method,
    amountMinor: request.amountMinor,
    channelsForMethod: route.length,
  });
  const decline = checked.kind === 'ok' ? null : checked.decline;
  const payment = buildQrPayment({
    id: qrPaymentIdOf(newRandomId(deps.random, 'x').slice(2)),
    request,
    authCodeFingerprint: fingerprintPan(request.authCode, deps.settings.panKey),
    panKeyId: deps.settings.panKeyId,
    decline,
    nowMs,
  });
  if (checked.kind === 'no_party') return { kind: 'completed', view: toPaymentView(payment, []), diagnosis: checked.decline };

  const first = route[0];
  const view = toPaymentView(payment, []);
  let attempt;
  try {
    attempt = await writeDurably(deps.store, async (tx) => {
      await tx.insertIdempotency({
        scope,
        key,
        requestHash: request.idempotency.requestHash,
        paymentId: payment.id,
        state: decline === null ? 'in_progress' : 'done',
        responseStatus: decline === null ? null : 201,
        responseBody: decline === null ? null : JSON.stringify(view),
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
      });
      await tx.insertPayment(payment);
      if (decline !== null || first === undefined) {
        await tx.appendEvent({ type: 'payment.completed', subjectId: payment.id, payload: { ...completedPayload(payment, decline!), method: payment.method }, atMs: nowMs });
        return null;
      }
      const record = buildQrAttempt({
        id: newRandomId(deps.random, 'att'),
        paymentId: payment.id,
        seq: 1,
        channel: first.port.name,
        stan: await tx.nextStan(first.port.name),
        upstreamTerminalId: request.terminalId ?? deps.settings.httpTerminalId,
        nowMs,
      });
      await tx.insertAttempt(record);
      return record;
    });
  } catch (error) {
    if (isReswipeError(error, 'RSW_STORE_CONFLICT') && (error.params.constraint === 'idempotency_records_pkey' || error.params.constraint === 'payments_iso_key')) {
      const raced = await deps.store.getIdempotency(scope, key);
      return raced === null ? { kind: 'in_progress', paymentId: null } : duplicateSaleResult(deps, raced, request.idempotency);
    }
    throw error;
  }
  if (attempt === null || decline !== null) return { kind: 'completed', view, diagnosis: decline! };

  const budgetMs = request.intake === 'iso' ? deps.settings.terminalBudgetMs : deps.settings.httpBudgetMs;
  const budgetEndMs = (request.deadlineMs ?? nowMs + budgetMs) - deps.settings.replyMarginMs;
  deps.active.add(payment.id);
  try {
    const end = await queryUntilFinal(deps, { payment, request, route, attempt, budgetEndMs });
    const diagnosis = diagnosisOfQrEnd(deps, protocolOfQrMethod[request.method], end.end, end.providerCode);
    const written = await writeQrOutcomeUnit(deps, { paymentId: payment.id, attempt: end.attempt, end: end.end, diagnosis, idempotency: { scope, key }, followUpReason: end.followUpReason, by: 'sale' });
    deps.logger.info({ paymentId: payment.id, method: request.method, status: written.view.status, code: diagnosis.code, verdict: diagnosis.verdict }, 'QR payment answered');
    return { kind: 'completed', view: written.view, diagnosis };
  } finally {
    deps.active.delete(payment.id);
  }
}
