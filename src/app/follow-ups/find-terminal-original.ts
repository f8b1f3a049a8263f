// The original a terminal names by RRN (DE 37) or by STAN and date (DE 61: the local MMDD; DE 90: the
// whole DE 7), among its own payments; by RRN also among its merchant's (a refund may come from another
// terminal of the shop).
import { isOriginalLocalDate } from '../../core/payments/original-local-date.ts';
import type { OriginalReference } from '../../core/ports/payments.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { FollowUpContext } from './follow-up-context.ts';

export async function findTerminalOriginal(context: FollowUpContext, terminalId: string, by: OriginalReference, merchantId?: string): Promise<PaymentRecord | null> {
  const { store, settings } = context;
  const rrn = by.rrn?.trim() ?? '';
  if (rrn !== '') {
    const page = await store.listPayments({ limit: 20, terminalId, rrn });
    const found = page.data.find((payment) => payment.rrn === rrn && payment.kind !== 'refund' && payment.kind !== 'void');
    if (found !== undefined) return found;
  }
  if (by.stan !== undefined) {
    const page = await store.listPayments({ limit: 20, terminalId, stan: by.stan });
    // DE 90 repeats the original's DE 7 as sent; DE 61.3 is the terminal's local date, compared with the
    // sale's local date in the business zone (never the UTC date of its DE 7: that is a day behind from 00:00 to 08:00 in China).
    const found = page.data.find(
      (payment) =>
        payment.terminalStan === by.stan &&
        (by.transmittedAt === undefined || payment.terminalTransmittedAt === by.transmittedAt) &&
        (by.dateMmdd === undefined || isOriginalLocalDate(by.dateMmdd, payment, settings.settlementTimeZone)),
    );
    if (found !== undefined) return found;
  }
  if (merchantId !== undefined && rrn !== '') {
    const page = await store.listPayments({ limit: 20, merchantId, rrn });
    const found = page.data.find((payment) => payment.rrn === rrn && (payment.kind === 'sale' || payment.kind === 'completion' || payment.kind === 'preauth'));
    if (found !== undefined) return found;
  }
  return null;
}
