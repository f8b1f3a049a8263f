// One typed terminal request to its answer (docs/terminal-link.md), without sockets: the route's
// guards first (the follow-up use cases configured, else `40`; a connection that signed the terminal
// on for reversals and voids, else `77`), then the use case the request names, reached only through
// the ports of src/core/ports (SaleUseCases, FollowUpUseCases, WorkingKeyPort, Store), then the answer.
// A sale or follow-up whose retransmission arrives while the original runs waits for the original's
// answer. The listener (terminal-listener.ts) checks MACs before and packs the answer after.
import { getText, type IsoMessage } from '../../core/iso8583/index.ts';
import { classifyOutcome, classifyResponseCode, storeBusyNotSentDiagnosis, type Diagnosis } from '../../core/declines/index.ts';
import { terminalResponseCodeOfQr } from '../../core/qr/qr-terminal-response-code.ts';
import { CardNumber, fingerprintPan } from '../../core/cards/pan.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import { formatBatchTotals } from '../../core/payments/batch-totals.ts';
import { requestHashOf } from '../../core/payments/request-hash.ts';
import { refusalCashierMessage } from '../../core/payments/txn-refusal-text.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import type { MacMode } from '../../core/crypto/terminal-mac.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { FollowUpRequest, FollowUpResult, FollowUpUseCases, SaleRequest, SaleResult, SaleUseCases } from '../../core/ports/payments.ts';
import type { QrSaleRequest, QrSaleUseCases } from '../../core/ports/qr-payments.ts';
import type { Store } from '../../core/ports/store.ts';
import type { WorkingKeyPort } from '../../core/ports/terminal-keys.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Language } from '../../core/vocabulary.ts';
import { buildAnswer, buildDiagnosisAnswer, diagnosisOfCode, echoed, echoesOf } from './build-terminal-answer.ts';
import type {
  TerminalBalanceInquiry,
  TerminalBatchUpload,
  TerminalEnvelope,
  TerminalFollowUp,
  TerminalQrSale,
  TerminalRefusal,
  TerminalRequest,
  TerminalReversal,
  TerminalSale,
  TerminalSettlement,
  TerminalSignOffOrEcho,
  TerminalSignOn,
} from './parse-terminal-request.ts';

/** The sale use cases the terminal link calls. */
export type TerminalSaleUseCases = Pick<SaleUseCases, 'authorize' | 'waitUntilAnswered' | 'reverseByTerminal' | 'settings'>;
/** The follow-up use cases the terminal link calls. */
export type TerminalFollowUpUseCases = Pick<FollowUpUseCases, 'followUp' | 'balanceInquiry' | 'settleBatch' | 'uploadBatchEntry' | 'findOriginalForTerminal'>;

/** What one listener gives every request it handles. */
export interface TerminalLink {
  readonly listenerName: string;
  readonly dialectName: string;
  readonly language: Language;
  readonly sales: TerminalSaleUseCases;
  /** Void, refund, completion, cancel, balance inquiry, settlement and upload; without it those are refused (40). */
  readonly followUps: TerminalFollowUpUseCases | undefined;
  /** WeChat Pay and Alipay sales (DE 22 `03x`); without them such a sale is refused (40). UnionPay QR sales go to `sales`. */
  readonly qrSales?: QrSaleUseCases | undefined;
  readonly store: Pick<Store, 'write' | 'getTerminal'>;
  readonly clock: Clock;
  readonly logger: LoggerLike;
  readonly macMode: MacMode;
  /** Issues working keys at sign-on; without it a sign-on carries no keys. */
  readonly keys: Pick<WorkingKeyPort, 'issue'> | undefined;
  /** True once the listener is closing: sales and follow-ups are refused `96` before anything is stored. */
  isClosing(): boolean;
  readonly lastSeen: { note(terminalId: string, nowMs: number): void; remember(terminalId: string, atMs: number): void };
}

/** What one connection has done: the terminals it signed on (reversals and voids need one). */
export interface TerminalConnection {
  readonly signedOn: Set<string>;
}

export interface TerminalRequestContext {
  readonly link: TerminalLink;
  readonly connection: TerminalConnection;
}

/** Terminals one connection may sign on (a connection is normally one terminal; a concentrator may carry a few). */
export const signedOnPerConnectionMax = 64;

