// The transaction set beyond the sale: void, refund, pre-authorization completion and cancel,
// completion void, balance inquiry, batch settlement (0500) and batch upload (0320). The sale and the
// pre-authorization itself go through the AuthorizationEngine; this module follows up on them.
//
// Money safety, per operation (docs/vocabulary.md invariants):
//   - the rules (src/core/payments/*-rules.ts) are decided INSIDE the write that inserts the follow-up,
//     so two follow-ups of one original are serialized and refunds can never together exceed it;
//   - the idempotency key, the payment and its pending attempt (with its own upstream STAN) are durable
//     before a byte goes upstream;
//   - void, completion, cancel and completion void are reversible: an unknown outcome queues a
//     reversal (the ReversalWorker sends it) and the client is told 98/WAIT;
//   - a refund is an advice (0220): accepted once stored, sent at once, and re-sent (0221, same STAN and
//     DE 7) by the advice forwarder until the host acknowledges it, never across its business date;
//   - a balance inquiry moves no money: it is not stored as a payment and never reversed.
import { getText, type IsoMessage } from '../../core/iso8583/index.ts';
import type { AttemptRecord, MerchantRecord, PaymentKind, PaymentRecord, Store, StoreTx, ReversalRecord } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { newRandomId, type Random } from '../../core/time/random.ts';
import type { PaymentStatus } from '../../core/vocabulary.ts';
import type { Diagnosis } from '../../core/declines/index.ts';
import { approvedDiagnosis, classifyOutcome, classifyResponseCode } from '../../core/declines/index.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { businessDateOf } from '../../core/fees/business-date.ts';
import type { FollowUp, FollowUpOriginal } from '../../core/payments/follow-up-original.ts';
import { decideVoid } from '../../core/payments/void-rules.ts';
import { decideRefund, nextAdviceStep } from '../../core/payments/refund-rules.ts';
import { dayMs, decideHoldClose } from '../../core/payments/preauth-rules.ts';
import type { TxnRefusal, TxnRuleResult } from '../../core/payments/txn-rule-result.ts';
import { buildUpstreamFollowUp, transactionShape, type FollowUpOperation } from '../../core/payments/follow-up-request.ts';
import { posEntryModeFor, transmissionDateTime } from '../../core/payments/upstream-request.ts';
import { localDateTime } from '../../core/payments/upstream-fields.ts';
import { isOriginalLocalDate } from '../../core/payments/original-local-date.ts';
import { decideFollowUpCard, panOfTrack2 } from '../../core/payments/follow-up-card-rules.ts';
import { decideFollowUpTerminal } from '../../core/payments/follow-up-terminal-rules.ts';
import { fingerprintPan } from '../../core/cards/pan.ts';
import { currencyNumericFor } from '../../core/payments/reversal-message.ts';
import { computeBatchTotals, decideSettlement, type BatchTotals, type SettlementVerdict } from '../../core/payments/batch-totals.ts';
import { toPaymentView, type PaymentView } from '../../core/payments/payment-view.ts';
import type { ChannelPort, ChannelSendResult, LoggerLike } from '../../core/ports/channel.ts';
import type { BalanceRequest, BalanceResult, EngineChannelSettings, EngineSettings, FollowUpFeeHooks, FollowUpRequest, FollowUpResult, SettlementRequest, SettlementResult, TxnView } from '../../core/ports/payments.ts';
import { enqueueReversal as enqueueReversalDefault, type EnqueueReversalInput, type ReversalSettlement } from '../reversals/reversal-worker.ts';
import { toStoredDecline } from '../../core/payments/stored-decline.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { isMember, entryModes } from '../../core/vocabulary.ts';

export type { FollowUpOperation } from '../../core/payments/follow-up-request.ts';
export type { BalanceRequest, BalanceResult, FollowUpFeeHooks, FollowUpRequest, FollowUpResult, SettlementRequest, SettlementResult, TxnView } from '../../core/ports/payments.ts';

export interface TransactionSetSettings {
  /** Completion may exceed the authorized amount by this many basis points. */
  completionToleranceBps: number;
  /** Holds are released this many days after the pre-authorization. */
  holdExpiryDays: number;
  /** Wait between refund advice repeats (0221). */
  adviceRetryMs: number;
  /** Most advices one forwarding pass sends. */
  advicesPerPassMax: number;
  /** Business day: time zone and cut-off of settlement (same as fees). */
  settlementTimeZone: string;
  settlementCutoff: string;
  terminalTimeoutMs: number;
  replyMarginMs: number;
  httpTerminalId: string;
  localOffsetMinutes: number;
  channels: readonly EngineChannelSettings[];
  /** Most journal rows one batch settlement reads. */
  batchRowsMax: number;
  /** The PAN fingerprint key (the engine's): a card a follow-up presents must fingerprint to its original's. */
  panKey: string;
  /** Retired PAN keys (the engine's): an original fingerprinted before a rotation still matches its card. */
  panKeysRetired?: ReadonlyArray<{ readonly id: string; readonly key: string }>;
}

export const defaultTransactionSettings = Object.freeze({
  completionToleranceBps: 1500,
  holdExpiryDays: 30,
  adviceRetryMs: 30_000,
  advicesPerPassMax: 100,
  settlementTimeZone: 'Asia/Shanghai',
  settlementCutoff: '23:00',
  batchRowsMax: 50_000,
});

/** The transaction set's settings from the config and the engine's own (channels, timeouts, local time). */
export function transactionSettingsFromConfig(config: ReswipeConfig, engine: EngineSettings): TransactionSetSettings {
  return {
    ...defaultTransactionSettings,
    completionToleranceBps: config.engine.transactions.completionToleranceBps,
    holdExpiryDays: config.engine.transactions.holdExpiryDays,
    adviceRetryMs: config.engine.transactions.adviceRetryMs,
    settlementTimeZone: config.fees.settlementTimeZone,
    terminalTimeoutMs: engine.terminalTimeoutMs,
    replyMarginMs: engine.replyMarginMs,
    httpTerminalId: engine.httpTerminalId,
    localOffsetMinutes: engine.localOffsetMinutes,
    channels: engine.channels,
    panKey: engine.panKey,
    panKeysRetired: engine.panKeysRetired ?? [],
  };
}

