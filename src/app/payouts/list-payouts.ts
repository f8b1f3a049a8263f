// Payouts as people and clients see them (masked account, reasons in zh-CN and en, expected and
// actual arrival), filtered by merchant, state, business dates or transfer file.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { toPayoutView, type PayoutView } from '../../core/payouts/payout-view.ts';
import type { PayoutQuery, StoreReader } from '../../core/ports/store.ts';

export async function listPayoutViews(reader: StoreReader, query: PayoutQuery, timeZone: string): Promise<PayoutView[]> {
  return (await reader.listPayouts(query)).map((payout) => toPayoutView(payout, timeZone));
}

/** One payout; a merchant-bound caller gets RSW_PAYOUT_NOT_FOUND for another merchant's, as for a missing one. */
export async function showPayout(reader: StoreReader, id: string, timeZone: string, merchantId?: string): Promise<PayoutView> {
  const payout = await reader.getPayout(id);
  if (payout === null || (merchantId !== undefined && payout.merchantId !== merchantId)) throw new ReswipeError('RSW_PAYOUT_NOT_FOUND', { id, field: 'id' });
  return toPayoutView(payout, timeZone);
}