/** ISO 4217 numeric to alphabetic for the currencies terminals send in DE 49. */
const currencyAlphaByNumeric: Readonly<Record<string, string>> = Object.freeze({
  '156': 'CNY', '344': 'HKD', '446': 'MOP', '901': 'TWD', '840': 'USD', '978': 'EUR', '826': 'GBP', '392': 'JPY', '410': 'KRW', '702': 'SGD',
});

/**
 * The answer to one parsed request. Not an `async` function: a sale's promise is passed through as it
 * is, rather than held by one more suspended frame (and promise) for as long as the sale runs; what
 * throws before a use case is reached still comes back as a rejection.
 */
export function handleTerminalRequest(request: TerminalRequest, context: TerminalRequestContext): Promise<IsoMessage> {
  try {
    const answer = answerOf(request, context);
    return answer instanceof Promise ? answer : Promise.resolve(answer);
  } catch (error) {
    return Promise.reject(error);
  }
}

function answerOf(request: TerminalRequest, context: TerminalRequestContext): Promise<IsoMessage> | IsoMessage {
  const { link, connection } = context;
  // Any request counts as a sign of life ("last seen, any message or echo"); sign-on and sign-off write it themselves.
  if (request.message.mti !== '0800') link.lastSeen.note(request.terminalId, link.clock.nowMs());
  const route = request.route;
  if (route !== null && route.needsFollowUps && link.followUps === undefined) return refuse(link, request, '40', 'no follow-up use cases on this listener');
  if (route !== null && route.needsSignOn && !connection.signedOn.has(request.terminalId)) {
    link.logger.warn({ listener: link.listenerName, terminalId: request.terminalId, mti: request.message.mti }, 'reversal or void on a connection that has not signed this terminal on; refused (77)');
    return answerCode(link, request, '77');
  }
  switch (request.kind) {
    case 'refused':
      return answerRefusal(link, request);
    case 'sign_on':
    case 'sign_off':
      return signOnOrOff(link, connection, request);
    case 'echo':
      link.lastSeen.note(request.terminalId, link.clock.nowMs());
      return networkAnswer(link, request, '00', null);
    case 'sale':
    case 'preauth':
      return sale(link, request);
    case 'qr_sale':
      return qrSale(link, request);
    case 'terminal_reversal':
      return reversal(link, request);
    case 'completion':
    case 'void':
    case 'completion_void':
    case 'preauth_cancel':
    case 'refund':
      return followUp(link, request, followUpsOf(link));
    case 'balance':
      return balance(link, request, followUpsOf(link));
    case 'settlement':
      return settlement(link, request, followUpsOf(link));
    case 'batch_upload':
      return batchUpload(request, followUpsOf(link));
  }
}

function followUpsOf(link: TerminalLink): TerminalFollowUpUseCases {
  if (link.followUps === undefined) throw new Error('broken invariant: a follow-up route passed its guard on a listener without follow-up use cases');
  return link.followUps;
}

function answerCode(link: TerminalLink, request: TerminalEnvelope, code: string): IsoMessage {
  return buildDiagnosisAnswer(request.message, request.responseMti, link.language, classifyResponseCode(code), null);
}

function refuse(link: TerminalLink, request: TerminalEnvelope, code: '40' | '12', reason: string): IsoMessage {
  link.logger.info({ listener: link.listenerName, mti: request.message.mti, processingCode: getText(request.message, 3), code, reason }, 'request type not supported; refused');
  return answerCode(link, request, code);
}

function answerRefusal(link: TerminalLink, request: TerminalRefusal): IsoMessage {
  if (request.field === null) return refuse(link, request, request.responseCode === '40' ? '40' : '12', request.reason);
  link.logger.info({ listener: link.listenerName, terminalId: request.terminalId, mti: request.message.mti, field: request.field, code: request.responseCode, reason: request.reason }, 'terminal request refused: a field the contract does not take');
  switch (request.layout) {
    case 'standard':
      return answerCode(link, request, request.responseCode);
    case 'network':
      return networkAnswer(link, request, request.responseCode, null);
    case 'settlement':
      return buildAnswer(request.message, request.responseMti, { ...echoed(request.message, echoesOf.settlement), 39: request.responseCode });
  }
}

function networkAnswer(link: TerminalLink, request: TerminalEnvelope, responseCode: string, workingKeyBlock: Buffer | null): IsoMessage {
  const fields = echoed(request.message, link.dialectName === 'cups-pos' ? echoesOf.networkCupsPos : echoesOf.network);
  fields[39] = responseCode;
  if (workingKeyBlock !== null && responseCode === '00') fields[62] = workingKeyBlock;
  return buildAnswer(request.message, request.responseMti, fields);
}

