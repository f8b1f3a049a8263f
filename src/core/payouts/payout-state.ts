// The payout state machine, pure. A settlement batch with money to pay becomes one payout
// instruction (`pending`); writing it into a bank transfer file makes it `sent`; the bank's answer
// makes it `paid` or `failed` (with a reason). Nothing else moves it:
//
//   pending --export--> sent --answer S--> paid
//                            --answer F--> failed   (a new payout of the same batch may then be made)
//
// Re-importing an answer the payout already has is a no-op (the bank resends files); an answer that
// contradicts a final state, or whose amount differs from the instruction, is a finding, never applied.
import type { PayoutRecord } from '../ports/store.ts';
import { assertNever } from '../vocabulary.ts';
import { payoutReasonOf, type PayoutReasonCode } from './payout-reasons.ts';

export const payoutStates = ['pending', 'sent', 'paid', 'failed'] as const;
export type PayoutState = (typeof payoutStates)[number];

/** One line of the bank's answer, as parsed from the answer file. */
export interface PayoutAnswer {
  readonly payoutId: string;
  readonly status: 'paid' | 'failed';
  readonly amountMinor: number;
  /** The bank's reference of the transfer (流水号), when it gives one. */
  readonly bankReference: string | null;
  /** For a failure: the code as the bank wrote it and its text (账户名不符). */
  readonly reasonCode: string | null;
  readonly reasonText: string | null;
}

export type PayoutAnswerDecision =
  | { readonly kind: 'apply'; readonly next: PayoutRecord }
  | { readonly kind: 'already'; readonly payout: PayoutRecord }
  | { readonly kind: 'refused'; readonly problem: 'not_sent' | 'conflicting_answer' | 'amount_mismatch' | 'other_file'; readonly detail: string };

/** Marks a pending payout as written into transfer file `fileId`. */
export function markPayoutSent(payout: PayoutRecord, fileId: string, sentAtMs: number, expectedArrivalDate: string): PayoutRecord {
  if (payout.state !== 'pending') throw new Error(`broken invariant: payout ${payout.id} is ${payout.state}, only a pending payout is sent`);
  return { ...payout, state: 'sent', fileId, sentAtMs, expectedArrivalDate, version: payout.version + 1 };
}

/** What one answer line does to its payout. */
export function decidePayoutAnswer(payout: PayoutRecord, answer: PayoutAnswer, fileId: string, answeredAtMs: number): PayoutAnswerDecision {
  if (payout.fileId !== null && payout.fileId !== fileId) {
    return { kind: 'refused', problem: 'other_file', detail: `payout ${payout.id} was sent in file ${payout.fileId}, not ${fileId}` };
  }
  if (answer.amountMinor !== payout.amountMinor) {
    return { kind: 'refused', problem: 'amount_mismatch', detail: `payout ${payout.id} is ${payout.amountMinor} fen, the answer says ${answer.amountMinor}` };
  }
  switch (payout.state) {
    case 'pending':
      return { kind: 'refused', problem: 'not_sent', detail: `payout ${payout.id} was never sent` };
    case 'paid':
    case 'failed':
      return payout.state === answer.status
        ? { kind: 'already', payout }
        : { kind: 'refused', problem: 'conflicting_answer', detail: `payout ${payout.id} is already ${payout.state}; the answer says ${answer.status}` };
    case 'sent': {
      if (answer.status === 'paid') {
        return { kind: 'apply', next: { ...payout, state: 'paid', bankReference: answer.bankReference, reasonCode: null, reasonText: null, answeredAtMs, version: payout.version + 1 } };
      }
      const reason = payoutReasonOf(answer.reasonCode ?? 'other');
      const reasonCode: PayoutReasonCode = reason.code;
      const bankText = answer.reasonText?.trim() ?? '';
      return {
        kind: 'apply',
        next: { ...payout, state: 'failed', bankReference: answer.bankReference, reasonCode, reasonText: bankText === '' ? reason.zh : bankText, answeredAtMs, version: payout.version + 1 },
      };
    }
    default:
      return assertNever(payout.state, 'payout state');
  }
}

/** The id of a batch's n-th payout (1 for the first; a failed payout's batch gets n+1). */
export function payoutIdOf(batchId: string, attempt: number): string {
  return `po_${batchId}_${attempt}`;
}
