// A sale whose idempotency key is already taken: a replay of the stored answer, a mismatch (the key
// reused for another request), or "in progress" while the original is still being answered.
import { diagnosisOfView, parseStoredView } from '../../core/payments/sale-answer.ts';
import type { SaleRequest, SaleResult } from '../../core/ports/payments.ts';
import type { IdempotencyRecord } from '../../core/ports/store.ts';
import { viewOfPayment } from './payment-views.ts';
import type { SaleDeps } from './sale-deps.ts';

export async function duplicateSaleResult(deps: Pick<SaleDeps, 'store' | 'active'>, record: IdempotencyRecord, request: SaleRequest['idempotency']): Promise<SaleResult> {
  if (record.requestHash !== request.requestHash && !(request.requestHashesRetired ?? []).includes(record.requestHash)) return { kind: 'idempotency_mismatch' };
  const payment = record.paymentId === null ? null : await deps.store.getPayment(record.paymentId);
  if (record.state === 'done' && payment !== null) {
    const view = await viewOfPayment(deps.store, payment);
    const answered = parseStoredView(record.responseBody) ?? view;
    return { kind: 'replayed', view, diagnosis: diagnosisOfView(answered), responseStatus: record.responseStatus, responseBody: record.responseBody };
  }
  if (payment !== null && payment.status !== 'pending' && !deps.active.has(payment.id)) {
    // The original's process died after the payment was final but before its answer was stored.
    const view = await viewOfPayment(deps.store, payment);
    return { kind: 'replayed', view, diagnosis: diagnosisOfView(view), responseStatus: 201, responseBody: JSON.stringify(view) };
  }
  return { kind: 'in_progress', paymentId: record.paymentId };
}