async function signOnOrOff(link: TerminalLink, connection: TerminalConnection, request: TerminalSignOn | TerminalSignOffOrEcho): Promise<IsoMessage> {
  const { terminalId } = request;
  const signedOn = request.kind === 'sign_on';
  const nowMs = link.clock.nowMs();
  let responseCode = '00';
  let workingKeyBlock: Buffer | null = null;
  const known =
    terminalId === ''
      ? false
      : await link.store.write(async (tx) => {
          const terminal = await tx.getTerminal(terminalId);
          if (terminal === null) return false;
          await tx.upsertTerminal({ ...terminal, signedOn, lastSeenAtMs: nowMs, updatedAtMs: nowMs });
          await tx.appendEvent({ type: signedOn ? 'terminal.signed_on' : 'terminal.signed_off', subjectId: terminalId, payload: { listener: link.listenerName }, atMs: nowMs });
          return true;
        });
  if (!known) responseCode = '97';
  else link.lastSeen.remember(terminalId, nowMs);
  if (known && request.kind === 'sign_on') {
    const keys = await issueWorkingKeys(link, request);
    if (keys.responseCode !== '00') responseCode = keys.responseCode;
    else if (connection.signedOn.size < signedOnPerConnectionMax || connection.signedOn.has(terminalId)) connection.signedOn.add(terminalId);
    if (keys.de62 !== null) workingKeyBlock = keys.de62;
  } else if (known) {
    connection.signedOn.delete(terminalId);
  }
  link.logger.info({ listener: link.listenerName, terminalId, code: request.networkCode, known, responseCode, workingKeys: workingKeyBlock !== null }, signedOn ? 'terminal sign-on' : 'terminal sign-off');
  return networkAnswer(link, request, responseCode, workingKeyBlock);
}

/**
 * New working keys for a sign-on, as DE 62. A terminal without a master key signs on without keys
 * where MACs are optional or off, and is refused (97) where they are required: it could not send a
 * single sale.
 */
async function issueWorkingKeys(link: TerminalLink, request: TerminalSignOn): Promise<{ responseCode: string; de62: Buffer | null }> {
  if (link.keys === undefined) return { responseCode: '00', de62: null };
  const issued = await link.keys.issue(request.terminalId, request.keySet);
  switch (issued.kind) {
    case 'issued':
      return { responseCode: '00', de62: issued.de62 };
    case 'no_master_key':
      if (link.macMode !== 'required') return { responseCode: '00', de62: null };
      link.logger.warn({ listener: link.listenerName, terminalId: request.terminalId }, 'sign-on refused (97): the terminal has no master key; run reswipe terminal-keys import or generate');
      return { responseCode: '97', de62: null };
    case 'rotated_meanwhile':
      return { responseCode: '96', de62: null };
  }
}

function sale(link: TerminalLink, request: TerminalSale): Promise<IsoMessage> | IsoMessage {
  // Shutting down: refuse before anything is stored or sent, so the terminal may retry elsewhere at once.
  if (link.isClosing()) return answerCode(link, request, '96');
  const presented = request.card;
  // Field by field rather than a rest and a spread: two copies of the card fewer on every sale.
  const card: SaleRequest['card'] = { number: new CardNumber(presented.pan), entryMode: presented.entryMode };
  if (presented.expiry !== undefined) card.expiry = presented.expiry;
  if (presented.cvv !== undefined) card.cvv = presented.cvv;
  if (presented.track2 !== undefined) card.track2 = presented.track2;
  if (presented.pinBlock !== undefined) card.pinBlock = presented.pinBlock;
  if (presented.iccData !== undefined) card.iccData = presented.iccData;
  return engineSale(link, request, presented.pan, card, request.kind === 'sale');
}

/**
 * A card sale or a UnionPay QR sale for the card engine, with DE 41 + 11 + 7 as its duplicate key. The
 * card number (or code) enters the request hash only as its keyed fingerprint; under the retired keys
 * too, so a retransmission that straddles a key rotation is still a replay (docs/card-data.md).
 */