export interface TransactionSetDeps {
  store: Store;
  channels: readonly ChannelPort[];
  clock: Clock;
  random: Random;
  logger: LoggerLike;
  settings: TransactionSetSettings;
  reversalWorker: { kick(): void };
  enqueueReversal?: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  fees?: FollowUpFeeHooks;
}

const adviceMtis = new Set(['0220', '0221']);

export class TransactionSet {
  readonly #store: Store;
  readonly #channels: ReadonlyMap<string, ChannelPort>;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: LoggerLike;
  readonly #settings: TransactionSetSettings;
  readonly #reversalWorker: { kick(): void };
  readonly #enqueueReversal: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  readonly #fees: FollowUpFeeHooks | undefined;
  #forwardTimer: NodeJS.Timeout | null = null;
  #forwarding: Promise<unknown> | null = null;

  constructor(deps: TransactionSetDeps) {
    this.#store = deps.store;
    this.#channels = new Map(deps.channels.map((channel) => [channel.name, channel]));
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#logger = deps.logger;
    this.#settings = deps.settings;
    this.#reversalWorker = deps.reversalWorker;
    this.#enqueueReversal = deps.enqueueReversal ?? enqueueReversalDefault;
    this.#fees = deps.fees;
  }

  /** Business date (YYYY-MM-DD) of an instant, by the settlement time zone and cut-off. */
  businessDateOf(atMs: number): string {
    return businessDateOf(atMs, this.#settings.settlementTimeZone, this.#settings.settlementCutoff);
  }

  /** Runs a void, refund, completion, cancel or completion void. Refusals are values; only faults throw. */
  async followUp(request: FollowUpRequest): Promise<FollowUpResult> {
    const earlier = await this.#store.getIdempotency(request.idempotency.scope, request.idempotency.key);
    if (earlier !== null) return this.#duplicate(earlier.requestHash, request.idempotency.requestHash, earlier.state, earlier.paymentId, earlier.responseStatus, earlier.responseBody);
    const nowMs = this.#clock.nowMs();
    const deadlineMs = request.deadlineMs ?? nowMs + this.#settings.terminalTimeoutMs;
    const shape = transactionShape(request.operation);

    let prepared: Prepared | TxnRefusal;
    try {
      prepared = await this.#store.write((tx) => this.#prepareInTx(tx, request, nowMs));
    } catch (error) {
      if (isReswipeError(error, 'RSW_STORE_CONFLICT')) {
        const again = await this.#store.getIdempotency(request.idempotency.scope, request.idempotency.key);
        if (again !== null) return this.#duplicate(again.requestHash, request.idempotency.requestHash, again.state, again.paymentId, again.responseStatus, again.responseBody);
      }
      throw error;
    }
    if (prepared.kind === 'refused') {
      this.#logger.info({ operation: request.operation, originalPaymentId: request.originalPaymentId, code: prepared.code }, 'follow-up refused');
      return { kind: 'refused', refusal: prepared };
    }

    const { payment, attempt, original, originalAttempt, merchant } = prepared;
    const channel = this.#channels.get(attempt.channel);
    const channelSettings = this.#settings.channels.find((candidate) => candidate.name === attempt.channel);
    let result: ChannelSendResult;
    if (channel === undefined || channelSettings === undefined) {
      result = { kind: 'not_sent', reason: 'closed', detail: 'channel not running' };
    } else {
      const message = buildUpstreamFollowUp({
        type: request.operation,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc },
        upstreamTerminalId: attempt.upstreamTerminalId,
        acquirerId: channelSettings.acquirerId,
        stan: attempt.stan,
        transmittedAtMs: attempt.createdAtMs,
        nowMs: this.#clock.nowMs(),
        originalAttempt,
        originalRrn: original.rrn,
        ...(request.card === undefined ? {} : { card: request.card }),
        localOffsetMinutes: this.#settings.localOffsetMinutes,
        entryModeCode: entryModeCodeOf(original.entryMode),
      });
      const leftMs = deadlineMs - this.#settings.replyMarginMs - this.#clock.nowMs();
      result = await channel.send(message, { timeoutMs: Math.max(1, Math.min(channelSettings.timeoutMs, leftMs)) });
    }
    const finished = shape.reversible ? await this.#finishReversible(request, payment, attempt, result) : await this.#finishAdvice(request, payment, attempt, result);
    this.#logger.info({ paymentId: finished.view.id, operation: request.operation, status: finished.view.status, code: finished.diagnosis.code }, 'follow-up answered');
    return finished;
  }

