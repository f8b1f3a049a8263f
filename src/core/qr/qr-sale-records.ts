// The records a QR sale writes, built without I/O (docs/qr-payments.md#what-is-stored). A QR payment
// lives in the same payments table as a card sale, so every report, settlement batch and statement
// sees it: the card columns carry the code's safe forms (masked, keyed fingerprint), the method says
// what it is. The payment id is the provider's out_trade_no (at most 32 characters for WeChat Pay).
import type { Diagnosis } from '../declines/diagnosis.ts';
import { pendingAttempt } from '../payments/pending-attempt.ts';
import { toStoredDecline } from '../payments/stored-decline.ts';
import type { QrCallResult } from '../ports/qr-channel.ts';
import type { QrSaleRequest } from '../ports/qr-payments.ts';
import type { AttemptRecord, PaymentRecord } from '../ports/store.ts';
import type { AttemptOutcome, PaymentStatus } from '../vocabulary.ts';
import { maskAuthCode } from './auth-code.ts';

/** The MTI column of a QR attempt: no ISO message is sent, the provider's HTTP API is called. */
export const qrAttemptMti = 'QR00';

/** A QR payment id from 96 random bits: `pay_` and 24 hex digits, 28 characters, a valid out_trade_no. */
export function qrPaymentIdOf(randomHex: string): string {
  if (!/^[0-9a-f]{24,}$/.test(randomHex)) throw new Error('a QR payment id needs 24 random hex digits');
  return `pay_${randomHex.slice(0, 24)}`;
}

export interface QrPaymentInput {
  id: string;
  request: QrSaleRequest;
  authCodeFingerprint: string;
  panKeyId: string;
  decline: Diagnosis | null;
  nowMs: number;
}

/** The payment row of a new QR sale: `pending`, or `declined` with a local decline. */
export function buildQrPayment(input: QrPaymentInput): PaymentRecord {
  const { request, decline, nowMs } = input;
  return {
    id: input.id,
    kind: 'sale',
    status: decline === null ? 'pending' : 'declined',
    intake: request.intake,
    merchantId: request.merchantId,
    terminalId: request.terminalId,
    amountMinor: request.amountMinor,
    currency: request.currency,
    panFingerprint: input.authCodeFingerprint,
    panKeyId: input.panKeyId,
    panMasked: maskAuthCode(request.authCode),
    // The card brand and type lists are the cards'; `method` is what a QR payment is.
    cardBrand: 'unknown',
    cardType: 'unknown',
    cardIssuer: null,
    entryMode: 'qr',
    terminalStan: request.terminalStan ?? null,
    terminalTransmittedAt: request.terminalTransmittedAt ?? null,
    reference: request.reference,
    originalPaymentId: null,
    responseCode: decline?.code ?? null,
    authCode: null,
    rrn: null,
    decline: decline === null ? null : toStoredDecline(decline),
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    version: 1,
    method: request.method,
  };
}

/** A pending QR attempt (one call of pay), stored before the call. */
export function buildQrAttempt(input: { id: string; paymentId: string; seq: number; channel: string; stan: string; upstreamTerminalId: string; nowMs: number }): AttemptRecord {
  return {
    ...pendingAttempt(
      {
        id: input.id,
        paymentId: input.paymentId,
        seq: input.seq,
        channel: input.channel,
        mti: qrAttemptMti,
        stan: input.stan,
        processingCode: '000000',
        upstreamTerminalId: input.upstreamTerminalId.padEnd(8, ' ').slice(0, 8),
      },
      input.nowMs,
    ),
    providerTradeNo: null,
    providerCode: null,
  };
}

/** What the provider's answers told about an attempt, folded in as they come. */
export function withQrCall(attempt: AttemptRecord, result: QrCallResult): AttemptRecord {
  if (result.kind !== 'answer') return result.kind === 'no_answer' && attempt.sentAtMs === null ? { ...attempt, sentAtMs: result.sentAtMs } : attempt;
  return {
    ...attempt,
    sentAtMs: attempt.sentAtMs ?? result.sentAtMs,
    latencyMs: attempt.latencyMs ?? result.latencyMs,
    providerTradeNo: result.facts.providerTradeNo ?? attempt.providerTradeNo ?? null,
    providerCode: result.providerCode ?? attempt.providerCode ?? null,
  };
}

/** How a QR sale ended, as the attempt outcome and payment status (the card words, docs/vocabulary.md). */
export const qrEndStates = {
  approved: { attempt: 'approved', payment: 'approved' },
  declined: { attempt: 'declined', payment: 'declined' },
  not_sent: { attempt: 'not_sent', payment: 'declined' },
  cancelled: { attempt: 'reversed', payment: 'reversed' },
  unknown: { attempt: 'unknown', payment: 'pending' },
} as const satisfies Record<string, { attempt: AttemptOutcome; payment: PaymentStatus }>;
export type QrEnd = keyof typeof qrEndStates;

/** The payment and attempt at the end, with the answer fields (the decline, or the approval's provider trade number). */
export function finishQrRecords(payment: PaymentRecord, attempt: AttemptRecord, end: QrEnd, diagnosis: Diagnosis, nowMs: number): { payment: PaymentRecord; attempt: AttemptRecord } {
  const states = qrEndStates[end];
  const finishedAttempt: AttemptRecord = {
    ...attempt,
    outcome: states.attempt,
    responseCode: end === 'approved' ? '00' : (attempt.providerCode ?? diagnosis.code),
    completedAtMs: end === 'unknown' ? null : nowMs,
  };
  const finishedPayment: PaymentRecord = {
    ...payment,
    status: states.payment,
    responseCode: diagnosis.code,
    // The provider's trade number is the QR sale's retrieval reference (the statement and reconciliation key).
    rrn: finishedAttempt.providerTradeNo ?? payment.rrn,
    decline: end === 'approved' ? null : toStoredDecline(diagnosis),
    updatedAtMs: nowMs,
  };
  return { payment: finishedPayment, attempt: finishedAttempt };
}