function engineSale(link: TerminalLink, request: TerminalSale | TerminalQrSale, number: string, card: SaleRequest['card'], capture: boolean): Promise<IsoMessage> {
  const { sales, clock } = link;
  const deadlineMs = clock.nowMs() + sales.settings.terminalTimeoutMs;
  const scope = `iso:${request.terminalId}`;
  const key = `${request.stan}:${request.transmittedAt}`;
  const saleRequest: SaleRequest = {
    intake: 'iso',
    // DE 42 is ans15 and merchant ids are exactly 15 characters, so it is used as sent.
    merchantId: request.merchantId,
    terminalId: request.terminalId,
    amountMinor: request.amountMinor,
    currency: currencyAlphaByNumeric[request.currencyNumeric] ?? request.currencyNumeric,
    card,
    capture,
    reference: null,
    idempotency: {
      scope,
      key,
      // The card keeps its fingerprint under the current key: the sale's checks read its history by it.
      requestHash: terminalRequestHash(request, card.number.fingerprint(sales.settings.panKey)),
      requestHashesRetired: (sales.settings.panKeysRetired ?? []).map((retired) => terminalRequestHash(request, fingerprintPan(number, retired.key))),
    },
    terminalStan: request.stan,
    terminalTransmittedAt: request.transmittedAt,
    deadlineMs,
  };
  return takeSale(link, request, { scope, key, deadlineMs }, () => sales.authorize(saleRequest));
}

/** The hash of a sale's canonical fields, the card number or code as its keyed fingerprint. */
function terminalRequestHash(request: TerminalSale | TerminalQrSale, cardFingerprint: string): string {
  const { message, processingCode, amountText, currencyNumeric, terminalId, merchantId } = request;
  return requestHashOf({ mti: message.mti, processingCode, amountMinor: amountText, currency: currencyNumeric, terminalId, merchantId, card: cardFingerprint });
}

/**
 * Runs a sale's use case and answers it; a resend that finds its original still running waits for
 * the original's answer (the same key), then takes it. Refusals before anything was sent answer their code.
 */
async function takeSale(
  link: TerminalLink,
  request: TerminalSale | TerminalQrSale,
  wait: { scope: string; key: string; deadlineMs: number },
  take: () => Promise<SaleResult>,
  toTerminal?: (diagnosis: Diagnosis) => Diagnosis,
): Promise<IsoMessage> {
  const { sales } = link;
  let result: SaleResult;
  try {
    result = await take();
    if (result.kind === 'in_progress') {
      await sales.waitUntilAnswered(wait.scope, wait.key, wait.deadlineMs - sales.settings.replyMarginMs);
      result = await take();
    }
  } catch (error) {
    if (!isReswipeError(error)) throw error;
    link.logger.warn({ listener: link.listenerName, terminalId: request.terminalId, kind: request.kind, code: error.code, field: error.field }, 'sale refused before anything was sent');
    // A database still busy after the sale's retries: nothing was sent, so the cashier may try again in seconds, not minutes.
    if (error.code === 'RSW_STORE_BUSY') return buildDiagnosisAnswer(request.message, request.responseMti, link.language, storeBusyNotSentDiagnosis(), null);
    return answerCode(link, request, error.isoResponseCode ?? '96');
  }
  return answerOfSaleResult(link, request, result, toTerminal);
}

/**
 * A QR sale from a terminal (docs/terminal-link.md#qr-sales), with DE 41 + 11 + 7 as its duplicate
 * key, so a retransmission waits for (or replays) the first answer and never pays twice; answered like
 * a card sale. WeChat Pay and Alipay go to the QR use case with the terminal's timeout as its budget;
 * UnionPay QR goes to the card engine, which sends it on the host link (docs/qr-unionpay.md).
 */
