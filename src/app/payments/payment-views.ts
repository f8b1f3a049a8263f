// A payment as the API and replays show it: the row, its attempts and its fee, read from the store.
import type { PaymentFeeView, PaymentView } from '../../core/payments/payment-view.ts';
import { toPaymentView } from '../../core/payments/payment-view.ts';
import { feeViewOf } from '../../core/payments/sale-answer.ts';
import type { PaymentRecord, Store, StoreTx } from '../../core/ports/store.ts';

export async function feeOf(reader: Pick<StoreTx, 'listFeeLines'>, paymentId: string): Promise<PaymentFeeView | null> {
  return feeViewOf(await reader.listFeeLines({ paymentId }));
}

export async function viewOfPayment(store: Store, payment: PaymentRecord): Promise<PaymentView> {
  const attempts = await store.listAttempts(payment.id);
  return toPaymentView(payment, attempts, await feeOf(store, payment.id));
}
