// What a sale's answer is made of, as pure functions: the payment fields an answer sets, the diagnosis
// behind an answer (given, stored or derived from the attempts), the `payment.completed` payload and
// the fee shown with it. The sale use cases (src/app/payments) write what these return.
import type { Diagnosis } from '../declines/index.ts';
import { approvedDiagnosis, classifyOutcome } from '../declines/index.ts';
import type { AttemptRecord, FeeLineRecord, PaymentRecord } from '../ports/store.ts';
import type { PaymentStatus, ResponsibleParty } from '../vocabulary.ts';
import { diagnosisOfResponseCode } from './classify-reply.ts';
import type { ClientAnswer } from './payment-decision.ts';
import type { PaymentFeeView, PaymentView } from './payment-view.ts';
import { toStoredDecline } from './stored-decline.ts';

export function diagnosisOfAnswer(answer: ClientAnswer): Diagnosis {
  return answer.kind === 'approved' ? approvedDiagnosis() : answer.diagnosis;
}

/** Rebuilds the Diagnosis a stored answer was made from (the stored decline keeps verdict and advice; the table gives the rest). */
export function diagnosisOfView(view: PaymentView): Diagnosis {
  if (view.status === 'approved') return approvedDiagnosis();
  const decline = view.decline;
  if (decline === null) return classifyOutcome('not_sent');
  const base = diagnosisOfResponseCode(decline.code);
  return {
    ...base,
    outcome: decline.verdict === 'wait' ? 'unknown' : base.outcome,
    category: decline.category,
    party: decline.party as ResponsibleParty,
    verdict: decline.verdict,
    waitSeconds: decline.waitSeconds,
    advice: decline.advice,
  };
}

/** The view stored as an idempotency key's answer, or null when there is none or it does not parse. */
export function parseStoredView(body: string | null): PaymentView | null {
  if (body === null) return null;
  try {
    return JSON.parse(body) as PaymentView;
  } catch {
    return null;
  }
}

/** The payment with the fields `answer` sets: the approval's codes, or the decline (or WAIT) and the last RRN seen. */
export function withAnswer(payment: PaymentRecord, answer: ClientAnswer, attempts: readonly AttemptRecord[]): PaymentRecord {
  switch (answer.kind) {
    case 'approved': {
      const approved = attempts.find((attempt) => attempt.outcome === 'approved');
      return { ...payment, responseCode: approved?.responseCode ?? '00', authCode: approved?.authCode ?? null, rrn: approved?.rrn ?? null, decline: null };
    }
    case 'declined':
    case 'wait': {
      const last = [...attempts].reverse().find((attempt) => attempt.rrn !== null);
      return { ...payment, responseCode: answer.diagnosis.code, rrn: last?.rrn ?? payment.rrn, decline: toStoredDecline(answer.diagnosis) };
    }
  }
}

/** The payment finished as `status` with `diagnosis` (a recovery that finds the attempts final). */
export function withAnswerFields(payment: PaymentRecord, status: PaymentStatus, diagnosis: Diagnosis, attempts: readonly AttemptRecord[], nowMs: number): PaymentRecord {
  const answer: ClientAnswer = status === 'approved' ? { kind: 'approved', seq: 0 } : { kind: 'declined', diagnosis };
  return { ...withAnswer(payment, answer, attempts), status, updatedAtMs: nowMs };
}

/** The diagnosis the last attempt stands for (a payment finished by recovery, not by its sale). */
export function lastDiagnosisOf(attempts: readonly AttemptRecord[]): Diagnosis {
  const last = attempts[attempts.length - 1];
  if (last === undefined) return classifyOutcome('not_sent');
  if (last.outcome === 'reversed') return classifyOutcome('reversed');
  if (last.outcome === 'not_sent') return classifyOutcome('not_sent');
  return last.responseCode === null ? classifyOutcome('no_reply') : diagnosisOfResponseCode(last.responseCode);
}

/** The payload of `payment.completed`: what was answered, never card data. */
export function completedPayload(payment: PaymentRecord, diagnosis: Diagnosis): Record<string, unknown> {
  return {
    status: payment.status,
    code: diagnosis.code,
    category: diagnosis.category,
    verdict: diagnosis.verdict,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    merchantId: payment.merchantId,
    terminalId: payment.terminalId,
  };
}

/** The fee a payment view shows: its fee line, none once the fee was removed. */
export function feeViewOf(lines: readonly FeeLineRecord[]): PaymentFeeView | null {
  if (lines.some((line) => line.kind === 'fee_removed')) return null;
  const fee = lines.find((line) => line.kind === 'fee');
  return fee === undefined ? null : { feeMinor: fee.feeMinor, rateBps: fee.rateBps, plan: fee.plan };
}