async function qrSale(link: TerminalLink, request: TerminalQrSale): Promise<IsoMessage> {
  const { sales, clock, qrSales } = link;
  const { terminalId, merchantId, method } = request;
  if (link.isClosing()) return answerCode(link, request, '96');
  if (method === 'unionpay-qr') return engineSale(link, request, request.authCode, { number: new CardNumber(request.authCode), entryMode: 'qr' }, true);
  if (qrSales === undefined) return refuse(link, request, '40', 'no QR use cases on this listener');
  const deadlineMs = clock.nowMs() + sales.settings.terminalTimeoutMs;
  const scope = `iso:${terminalId}`;
  const key = `${request.stan}:${request.transmittedAt}`;
  const qrRequest: QrSaleRequest = {
    intake: 'iso',
    merchantId,
    terminalId,
    amountMinor: request.amountMinor,
    currency: currencyAlphaByNumeric[request.currencyNumeric] ?? request.currencyNumeric,
    method,
    authCode: request.authCode,
    reference: null,
    // The code enters the hash only as its keyed fingerprint, as a card number does.
    idempotency: { scope, key, requestHash: terminalRequestHash(request, fingerprintPan(request.authCode, sales.settings.panKey)) },
    terminalStan: request.stan,
    terminalTransmittedAt: request.transmittedAt,
    deadlineMs,
  };
  // DE 39 is the card code of the provider code's meaning; DE 63 keeps the provider code's own cashier advice.
  return takeSale(link, request, { scope, key, deadlineMs }, () => qrSales.takeQrPayment(qrRequest), (diagnosis) => ({ ...diagnosis, code: terminalResponseCodeOfQr(diagnosis) }));
}

function answerOfSaleResult(link: TerminalLink, request: TerminalSale | TerminalQrSale, result: SaleResult, toTerminal: (diagnosis: Diagnosis) => Diagnosis = (diagnosis) => diagnosis): IsoMessage {
  const { message, responseMti } = request;
  switch (result.kind) {
    case 'completed':
    case 'replayed':
      return buildDiagnosisAnswer(message, responseMti, link.language, toTerminal(result.diagnosis), { authCode: result.view.status === 'approved' ? result.view.authCode : null, rrn: result.view.rrn }, result.view.recovery);
    case 'in_progress':
      return buildDiagnosisAnswer(message, responseMti, link.language, classifyOutcome('no_reply'), null);
    case 'idempotency_mismatch':
      return answerCode(link, request, '94');
  }
}

async function reversal(link: TerminalLink, request: TerminalReversal): Promise<IsoMessage> {
  let responseCode = '25';
  let refusal: TxnRefusal | undefined;
  const { original } = request;
  if (original !== null) {
    try {
      // Whether this 0400 may undo the sale (its terminal, merchant, amount, window) is the use case's decision.
      const outcome = await link.sales.reverseByTerminal({
        terminalId: request.terminalId,
        merchantId: request.merchantId,
        amountMinor: request.amountMinor,
        originalStan: original.stan,
        originalTransmittedAt: original.transmittedAt,
        ...(original.dateMmdd === undefined ? {} : { originalDateMmdd: original.dateMmdd }),
        reasonCode: request.reasonCode,
      });
      responseCode = outcome.responseCode;
      refusal = outcome.refusal;
    } catch (error) {
      if (!isReswipeError(error)) throw error;
      responseCode = error.isoResponseCode ?? '96';
    }
  }
  const fields = echoed(request.message, echoesOf.reversal);
  fields[39] = responseCode;
  // A refused reversal says why in DE 63, in the listener's language, as a refused follow-up does.
  if (refusal !== undefined) fields[63] = refusalCashierMessage(refusal, link.language);
  return buildAnswer(request.message, request.responseMti, fields);
}