  /** Inside one write: the rule decided on fresh data, then the key, the payment and its pending attempt. */
  async #prepareInTx(tx: StoreTx, request: FollowUpRequest, nowMs: number): Promise<Prepared | TxnRefusal> {
    // Locked, not just read: on PostgreSQL a follow-up of the same original deciding on another node
    // waits here until this unit commits, then sees this unit's follow-up in listFollowUps, so two
    // refunds (or a refund and a void) can never both pass "never more than the original".
    const stored = await tx.lockPaymentForUpdate(request.originalPaymentId);
    if (request.intake === 'iso' && request.terminalId !== null) {
      // First, so a terminal of another shop learns nothing about this shop's payments.
      const terminal = await tx.getTerminal(request.terminalId);
      const sender = decideFollowUpTerminal({ terminalId: request.terminalId, terminalMerchantId: terminal?.merchantId ?? null, merchantId: request.merchantId });
      if (sender.kind === 'refused') return sender;
    }
    const original = stored !== null && stored.merchantId === request.merchantId ? stored : null;
    const merchant = await tx.getMerchant(request.merchantId);
    const followUps = original === null ? [] : (await tx.listFollowUps(original.id)).map(toFollowUp);
    const amountMinor = request.amountMinor ?? original?.amountMinor ?? 0;
    const currency = request.currency ?? original?.currency ?? 'CNY';
    const rule = await this.#decide(tx, request, original, followUps, amountMinor, currency, nowMs);
    if (rule.kind === 'refused') return rule.code === 'RSW_TXN_ORIGINAL_NOT_FOUND' ? refusedNotFound(request.originalPaymentId, rule) : rule;
    if (original === null || merchant === null) throw new Error('broken invariant: an allowed follow-up has its original and merchant');
    // A card the terminal presents goes upstream, so it must be the original's card: a refund to another
    // card would pay a stranger out of this sale. Refused before anything is stored or sent.
    const keys = [this.#settings.panKey, ...(this.#settings.panKeysRetired ?? []).map((retired) => retired.key)];
    const card = decideFollowUpCard({ originalFingerprint: original.panFingerprint, presentedCards: presentedPans(request.card).map((pan) => keys.map((key) => fingerprintPan(pan, key))) });
    if (card.kind === 'refused') return card;
    const attempts = await tx.listAttempts(original.id);
    const originalAttempt = attempts.find((attempt) => attempt.outcome === 'approved');
    if (originalAttempt === undefined) throw new Error(`broken invariant: approved payment ${original.id} has no approved attempt`);
    const shape = transactionShape(request.operation);
    const paymentId = this.#newId('pay');
    const payment: PaymentRecord = {
      id: paymentId,
      kind: request.operation,
      // A refund advice is accepted once stored: it counts against the original from now on.
      status: request.operation === 'refund' ? 'approved' : 'pending',
      intake: request.intake,
      merchantId: original.merchantId,
      terminalId: request.terminalId ?? original.terminalId,
      amountMinor,
      currency,
      panFingerprint: original.panFingerprint,
      ...(original.panKeyId === undefined ? {} : { panKeyId: original.panKeyId }),
      panMasked: original.panMasked,
      cardBrand: original.cardBrand,
      cardType: original.cardType,
      cardIssuer: original.cardIssuer,
      entryMode: original.entryMode,
      terminalStan: request.terminalStan ?? null,
      terminalTransmittedAt: request.terminalTransmittedAt ?? null,
      reference: request.reference,
      originalPaymentId: original.id,
      responseCode: null,
      authCode: null,
      rrn: null,
      decline: null,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      version: 1,
    };
    const attempt: AttemptRecord = {
      id: this.#newId('att'),
      paymentId,
      seq: 1,
      // The original's channel: only the host that holds the money can undo or capture it.
      channel: originalAttempt.channel,
      mti: shape.mti,
      stan: await tx.nextStan(originalAttempt.channel),
      transmittedAt: transmissionDateTime(nowMs),
      processingCode: shape.processingCode,
      upstreamTerminalId: originalAttempt.upstreamTerminalId,
      outcome: 'pending',
      responseCode: null,
      authCode: null,
      rrn: null,
      latencyMs: null,
      sentAtMs: null,
      completedAtMs: null,
      createdAtMs: nowMs,
    };
    await tx.insertIdempotency({ ...request.idempotency, paymentId, state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.insertPayment(payment);
    await tx.insertAttempt(attempt);
    await tx.appendEvent({ type: `payment.${request.operation}_started`, subjectId: paymentId, payload: { originalPaymentId: original.id, amountMinor }, atMs: nowMs });
    return { kind: 'prepared', payment, attempt, original, originalAttempt, merchant };
  }

  async #decide(tx: StoreTx, request: FollowUpRequest, original: PaymentRecord | null, followUps: FollowUp[], amountMinor: number, currency: string, nowMs: number): Promise<TxnRuleResult> {
    const originalView: FollowUpOriginal | null = original === null ? null : toOriginal(original);
    switch (request.operation) {
      case 'void':
      case 'completion_void': {
        const batchClosed = original?.terminalId == null ? null : await tx.lastEventOf('batch.settled', original.terminalId);
        return decideVoid({
          operation: request.operation,
          original: originalView,
          followUps,
          amountMinor,
          currency,
          terminalId: request.intake === 'http' ? (original?.terminalId ?? null) : request.terminalId,
          originalBusinessDate: this.businessDateOf(original?.createdAtMs ?? nowMs),
          todayBusinessDate: this.businessDateOf(nowMs),
          batchClosedAtMs: batchClosed?.atMs ?? null,
        });
      }
      case 'refund':
        return decideRefund({ original: originalView, followUps, amountMinor, currency });
      case 'completion':
      case 'preauth_cancel':
        return decideHoldClose({
          operation: request.operation,
          original: originalView,
          followUps,
          amountMinor,
          currency,
          nowMs,
          policy: { completionToleranceBps: this.#settings.completionToleranceBps, holdExpiryDays: this.#settings.holdExpiryDays },
        });
    }
  }

  /** Void, completion, cancel, completion void: one attempt; approved changes the original, unknown is reversed. */
  async #finishReversible(request: FollowUpRequest, payment: PaymentRecord, attempt: AttemptRecord, result: ChannelSendResult): Promise<Extract<FollowUpResult, { kind: 'completed' }>> {
    const nowMs = this.#clock.nowMs();
    const outcome = outcomeOf(result, nowMs);
    const view = await this.#store.write(async (tx) => {
      const updatedAttempt: AttemptRecord = { ...attempt, ...outcome.attempt };
      await tx.updateAttempt(updatedAttempt);
      const current = await mustGetPayment(tx, payment.id);
      let status: PaymentStatus;
      let diagnosis = outcome.diagnosis;
      if (outcome.kind === 'approved') status = 'approved';
      else if (outcome.kind === 'unknown') status = 'pending';
      else status = 'declined';
      const updated: PaymentRecord = {
        ...current,
        status,
        responseCode: outcome.kind === 'approved' ? (outcome.attempt.responseCode ?? '00') : diagnosis.code,
        authCode: outcome.attempt.authCode ?? null,
        rrn: outcome.attempt.rrn ?? null,
        decline: outcome.kind === 'approved' ? null : toStoredDecline(diagnosis),
        updatedAtMs: nowMs,
        version: current.version + 1,
      };
      if (!(await tx.updatePayment(current, updated))) throw new Error(`broken invariant: follow-up ${payment.id} changed under its only writer`);
      if (outcome.kind === 'unknown') {
        await this.#enqueueReversal(tx, { attempt: updatedAttempt, payment: updated, reasonCode: '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
        await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { seq: 1, channel: attempt.channel, stan: attempt.stan }, atMs: nowMs });
      }
      if (outcome.kind === 'approved') await this.#applyToOriginal(tx, request.operation, updated, nowMs);
      if (outcome.kind !== 'approved' && outcome.kind !== 'unknown') diagnosis = outcome.diagnosis;
      return this.#answerInTx(tx, request, updated, diagnosis, nowMs);
    });
    if (outcome.kind === 'unknown') this.#reversalWorker.kick();
    return { kind: 'completed', view, diagnosis: outcome.diagnosis };
  }

  /** What an approved follow-up does to its original: a void or cancel closes it, a completion records its fee. */
  async #applyToOriginal(tx: StoreTx, operation: FollowUpOperation, followUp: PaymentRecord, nowMs: number): Promise<void> {
    if (operation === 'completion') {
      if (this.#fees !== undefined) await this.#fees.recordApproved(tx, followUp);
      return;
    }
    if (operation === 'refund') return;
    // Locked like in #prepareInTx: the read-modify-write of the original waits for any other node's decision on it.
    const original = followUp.originalPaymentId === null ? null : await tx.lockPaymentForUpdate(followUp.originalPaymentId);
    if (original === null) throw new Error(`broken invariant: follow-up ${followUp.id} lost its original`);
    if (original.status !== 'approved') return;
    const voided: PaymentRecord = { ...original, status: 'voided', updatedAtMs: nowMs, version: original.version + 1 };
    if (!(await tx.updatePayment(original, voided))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
    if (this.#fees !== undefined && operation !== 'preauth_cancel') await this.#fees.removeForPayment(tx, voided);
    await tx.appendEvent({ type: 'payment.voided', subjectId: original.id, payload: { by: followUp.id, operation }, atMs: nowMs });
  }

  /** Refund advice: acknowledged (approved), refused by the host (declined), or left for the forwarder. */
  async #finishAdvice(request: FollowUpRequest, payment: PaymentRecord, attempt: AttemptRecord, result: ChannelSendResult): Promise<Extract<FollowUpResult, { kind: 'completed' }>> {
    const nowMs = this.#clock.nowMs();
    const outcome = outcomeOf(result, nowMs);
    const view = await this.#store.write(async (tx) => {
      const current = await mustGetPayment(tx, payment.id);
      let updated: PaymentRecord;
      if (outcome.kind === 'approved' || outcome.kind === 'declined') {
        await tx.updateAttempt({ ...attempt, ...outcome.attempt });
        updated = outcome.kind === 'approved'
          ? { ...current, status: 'approved', responseCode: outcome.attempt.responseCode ?? '00', authCode: outcome.attempt.authCode ?? null, rrn: outcome.attempt.rrn ?? null }
          : { ...current, status: 'declined', responseCode: outcome.diagnosis.code, decline: toStoredDecline(outcome.diagnosis), rrn: outcome.attempt.rrn ?? null };
        if (outcome.kind === 'declined') await tx.appendEvent({ type: 'payment.refund_refused_upstream', subjectId: payment.id, payload: { code: outcome.diagnosis.code }, atMs: nowMs });
      } else {
        // Not acknowledged: the advice stays pending in the queue (same STAN and DE 7) and the refund stands.
        const sentAtMs = result.kind === 'not_sent' ? null : (result.sentAtMs ?? nowMs);
        await tx.updateAttempt({ ...attempt, mti: sentAtMs === null ? attempt.mti : '0221', sentAtMs });
        updated = { ...current, status: 'approved', responseCode: '00' };
        await tx.appendEvent({ type: 'payment.refund_queued', subjectId: payment.id, payload: { channel: attempt.channel, stan: attempt.stan }, atMs: nowMs });
      }
      updated = { ...updated, updatedAtMs: nowMs, version: current.version + 1 };
      if (!(await tx.updatePayment(current, updated))) throw new Error(`broken invariant: refund ${payment.id} changed under its only writer`);
      if (updated.status === 'approved' && this.#fees !== undefined) await this.#fees.recordRefund(tx, updated);
      return this.#answerInTx(tx, request, updated, outcome.kind === 'declined' ? outcome.diagnosis : approvedDiagnosis(), nowMs);
    });
    return { kind: 'completed', view, diagnosis: outcome.kind === 'declined' ? outcome.diagnosis : approvedDiagnosis() };
  }

  async #answerInTx(tx: StoreTx, request: FollowUpRequest, payment: PaymentRecord, diagnosis: Diagnosis, nowMs: number): Promise<TxnView> {
    const view = txnView(payment, await tx.listAttempts(payment.id));
    await tx.updateIdempotency(request.idempotency.scope, request.idempotency.key, { paymentId: payment.id, state: 'done', responseStatus: 201, responseBody: JSON.stringify(view), updatedAtMs: nowMs });
    await tx.appendEvent({
      type: 'payment.completed',
      subjectId: payment.id,
      payload: { kind: payment.kind, status: payment.status, code: diagnosis.code, category: diagnosis.category, verdict: diagnosis.verdict, amountMinor: payment.amountMinor, originalPaymentId: payment.originalPaymentId },
      atMs: nowMs,
    });
    return view;
  }

  /**
   * One pass of the store-and-forward queue: every refund advice not yet acknowledged is re-sent as
   * 0221 (same STAN and DE 7) when due; an advice whose business date has passed goes to manual handling.
   */
  async forwardDueAdvices(): Promise<{ sent: number; acknowledged: number; expired: number }> {
    const counts = { sent: 0, acknowledged: 0, expired: 0 };
    const pending = await this.#store.listPendingAdvices(this.#settings.advicesPerPassMax);
    for (const advice of pending) {
      if (!adviceMtis.has(advice.mti)) continue;
      const nowMs = this.#clock.nowMs();
      const step = nextAdviceStep(
        { tries: advice.sentAtMs === null ? 0 : 1, lastSentAtMs: advice.sentAtMs === null ? null : Math.max(advice.sentAtMs, advice.completedAtMs ?? 0), businessDate: this.businessDateOf(advice.createdAtMs) },
        nowMs,
        this.businessDateOf(nowMs),
        this.#settings.adviceRetryMs,
      );
      if (step.kind === 'wait') continue;
      if (step.kind === 'expire') {
        await this.#store.write(async (tx) => {
          await tx.updateAttempt({ ...advice, outcome: 'unknown', completedAtMs: nowMs });
          await tx.appendEvent({ type: 'payment.manual_handling', subjectId: advice.paymentId, payload: { seq: advice.seq, channel: advice.channel, reason: 'refund advice not acknowledged before its settlement date' }, atMs: nowMs });
        });
        this.#logger.error({ paymentId: advice.paymentId, channel: advice.channel }, 'refund advice expired unacknowledged: manual handling needed');
        counts.expired += 1;
        continue;
      }
      const result = await this.#sendAdvice(advice, step.mti);
      counts.sent += 1;
      if (await this.#recordAdviceResult(advice, step.mti, result)) counts.acknowledged += 1;
    }
    return counts;
  }

  async #sendAdvice(advice: AttemptRecord, mti: string): Promise<ChannelSendResult> {
    const channel = this.#channels.get(advice.channel);
    const channelSettings = this.#settings.channels.find((candidate) => candidate.name === advice.channel);
    const payment = await this.#store.getPayment(advice.paymentId);
    const original = payment?.originalPaymentId == null ? null : await this.#store.getPayment(payment.originalPaymentId);
    const originalAttempt = original === null ? undefined : (await this.#store.listAttempts(original.id)).find((attempt) => attempt.outcome === 'approved');
    const merchant = payment === null ? null : await this.#store.getMerchant(payment.merchantId);
    if (channel === undefined || channelSettings === undefined || payment === null || original === null || originalAttempt === undefined || merchant === null) {
      return { kind: 'not_sent', reason: 'closed', detail: 'channel or original not available' };
    }
    const message = buildUpstreamFollowUp({
      type: 'refund',
      mti,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc },
      upstreamTerminalId: advice.upstreamTerminalId,
      acquirerId: channelSettings.acquirerId,
      stan: advice.stan,
      transmittedAtMs: advice.createdAtMs,
      nowMs: this.#clock.nowMs(),
      originalAttempt,
      originalRrn: original.rrn,
      localOffsetMinutes: this.#settings.localOffsetMinutes,
      entryModeCode: entryModeCodeOf(original.entryMode),
    });
    return channel.send(message, { timeoutMs: channelSettings.timeoutMs });
  }

  /** Records one forwarding try; true when the host acknowledged (or definitively refused) the advice. */
  async #recordAdviceResult(advice: AttemptRecord, mti: string, result: ChannelSendResult): Promise<boolean> {
    const nowMs = this.#clock.nowMs();
    const outcome = outcomeOf(result, nowMs);
    return this.#store.write(async (tx) => {
      const fresh = (await tx.listAttempts(advice.paymentId)).find((attempt) => attempt.id === advice.id);
      if (fresh === undefined || fresh.outcome !== 'pending') return false;
      if (outcome.kind === 'approved' || outcome.kind === 'declined') {
        await tx.updateAttempt({ ...fresh, ...outcome.attempt, mti });
        const payment = await mustGetPayment(tx, advice.paymentId);
        const updated: PaymentRecord = outcome.kind === 'approved'
          ? { ...payment, rrn: outcome.attempt.rrn ?? payment.rrn, authCode: outcome.attempt.authCode ?? payment.authCode, updatedAtMs: nowMs, version: payment.version + 1 }
          : { ...payment, updatedAtMs: nowMs, version: payment.version + 1 };
        if (!(await tx.updatePayment(payment, updated))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
        await tx.appendEvent({
          type: outcome.kind === 'approved' ? 'payment.refund_acknowledged' : 'payment.manual_handling',
          subjectId: advice.paymentId,
          payload: outcome.kind === 'approved' ? { channel: advice.channel } : { channel: advice.channel, code: outcome.diagnosis.code, reason: 'the host refused a refund advice already accepted' },
          atMs: nowMs,
        });
        return true;
      }
      await tx.updateAttempt({ ...fresh, mti, sentAtMs: result.kind === 'not_sent' ? fresh.sentAtMs : nowMs, completedAtMs: nowMs });
      return false;
    });
  }

  /**
   * Releases holds older than `holdExpiryDays`: the pre-authorization becomes `voided` with a
   * `payment.hold_expired` event, so it leaves the open holds and can no longer be completed (the
   * issuer releases its side by its own clock). Returns how many were released in this pass.
   */
  async releaseExpiredHolds(limit = 500): Promise<number> {
    const nowMs = this.#clock.nowMs();
    const expiredBeforeMs = nowMs - this.#settings.holdExpiryDays * dayMs;
    const holds = await this.#store.listExpiredHolds(expiredBeforeMs + 1, limit);
    let released = 0;
    for (const hold of holds) {
      const done = await this.#store.write(async (tx) => {
        // Locked: a completion or cancel deciding on another node waits, so the hold is never both released and completed.
        const current = await tx.lockPaymentForUpdate(hold.id);
        if (current === null || current.status !== 'approved' || current.kind !== 'preauth') return false;
        const followUps = await tx.listFollowUps(current.id);
        if (followUps.some((f) => (f.kind === 'completion' || f.kind === 'preauth_cancel') && (f.status === 'approved' || f.status === 'pending'))) return false;
        const updated: PaymentRecord = { ...current, status: 'voided', updatedAtMs: nowMs, version: current.version + 1 };
        if (!(await tx.updatePayment(current, updated))) return false;
        await tx.appendEvent({ type: 'payment.hold_expired', subjectId: current.id, payload: { amountMinor: current.amountMinor, holdExpiryDays: this.#settings.holdExpiryDays }, atMs: nowMs });
        return true;
      });
      if (done) released += 1;
    }
    return released;
  }

  /** Forwards due advices and releases expired holds every `intervalMs` in the background (at most one pass at a time). */
  startAdviceForwarding(intervalMs: number): void {
    if (this.#forwardTimer !== null) return;
    this.#forwardTimer = setInterval(() => {
      if (this.#forwarding !== null) return;
      this.#forwarding = Promise.all([this.forwardDueAdvices(), this.releaseExpiredHolds()])
        .catch((error: unknown) => this.#logger.error({ error: isReswipeError(error) ? error.code : String(error) }, 'advice forwarding pass failed; retried next interval'))
        .finally(() => {
          this.#forwarding = null;
        });
    }, Math.max(100, intervalMs));
    this.#forwardTimer.unref();
  }

  async close(): Promise<void> {
    if (this.#forwardTimer !== null) clearInterval(this.#forwardTimer);
    this.#forwardTimer = null;
    if (this.#forwarding !== null) await this.#forwarding;
  }

  /**
   * For the reversal worker, in its settling transaction: when a void or cancel that closed its original
   * is itself reversed (unknown outcome, late approval, terminal 0400), the original is open again.
   */
  async onReversalSettledInTx(tx: StoreTx, settled: ReversalSettlement): Promise<void> {
    if (settled.result !== 'reversed') return;
    const followUp = await tx.getPayment(settled.payment.id);
    if (followUp === null || followUp.originalPaymentId === null) return;
    if (followUp.kind !== 'void' && followUp.kind !== 'completion_void' && followUp.kind !== 'preauth_cancel') return;
    const original = await tx.lockPaymentForUpdate(followUp.originalPaymentId);
    if (original === null || original.status !== 'voided') return;
    const liveCloser = (await tx.listFollowUps(original.id)).some(
      (other) => other.id !== followUp.id && (other.kind === 'void' || other.kind === 'completion_void' || other.kind === 'preauth_cancel') && other.status === 'approved',
    );
    if (liveCloser) return;
    const nowMs = this.#clock.nowMs();
    const reopened: PaymentRecord = { ...original, status: 'approved', updatedAtMs: nowMs, version: original.version + 1 };
    if (!(await tx.updatePayment(original, reopened))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payments_version' });
    if (this.#fees !== undefined && followUp.kind !== 'preauth_cancel') await this.#fees.recordApproved(tx, reopened);
    await tx.appendEvent({ type: 'payment.unvoided', subjectId: original.id, payload: { by: followUp.id }, atMs: nowMs });
  }

  /** Balance inquiry (0200, DE 3 310000): one try, not stored as a payment, never reversed. */
  async balanceInquiry(request: BalanceRequest): Promise<BalanceResult> {
    const nowMs = this.#clock.nowMs();
    const channelName = [...this.#settings.channels].filter((c) => !c.disabled && this.#channels.has(c.name)).sort((a, b) => a.priority - b.priority)[0]?.name;
    const channel = channelName === undefined ? undefined : this.#channels.get(channelName);
    const channelSettings = this.#settings.channels.find((candidate) => candidate.name === channelName);
    const merchant = await this.#store.getMerchant(request.merchantId);
    if (channel === undefined || channelSettings === undefined || merchant === null) return { kind: 'failed', diagnosis: classifyOutcome('not_sent') };
    const stan = await this.#store.write((tx) => tx.nextStan(channelSettings.name));
    const local = localDateTime(nowMs, this.#settings.localOffsetMinutes);
    const fields: IsoMessage['fields'] = {
      3: '310000',
      4: '000000000000',
      7: transmissionDateTime(nowMs),
      11: stan,
      12: local.time,
      13: local.date,
      18: merchant.mcc,
      22: entryModeCodeOf(request.card.entryMode ?? 'swipe'),
      25: '00',
      32: channelSettings.acquirerId,
      41: (request.terminalId ?? this.#settings.httpTerminalId).padEnd(8, ' ').slice(0, 8),
      42: merchant.id.padEnd(15, ' ').slice(0, 15),
      49: currencyNumericFor(request.currency),
    };
    if (request.card.pan !== undefined) fields[2] = request.card.pan;
    if (request.card.expiry !== undefined) fields[14] = request.card.expiry;
    if (request.card.track2 !== undefined) fields[35] = request.card.track2;
    const leftMs = (request.deadlineMs ?? nowMs + this.#settings.terminalTimeoutMs) - this.#settings.replyMarginMs - nowMs;
    const result = await channel.send({ mti: '0200', fields }, { timeoutMs: Math.max(1, Math.min(channelSettings.timeoutMs, leftMs)) });
    // An inquiry moves no money, so an unanswered one is simply failed (never reversed) and only counted as an event.
    await this.#store.write((tx) =>
      tx.appendEvent({ type: 'balance.inquired', subjectId: request.terminalId, payload: { merchantId: merchant.id, channel: channelSettings.name, result: result.kind }, atMs: this.#clock.nowMs() }),
    );
    if (result.kind !== 'reply') return { kind: 'failed', diagnosis: classifyOutcome(result.kind === 'not_sent' ? 'not_sent' : 'no_reply') };
    const code = getText(result.message, 39) ?? '96';
    const de54 = getText(result.message, 54) ?? null;
    const parsed = de54 === null ? null : /^\d{2}\d{2}\d{3}([CD])(\d{12})/.exec(de54);
    const balanceMinor = parsed === null || parsed[2] === undefined ? null : Number(parsed[2]) * (parsed[1] === 'D' ? -1 : 1);
    const diagnosis = code === '00' ? approvedDiagnosis() : safeClassify(code);
    return { kind: 'answered', responseCode: code, balanceMinor, de54, diagnosis };
  }

  /**
   * Batch settlement (0500): the terminal's totals against the journal of its open batch (everything
   * since its last balanced settlement). Balanced closes the batch (`batch.settled`, after which voids of
   * its payments are refused); unbalanced answers 95 and leaves the batch open for a 0320 upload.
   */
  async settleBatch(request: SettlementRequest): Promise<SettlementResult> {
    if (!/^[0-9]{6}$/.test(request.batchNo)) throw new ReswipeError('RSW_TXN_BATCH_NO_INVALID', { field: '60.2', batchNo: request.batchNo.replace(/[^0-9A-Za-z]/g, '?').slice(0, 12) });
    const nowMs = this.#clock.nowMs();
    const last = await this.#store.lastEventOf('batch.settled', request.terminalId);
    const fromMs = last === null ? 0 : last.atMs + 1;
    const journal = computeBatchTotals(await this.#journalOf(request.terminalId, fromMs, nowMs + 1));
    const verdict = decideSettlement(request.totals, journal);
    await this.#store.write(async (tx) => {
      if (verdict.kind === 'balanced') {
        const terminal = await tx.getTerminal(request.terminalId);
        if (terminal !== null) await tx.upsertTerminal({ ...terminal, batchNo: nextBatchNo(request.batchNo), updatedAtMs: nowMs });
        await tx.appendEvent({ type: 'batch.settled', subjectId: request.terminalId, payload: { batchNo: request.batchNo, ...journal }, atMs: nowMs });
      } else {
        await tx.appendEvent({ type: 'batch.unbalanced', subjectId: request.terminalId, payload: { batchNo: request.batchNo, terminal: { ...request.totals }, journal: { ...journal } }, atMs: nowMs });
      }
    });
    return { responseCode: verdict.kind === 'balanced' ? '00' : '95', verdict, journal };
  }

  /**
   * Batch upload (0320): one transaction of the terminal's batch, checked against the journal. The
   * answer is always 00 (received); a transaction the journal does not have, or has differently, is
   * recorded as `batch.upload_mismatch` for the reconciliation report.
   */
  async uploadBatchEntry(input: { terminalId: string; batchNo: string; stan: string; amountMinor: number; processingCode: string }): Promise<{ responseCode: '00'; matched: boolean }> {
    const page = await this.#store.listPayments({ limit: 20, terminalId: input.terminalId, stan: input.stan });
    const match = page.data.find((payment) => payment.terminalStan === input.stan && payment.amountMinor === input.amountMinor && payment.status === 'approved');
    const nowMs = this.#clock.nowMs();
    await this.#store.write((tx) =>
      tx.appendEvent({
        type: match === undefined ? 'batch.upload_mismatch' : 'batch.upload_matched',
        subjectId: input.terminalId,
        payload: { batchNo: input.batchNo, stan: input.stan, amountMinor: input.amountMinor, processingCode: input.processingCode, paymentId: match?.id ?? null },
        atMs: nowMs,
      }),
    );
    return { responseCode: '00', matched: match !== undefined };
  }

  async #journalOf(terminalId: string, fromMs: number, toMs: number): Promise<PaymentRecord[]> {
    const rows: PaymentRecord[] = [];
    let cursor: string | undefined;
    const pageRows = 500;
    for (let page = 0; page * pageRows < this.#settings.batchRowsMax; page++) {
      const result = await this.#store.listPayments({ limit: pageRows, terminalId, fromMs, toMs, ...(cursor === undefined ? {} : { cursor }) });
      rows.push(...result.data);
      if (result.nextCursor === null) return rows;
      cursor = result.nextCursor;
    }
    throw new ReswipeError('RSW_STORE_RESULT_TOO_LARGE', { rowsMax: this.#settings.batchRowsMax, record: 'payments' });
  }

  /**
   * The original a terminal names by RRN (DE 37) or by STAN and date (DE 61: the local MMDD; DE 90: the
   * whole DE 7), among its own payments; by RRN also among its merchant's (a refund may come from another
   * terminal of the shop).
   */
  async findOriginalForTerminal(terminalId: string, by: { rrn?: string; stan?: string; dateMmdd?: string; transmittedAt?: string }, merchantId?: string): Promise<PaymentRecord | null> {
    if (by.rrn !== undefined && by.rrn.trim() !== '') {
      const page = await this.#store.listPayments({ limit: 20, terminalId, rrn: by.rrn.trim() });
      const found = page.data.find((payment) => payment.rrn === by.rrn?.trim() && payment.kind !== 'refund' && payment.kind !== 'void');
      if (found !== undefined) return found;
    }
    if (by.stan !== undefined) {
      const page = await this.#store.listPayments({ limit: 20, terminalId, stan: by.stan });
      // DE 90 repeats the original's DE 7 as sent; DE 61.3 is the terminal's local date, compared with the
      // sale's local date in the business zone (never the UTC date of its DE 7: that is a day behind from 00:00 to 08:00 in China).
      const found = page.data.find(
        (payment) =>
          payment.terminalStan === by.stan &&
          (by.transmittedAt === undefined || payment.terminalTransmittedAt === by.transmittedAt) &&
          (by.dateMmdd === undefined || isOriginalLocalDate(by.dateMmdd, payment, this.#settings.settlementTimeZone)),
      );
      if (found !== undefined) return found;
    }
    if (merchantId !== undefined && by.rrn !== undefined && by.rrn.trim() !== '') {
      const rrn = by.rrn.trim();
      const page = await this.#store.listPayments({ limit: 20, merchantId, rrn });
      const found = page.data.find((payment) => payment.rrn === rrn && (payment.kind === 'sale' || payment.kind === 'completion' || payment.kind === 'preauth'));
      if (found !== undefined) return found;
    }
    return null;
  }

  async #duplicate(storedHash: string, requestHash: string, state: 'in_progress' | 'done', paymentId: string | null, responseStatus: number | null, responseBody: string | null): Promise<FollowUpResult> {
    if (storedHash !== requestHash) return { kind: 'idempotency_mismatch' };
    if (state !== 'done' || paymentId === null) return { kind: 'in_progress' };
    const payment = await this.#store.getPayment(paymentId);
    if (payment === null) return { kind: 'in_progress' };
    const view = txnView(payment, await this.#store.listAttempts(paymentId));
    return { kind: 'replayed', view, responseStatus, responseBody };
  }

  #newId(prefix: string): string {
    return newRandomId(this.#random, prefix);
  }
}

interface Prepared {
  kind: 'prepared';
  payment: PaymentRecord;
  attempt: AttemptRecord;
  original: PaymentRecord;
  originalAttempt: AttemptRecord;
  merchant: MerchantRecord;
}

type Outcome =
  | { kind: 'approved'; attempt: Partial<AttemptRecord>; diagnosis: Diagnosis }
  | { kind: 'declined'; attempt: Partial<AttemptRecord>; diagnosis: Diagnosis }
  | { kind: 'unknown'; attempt: Partial<AttemptRecord>; diagnosis: Diagnosis };

/** One channel answer as the attempt's final fields; not sent counts as declined (nothing moved). */
function outcomeOf(result: ChannelSendResult, nowMs: number): Outcome {
  switch (result.kind) {
    case 'reply': {
      const code = getText(result.message, 39);
      const common = { sentAtMs: result.sentAtMs, latencyMs: result.latencyMs, completedAtMs: nowMs, rrn: getText(result.message, 37)?.trim() ?? null };
      if (code === undefined || !/^[0-9A-Z]{2}$/.test(code)) return { kind: 'unknown', attempt: { ...common, outcome: 'unknown' }, diagnosis: classifyOutcome('malformed_reply') };
      const diagnosis = code === '00' ? approvedDiagnosis() : safeClassify(code);
      if (diagnosis.outcome === 'approved') return { kind: 'approved', attempt: { ...common, outcome: 'approved', responseCode: code, authCode: getText(result.message, 38)?.trim() ?? null }, diagnosis };
      return { kind: 'declined', attempt: { ...common, outcome: 'declined', responseCode: code }, diagnosis };
    }
    case 'not_sent':
      return { kind: 'declined', attempt: { outcome: 'not_sent', completedAtMs: nowMs }, diagnosis: classifyOutcome('not_sent') };
    case 'no_reply':
      return { kind: 'unknown', attempt: { outcome: 'unknown', sentAtMs: result.sentAtMs, completedAtMs: nowMs }, diagnosis: classifyOutcome(result.reason === 'malformed_reply' || result.reason === 'bad_mac' ? result.reason : 'no_reply') };
  }
}

/** The card numbers a follow-up carries: DE 2 and the PAN part of DE 35 (track 2), each when present. */
function presentedPans(card: FollowUpRequest['card']): string[] {
  const pans: string[] = [];
  if (card?.pan !== undefined) pans.push(card.pan);
  if (card?.track2 !== undefined) {
    // Track data whose PAN cannot be read is not passed on as a card of its own: compared as given, it never matches.
    pans.push(panOfTrack2(card.track2) ?? card.track2);
  }
  return pans;
}

function toOriginal(payment: PaymentRecord): FollowUpOriginal {
  return { id: payment.id, kind: payment.kind, status: payment.status, terminalId: payment.terminalId, amountMinor: payment.amountMinor, currency: payment.currency, createdAtMs: payment.createdAtMs };
}

function toFollowUp(payment: PaymentRecord): FollowUp {
  return { kind: payment.kind, status: payment.status, amountMinor: payment.amountMinor };
}

function refusedNotFound(originalId: string, refusal: TxnRefusal): TxnRefusal {
  return { ...refusal, params: { originalId }, reason: refusal.reason.replace('unknown', originalId) };
}

export function txnView(payment: PaymentRecord, attempts: readonly AttemptRecord[]): TxnView {
  return { ...toPaymentView(payment, attempts), kind: payment.kind, originalPaymentId: payment.originalPaymentId };
}

async function mustGetPayment(tx: StoreTx, id: string): Promise<PaymentRecord> {
  const payment = await tx.getPayment(id);
  if (payment === null) throw new Error(`broken invariant: payment ${id} vanished`);
  return payment;
}

function entryModeCodeOf(entryMode: string): string {
  return isMember(entryModes, entryMode) ? posEntryModeFor(entryMode) : '012';
}

function safeClassify(code: string): Diagnosis {
  try {
    return classifyResponseCode(code);
  } catch {
    return classifyResponseCode('96');
  }
}

function nextBatchNo(batchNo: string): string {
  const next = (Number(batchNo) % 999_999) + 1;
  return String(next).padStart(6, '0');
}

