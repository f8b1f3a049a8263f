// What people and clients see of a payout: never the sealed account number, only its masked form;
// the failure reason in zh-CN and en next to the bank's own text; expected and actual arrival.
import { businessDateOf } from '../fees/business-date.ts';
import { formatMinorAsYuan } from '../fees/parse-yuan.ts';
import type { PayoutRecord } from '../ports/store.ts';
import { isLateArrival } from './expected-arrival.ts';
import { payoutReasonOf } from './payout-reasons.ts';

export interface PayoutView {
  id: string;
  batchId: string;
  merchantId: string;
  businessDate: string;
  attempt: number;
  amountMinor: number;
  amountYuan: string;
  currency: string;
  settleMode: 't1' | 'd0';
  bankCode: string;
  accountName: string;
  accountNumberMasked: string;
  state: PayoutRecord['state'];
  fileId: string | null;
  expectedArrivalDate: string;
  /** The local date the bank confirmed the credit; null until paid. */
  actualArrivalDate: string | null;
  late: boolean;
  bankReference: string | null;
  reason: { code: string; zh: string; en: string; party: string; bankText: string | null } | null;
  createdAt: string;
  sentAt: string | null;
  answeredAt: string | null;
}

export function toPayoutView(payout: PayoutRecord, timeZone: string): PayoutView {
  const actualArrivalDate = payout.state === 'paid' && payout.answeredAtMs !== null ? businessDateOf(payout.answeredAtMs, timeZone, '00:00') : null;
  const reason = payout.reasonCode === null ? null : payoutReasonOf(payout.reasonCode);
  return {
    id: payout.id,
    batchId: payout.batchId,
    merchantId: payout.merchantId,
    businessDate: payout.businessDate,
    attempt: payout.attempt,
    amountMinor: payout.amountMinor,
    amountYuan: formatMinorAsYuan(payout.amountMinor),
    currency: payout.currency,
    settleMode: payout.settleMode,
    bankCode: payout.bankCode,
    accountName: payout.accountName,
    accountNumberMasked: payout.accountNumberMasked,
    state: payout.state,
    fileId: payout.fileId,
    expectedArrivalDate: payout.expectedArrivalDate,
    actualArrivalDate,
    late: actualArrivalDate !== null && isLateArrival(payout.expectedArrivalDate, actualArrivalDate),
    bankReference: payout.bankReference,
    reason: reason === null ? null : { code: reason.code, zh: reason.zh, en: reason.en, party: reason.party, bankText: payout.reasonText },
    createdAt: new Date(payout.createdAtMs).toISOString(),
    sentAt: payout.sentAtMs === null ? null : new Date(payout.sentAtMs).toISOString(),
    answeredAt: payout.answeredAtMs === null ? null : new Date(payout.answeredAtMs).toISOString(),
  };
}