/** Void, completion, cancel, completion void or refund advice naming an original by DE 90, DE 61 or DE 37. */
async function followUp(link: TerminalLink, request: TerminalFollowUp, followUps: TerminalFollowUpUseCases): Promise<IsoMessage> {
  const { sales, clock, logger } = link;
  const { message, responseMti, terminalId, merchantId, kind: operation } = request;
  if (link.isClosing()) return answerCode(link, request, '96');
  const named = request.original;
  const original = named === null ? null : await followUps.findOriginalForTerminal(terminalId, named, merchantId);
  const deadlineMs = clock.nowMs() + sales.settings.terminalTimeoutMs;
  const scope = `iso:${terminalId}`;
  const key = `${request.stan}:${request.transmittedAt}`;
  const followUpRequest: FollowUpRequest = {
    operation,
    intake: 'iso',
    merchantId,
    originalPaymentId: original?.id ?? `unknown:${named?.rrn ?? named?.stan ?? ''}`,
    terminalId,
    amountMinor: request.amountMinor,
    currency: currencyAlphaByNumeric[request.currencyNumeric] ?? request.currencyNumeric,
    reference: null,
    idempotency: {
      scope,
      key,
      requestHash: requestHashOf({ mti: message.mti.slice(0, 3), processingCode: request.processingCode, condition: request.conditionCode, amountMinor: request.amountText, currency: request.currencyNumeric, terminalId, merchantId, original: original?.id ?? null }),
    },
    terminalStan: request.stan,
    terminalTransmittedAt: request.transmittedAt,
    ...(request.card === null ? {} : { card: request.card }),
    deadlineMs,
  };
  let result: FollowUpResult;
  try {
    result = await followUps.followUp(followUpRequest);
    if (result.kind === 'in_progress') {
      await sales.waitUntilAnswered(scope, key, deadlineMs - sales.settings.replyMarginMs);
      result = await followUps.followUp(followUpRequest);
    }
  } catch (error) {
    if (!isReswipeError(error)) throw error;
    logger.warn({ listener: link.listenerName, terminalId, operation, code: error.code }, 'follow-up refused before anything was sent');
    return answerCode(link, request, error.isoResponseCode ?? '96');
  }
  switch (result.kind) {
    case 'refused': {
      // The standard code for the terminal, and the reason ("该批次已结算，不能撤销，请做退货") in DE 63, in the listener's language.
      const answer = buildDiagnosisAnswer(message, responseMti, link.language, diagnosisOfCode(result.refusal.isoResponseCode), null);
      answer.fields[63] = refusalCashierMessage(result.refusal, link.language);
      logger.info({ listener: link.listenerName, terminalId, operation, code: result.refusal.code }, 'follow-up refused');
      return answer;
    }
    case 'completed':
      return buildDiagnosisAnswer(message, responseMti, link.language, result.diagnosis, { authCode: result.view.status === 'approved' ? result.view.authCode : null, rrn: result.view.rrn }, result.view.recovery);
    case 'replayed': {
      const diagnosis = result.view.status === 'approved' ? classifyResponseCode('00') : diagnosisOfCode(result.view.responseCode ?? '96');
      return buildDiagnosisAnswer(message, responseMti, link.language, diagnosis, { authCode: result.view.authCode, rrn: result.view.rrn });
    }
    case 'in_progress':
      return buildDiagnosisAnswer(message, responseMti, link.language, classifyOutcome('no_reply'), null);
    case 'idempotency_mismatch':
      return answerCode(link, request, '94');
  }
}

/** Balance inquiry: one try upstream, DE 54 passed back, nothing stored as money. */
async function balance(link: TerminalLink, request: TerminalBalanceInquiry, followUps: TerminalFollowUpUseCases): Promise<IsoMessage> {
  const result = await followUps.balanceInquiry({
    merchantId: request.merchantId,
    terminalId: request.terminalId,
    card: request.card,
    currency: currencyAlphaByNumeric[request.currencyNumeric] ?? request.currencyNumeric,
    deadlineMs: link.clock.nowMs() + link.sales.settings.terminalTimeoutMs,
  });
  const answer = buildDiagnosisAnswer(request.message, request.responseMti, link.language, result.diagnosis, null);
  if (result.kind === 'answered' && result.de54 !== null) answer.fields[54] = result.de54;
  return answer;
}

/** 0500: DE 48 totals against the journal; 00 closes the batch, 95 asks for a 0320 upload. */
async function settlement(link: TerminalLink, request: TerminalSettlement, followUps: TerminalFollowUpUseCases): Promise<IsoMessage> {
  const batchNo = request.batchNo ?? (await link.store.getTerminal(request.terminalId))?.batchNo ?? '000001';
  const fields = echoed(request.message, echoesOf.settlement);
  try {
    const result = await followUps.settleBatch({ terminalId: request.terminalId, batchNo, totals: request.totals });
    fields[39] = result.responseCode;
    fields[63] = result.responseCode === '00' ? 'batch settled' : `totals differ: journal ${formatBatchTotals(result.journal)}; upload the batch (0320)`;
  } catch (error) {
    if (!isReswipeError(error)) throw error;
    fields[39] = error.isoResponseCode ?? '96';
  }
  return buildAnswer(request.message, request.responseMti, fields);
}

/** 0320: one transaction of the batch; always acknowledged, mismatches recorded for reconciliation. */
async function batchUpload(request: TerminalBatchUpload, followUps: TerminalFollowUpUseCases): Promise<IsoMessage> {
  await followUps.uploadBatchEntry({ terminalId: request.terminalId, batchNo: request.batchNo, stan: request.stan, amountMinor: request.amountMinor, processingCode: request.processingCode });
  return buildAnswer(request.message, request.responseMti, { ...echoed(request.message, echoesOf.batchUpload), 39: '00' });
}
