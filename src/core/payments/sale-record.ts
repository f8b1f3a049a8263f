// The records a sale starts with, built without I/O: the payment row (declined at once when a check
// failed), each upstream attempt (its STAN and id are inputs: the store and the random source give
// them), and the terminal the local checks see.
import { pendingAttempt } from './pending-attempt.ts';
import type { CardInfo } from '../cards/card-info.ts';
import type { BinTable, Diagnosis } from '../declines/index.ts';
import { lookupCard } from '../declines/index.ts';
import type { SaleRequest } from '../ports/payments.ts';
import type { AttemptRecord, PaymentKind, PaymentRecord, TerminalRecord } from '../ports/store.ts';
import { maskAuthCode } from '../qr/mask-auth-code.ts';
import { toStoredDecline } from './stored-decline.ts';
import { saleProcessingCode } from './upstream-request.ts';

/** The processing code of a pre-authorization (a sale with capture false). */
const preauthProcessingCode = '030000';

export interface SalePaymentInput {
  id: string;
  request: SaleRequest;
  /** A local decline, or null when the sale may go upstream. */
  decline: Diagnosis | null;
  panFingerprint: string;
  panKeyId: string;
  card: Pick<CardInfo, 'brand' | 'type' | 'issuer'>;
  nowMs: number;
}

/**
 * The payment row of a new sale: `pending`, or `declined` with the local decline. A UnionPay QR sale
 * (entry mode `qr`) is method `unionpay-qr` and keeps its code masked as QR codes are (first 4, last 4).
 */
export function buildSalePayment(input: SalePaymentInput): PaymentRecord {
  const { request, decline, nowMs } = input;
  const isQr = request.card.entryMode === 'qr';
  return {
    id: input.id,
    kind: (request.capture ? 'sale' : 'preauth') satisfies PaymentKind,
    status: decline === null ? 'pending' : 'declined',
    intake: request.intake,
    merchantId: request.merchantId,
    terminalId: request.terminalId,
    amountMinor: request.amountMinor,
    currency: request.currency,
    panFingerprint: input.panFingerprint,
    panKeyId: input.panKeyId,
    panMasked: isQr ? maskAuthCode(request.card.number.reveal()) : request.card.number.masked,
    cardBrand: input.card.brand,
    cardType: input.card.type,
    cardIssuer: input.card.issuer,
    entryMode: request.card.entryMode,
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
    ...(isQr ? { method: 'unionpay-qr' as const } : {}),
  };
}

export interface SaleAttemptInput {
  id: string;
  paymentId: string;
  request: Pick<SaleRequest, 'capture' | 'terminalId'>;
  seq: number;
  channel: string;
  /** The upstream STAN, taken from the store inside the unit that stores the attempt. */
  stan: string;
  /** DE 41 for HTTP sales that name no terminal (EngineSettings.httpTerminalId). */
  httpTerminalId: string;
  startedAtMs: number;
}

/** A pending attempt: stored before a byte of it goes upstream. */
export function buildSaleAttempt(input: SaleAttemptInput): AttemptRecord {
  const { request } = input;
  return pendingAttempt(
    {
      id: input.id,
      paymentId: input.paymentId,
      seq: input.seq,
      channel: input.channel,
      mti: request.capture ? '0200' : '0100',
      stan: input.stan,
      processingCode: request.capture ? saleProcessingCode : preauthProcessingCode,
      upstreamTerminalId: (request.terminalId ?? input.httpTerminalId).padEnd(8, ' ').slice(0, 8),
    },
    input.startedAtMs,
  );
}

/**
 * The terminal the local checks see. An HTTP sale that names no terminal is checked as the merchant's
 * own always-active stand-in; sign-on is a terminal-link concept, so HTTP sales skip that check.
 */
export function checkedTerminal(request: Pick<SaleRequest, 'terminalId' | 'intake'>, terminal: TerminalRecord | null, known: boolean) {
  if (request.terminalId === null) return { id: 'http', state: 'active' as const, signedOn: true, limits: {} };
  if (terminal === null || !known) return null;
  return { id: terminal.id, state: terminal.state, signedOn: request.intake === 'http' ? true : terminal.signedOn, limits: terminal.limits };
}

/** What the BIN table says of a card, or "unknown" when the number cannot be looked up. */
export function cardInfoOrUnknown(pan: string, binTable: BinTable): CardInfo {
  try {
    return lookupCard(pan, binTable);
  } catch {
    return { brand: 'unknown', type: 'unknown', issuer: null, binMatched: false, panLength: pan.length };
  }
}
