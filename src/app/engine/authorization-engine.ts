// The authorization engine: one sale from intake (ISO terminal or HTTP) to a persisted final answer.
// Per sale it (1) detects duplicates by idempotency key and inserts the key and the payment in ONE
// write before anything goes upstream, (2) runs the local checks and the scheme retry budget,
// (3) drives the pure state machine of src/core/payments/payment-decision.ts: every attempt is
// persisted `pending` with its own upstream STAN before it is sent, and its outcome (with the
// reversal of an unknown outcome) is recorded in one write, (4) answers the client before its
// deadline, with `98`/WAIT when the outcome is still unknown, and stores that answer for replays.
// Reversals are sent by the ReversalWorker; the engine updates payments in the worker's own
// transaction when a reversal settles (onReversalSettledInTx).
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import type {
  AttemptRecord,
  FeeLineRecord,
  IdempotencyRecord,
  MerchantRecord,
  Page,
  PaymentKind,
  PaymentQuery,
  PaymentRecord,
  ReswipeCandidate,
  ReversalRecord,
  Store,
  StoredDecline,
  StoreTx,
  TerminalRecord,
} from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { newRandomId, type Random } from '../../core/time/random.ts';
import type { EntryMode, PaymentStatus, ResponsibleParty } from '../../core/vocabulary.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { BinTable, Diagnosis, RetryDecision } from '../../core/declines/index.ts';
import {
  approvedDiagnosis,
  checkRetryBudget,
  classifyOutcome,
  classifyResponseCode,
  lookupCard,
  runLocalChecks,
} from '../../core/declines/index.ts';
import { historyEntriesMax } from '../../core/declines/check-retry-budget.ts';
import { CardNumber, fingerprintPan } from '../../core/cards/pan.ts';
import { panKeyIdOf } from '../../core/config/pan-key.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import {
  decide,
  derivePaymentStatus,
  initialDecisionState,
  isUnresolved,
  type ClientAnswer,
  type Decision,
  type PaymentDecisionState,
  type PaymentEffect,
  type PaymentEvent,
} from '../../core/payments/payment-decision.ts';
import { buildUpstreamSale, saleProcessingCode, transmissionDateTime } from '../../core/payments/upstream-request.ts';
import { currencyNumericFor } from '../../core/payments/reversal-message.ts';
import { toPaymentView, type PaymentFeeView, type PaymentView } from '../../core/payments/payment-view.ts';
import type { ChannelPort, ChannelSendResult, LoggerLike, UnmatchedReplyInfo } from '../../core/ports/channel.ts';
import type { EngineChannelSettings, EngineSettings, FeeHooks, SaleRequest, SaleResult, TerminalReversalInput } from '../../core/ports/payments.ts';
import type { RouteInput } from '../../core/routing/choose-route.ts';
import { classifyReply, diagnosisOfResponseCode } from '../../core/payments/classify-reply.ts';
import { decideRecovery, type FailedAttempt } from '../../core/payments/decide-recovery.ts';
import { recoveryPolicy as shippedRecoveryPolicy, type RecoveryPolicy } from '../../core/payments/recovery-policy.ts';
import {
  enqueueReversal as enqueueReversalDefault,
  reopenReversal,
  type EnqueueReversalInput,
  type ReversalReasonCode,
  type ReversalSettlement,
} from '../reversals/reversal-worker.ts';
import { TerminalGate } from './terminal-gate.ts';
import { closeManualHandlingOnConfirmedReversal } from '../manual-handling/close-on-confirmed-reversal.ts';
import type { EngineRouter } from '../channels/channel-router.ts';
import { reversalIdFor } from '../reversals/reversal-worker.ts';
import { decideTerminalReversal } from '../../core/payments/terminal-reversal-rules.ts';
import { isOriginalLocalDate } from '../../core/payments/original-local-date.ts';
import { defaultBusinessTimeZone, localTimeOf } from '../../core/time/local-time.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import { doubleApprovalToReverse, isReswipeTwin, mayBeDoubleApproval, isUnsettledTwin, reswipeWaitDiagnosis } from '../../core/payments/reswipe-guard.ts';

export type { PaymentView } from '../../core/payments/payment-view.ts';
export type { ChannelPort } from '../../core/ports/channel.ts';
export type { EngineChannelSettings, EngineSettings, FeeHooks, SaleRequest, SaleResult, TerminalReversalInput } from '../../core/ports/payments.ts';

export function engineSettingsFromConfig(config: ReswipeConfig, overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    terminalTimeoutMs: config.engine.terminalTimeoutMs,
    replyMarginMs: shippedRecoveryPolicy.replyMarginMs,
    autoRetriesMax: config.engine.autoRetriesMax,
    inFlightPerTerminalMax: config.engine.inFlightPerTerminalMax,
    queuePerTerminalMax: config.engine.queuePerTerminalMax,
    inFlightMax: 10_000,
    attemptMinMs: shippedRecoveryPolicy.attemptMinMs,
    strictLuhn: config.declines.strictLuhn,
    strictBin: config.declines.strictBin,
    panKey: config.security.panKey,
    panKeyId: config.security.panKeyId,
    panKeysRetired: config.security.panKeysRetired,
    retryRuleEdition: config.declines.retryRuleEdition,
    httpTerminalId: 'RSWHTTP0',
    localOffsetMinutes: 480,
    channels: config.channels.map((channel) => ({
      name: channel.name,
      priority: channel.priority,
      disabled: channel.disabled,
      acquirerId: channel.acquirerId,
      timeoutMs: channel.timeoutMs,
    })),
    recoveryBatchMax: 10_000,
    closeWaitMs: config.engine.terminalTimeoutMs,
    reswipeGuardWindowMs: config.engine.reswipeGuardWindowMs,
    terminalReversalWindowMs: config.engine.reversal.terminalWindowMs,
    businessTimeZone: config.fees.settlementTimeZone,
    ...overrides,
  };
}

export interface AuthorizationEngineDeps {
  store: Store;
  channels: readonly ChannelPort[];
  clock: Clock;
  random: Random;
  logger: LoggerLike;
  /** Either the whole config (settings derived) or settings built directly. */
  config?: ReswipeConfig;
  settings?: EngineSettings;
  binTable: BinTable;
  /** The reversal queue worker: the engine kicks it after queueing a reversal. */
  reversalWorker: { kick(): void };
  /** Queues a reversal inside a write; the reversal worker's own function unless a test replaces it. */
  enqueueReversal?: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  fees?: FeeHooks;
  /** Waits; real timers by default, a simulation passes its own. */
  sleep?: (durationMs: number) => Promise<void>;
  /** Routing rules and channel health; without it every enabled channel by priority. */
  router?: EngineRouter;
  /** What the engine retries on its own after a failed attempt; the shipped recovery-policy.json by default. */
  recoveryPolicy?: RecoveryPolicy;
}

interface SaleContext {
  request: SaleRequest;
  payment: PaymentRecord;
  merchant: MerchantRecord;
  replyByMs: number;
  budgetAllowed: boolean;
  attempts: Map<number, AttemptRecord>;
  reversals: Map<number, ReversalRecord>;
  result: SaleResult | null;
  /** The sale's route, best first, and what chose it (asked again for the channels healthy now). */
  route: readonly string[];
  routeInput: RouteInput;
  /** The seq of an attempt already stored `pending` (the first one, written with the payment) and not yet sent. */
  persistedSeq: number | null;
  /**
   * The payment row as this sale last committed it, so a decision need not read it back; null when it
   * must be read (another write of it may have happened). A stale copy cannot do harm: its version no
   * longer matches, the update is refused and the unit is retried with a fresh read.
   */
  stored: PaymentRecord | null;
}

type Settled = { result: 'reversed' | 'dead' };

/** An attempt that went upstream while its outcome could not be written: its reversal waits here until the store takes it. */
interface HeldReversal {
  attempt: AttemptRecord;
  payment: PaymentRecord;
  idempotency: { scope: string; key: string };
  /** The WAIT answer the client got, stored as the key's answer once the store is back. */
  answer: PaymentView;
  heldAtMs: number;
}

/** Counters of store failures after a send, for /metrics. */
export interface EngineRecoveryStats {
  /** Sales whose outcome write failed after their request went upstream (answered 98 WAIT). */
  storeFailuresAfterSend: number;
  /** Reversals held in memory because the store refused them; written as soon as it accepts writes. */
  reversalsHeld: number;
}

const stepsMax = 64;
/** How often a sale waiting for a reversal re-reads it from the store, and the bound on those reads. */
const settlementPollMs = 250;
const settlementPollsMax = 10_000;
const writeTriesMax = 3;
/** Most reversals held in memory while the store is down; beyond it the restart recovery is the safety net. */
const heldReversalsMax = 10_000;
/** First and longest wait between two tries to write the held reversals. */
const heldRetryMs = 250;
const heldRetryMsMax = 5_000;

export class AuthorizationEngine {
  readonly #store: Store;
  readonly #channels: ReadonlyMap<string, ChannelPort>;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: LoggerLike;
  readonly #settings: EngineSettings;
  readonly #binTable: BinTable;
  readonly #reversalWorker: { kick(): void };
  readonly #enqueueReversal: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  readonly #fees: FeeHooks | undefined;
  readonly #sleep: (durationMs: number) => Promise<void>;
  readonly #gate: TerminalGate;
  readonly #router: EngineRouter | undefined;
  readonly #recoveryPolicy: RecoveryPolicy;
  /** Payments this process is still driving; their status stays `pending` until the engine finishes them. */
  readonly #active = new Set<string>();
  /** Callers waiting for the answer of an idempotency key in progress (ISO resends wait for the original). */
  readonly #answerWaiters = new Map<string, Array<() => void>>();
  /** Sales waiting for the settlement of a reversal (retry after an unknown outcome). */
  readonly #settlementWaiters = new Map<string, (settled: Settled) => void>();
  readonly #running = new Set<Promise<unknown>>();
  /** Reversals of attempts whose outcome write failed after the send, by attempt id (bounded by heldReversalsMax). */
  readonly #heldReversals = new Map<string, HeldReversal>();
  #heldFlush: Promise<void> | null = null;
  #storeFailuresAfterSend = 0;
  #closing = false;
  #sweepTimer: NodeJS.Timeout | null = null;
  #sweeping = false;

  constructor(deps: AuthorizationEngineDeps) {
    const settings = deps.settings ?? (deps.config === undefined ? undefined : engineSettingsFromConfig(deps.config));
    if (settings === undefined) throw new Error('AuthorizationEngine needs config or settings');
    this.#store = deps.store;
    this.#channels = new Map(deps.channels.map((channel) => [channel.name, channel]));
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#logger = deps.logger;
    this.#settings = settings;
    this.#binTable = deps.binTable;
    this.#reversalWorker = deps.reversalWorker;
    this.#enqueueReversal = deps.enqueueReversal ?? enqueueReversalDefault;
    this.#fees = deps.fees;
    this.#sleep = deps.sleep ?? ((durationMs) => new Promise((resolve) => setTimeout(resolve, Math.max(0, durationMs))));
    this.#router = deps.router;
    this.#recoveryPolicy = deps.recoveryPolicy ?? shippedRecoveryPolicy;
    this.#gate = new TerminalGate({
      inFlightPerKeyMax: settings.inFlightPerTerminalMax,
      queuePerKeyMax: settings.queuePerTerminalMax,
      inFlightMax: settings.inFlightMax,
    });
  }

  get settings(): EngineSettings {
    return this.#settings;
  }

  /** Store failures after a send and the reversals still held in memory, for /metrics. */
  recoveryStats(): EngineRecoveryStats {
    return { storeFailuresAfterSend: this.#storeFailuresAfterSend, reversalsHeld: this.#heldReversals.size };
  }

  /** Authorizes one sale; resolves with the answer for the client (never rejects for a business outcome). */
  async authorize(request: SaleRequest): Promise<SaleResult> {
    if (this.#closing) throw new ReswipeError('RSW_ENGINE_SHUTTING_DOWN');
    if (!(Number.isSafeInteger(request.amountMinor) && request.amountMinor >= 1 && request.amountMinor <= 999_999_999_999)) {
      throw new ReswipeError('RSW_ENGINE_AMOUNT_INVALID', { field: 'amountMinor', amount: String(request.amountMinor) });
    }
    try {
      currencyNumericFor(request.currency);
    } catch {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'currency', reason: 'must be an ISO 4217 code reswipe knows (CNY, HKD, USD, ...)' });
    }
    const { scope, key } = request.idempotency;
    const earlier = await this.#store.getIdempotency(scope, key);
    if (earlier !== null) return this.#duplicateResult(earlier, request.idempotency);
    const release = await this.#gate.acquire(request.terminalId === null ? null : `terminal:${request.terminalId}`);
    const work = this.#authorizeAdmitted(request);
    this.#running.add(work);
    try {
      return await work;
    } finally {
      this.#running.delete(work);
      release();
    }
  }

  /** Waits until the answer for an idempotency key is stored (or `untilMs` passes). */
  async waitUntilAnswered(scope: string, key: string, untilMs: number): Promise<void> {
    const pollMs = 200;
    for (let round = 0; round < 10_000; round++) {
      const record = await this.#store.getIdempotency(scope, key);
      if (record === null || record.state === 'done') return;
      const leftMs = untilMs - this.#clock.nowMs();
      if (leftMs <= 0) return;
      const waitKey = `${scope}\u0000${key}`;
      await new Promise<void>((resolve) => {
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          resolve();
        };
        const list = this.#answerWaiters.get(waitKey) ?? [];
        list.push(finish);
        this.#answerWaiters.set(waitKey, list);
        // Polling covers an original handled by another gateway node; the waiter covers this one.
        void this.#sleep(Math.min(pollMs, leftMs)).then(finish);
      });
    }
  }

  async getPayment(id: string, scope: { merchantId?: string } = {}): Promise<PaymentView | null> {
    const payment = await this.#store.getPayment(id);
    if (payment === null) return null;
    if (scope.merchantId !== undefined && payment.merchantId !== scope.merchantId) return null;
    return this.#viewOf(payment);
  }

  async listPayments(query: PaymentQuery): Promise<Page<PaymentView>> {
    const page = await this.#store.listPayments(query);
    const data: PaymentView[] = [];
    for (const payment of page.data) data.push(await this.#viewOf(payment));
    return { data, nextCursor: page.nextCursor };
  }

  /**
   * The terminal's own 0400/0401: reverse the original if it was (or may have been) approved, when the
   * 0400 may undo it (decideTerminalReversal: same terminal and merchant, same amount, inside the window).
   * Returns DE 39 for the 0410, and the refusal when it was refused (nothing reversed then).
   */
  async reverseByTerminal(input: TerminalReversalInput): Promise<{ responseCode: string; refusal?: TxnRefusal }> {
    const scope = `iso:${input.terminalId}`;
    let transmittedAt = input.originalTransmittedAt;
    if (transmittedAt === null) {
      // Named by STAN only: the newest sale of this terminal with that STAN (and, when given, made on that
      // local date: cups-pos DE 61.3 is the terminal's local date, compared in the business time zone).
      const zone = this.#settings.businessTimeZone ?? defaultBusinessTimeZone;
      const page = await this.#store.listPayments({ limit: 20, terminalId: input.terminalId, stan: input.originalStan });
      const match = page.data.find(
        (payment) =>
          payment.terminalStan === input.originalStan &&
          payment.terminalTransmittedAt !== null &&
          (input.originalDateMmdd === undefined || isOriginalLocalDate(input.originalDateMmdd, payment, zone)),
      );
      if (match === undefined || match.terminalTransmittedAt === null) return { responseCode: '25' };
      transmittedAt = match.terminalTransmittedAt;
    }
    const key = `${input.originalStan}:${transmittedAt}`;
    let record = await this.#store.getIdempotency(scope, key);
    if (record === null) {
      // The original never reached us (or is still on its way, reordered behind its reversal). Its key
      // is taken now, so if the original arrives later it is refused as a duplicate and never charged.
      const tombstoned = await this.#tombstone(scope, key);
      if (tombstoned) return { responseCode: '25' };
      record = await this.#store.getIdempotency(scope, key);
      if (record === null) return { responseCode: '25' };
    }
    if (record.state === 'in_progress') {
      await this.waitUntilAnswered(scope, key, this.#clock.nowMs() + this.#settings.terminalTimeoutMs);
      record = await this.#store.getIdempotency(scope, key);
    }
    const paymentId = record?.paymentId ?? null;
    if (paymentId === null) return { responseCode: '25' };
    const reasonCode: ReversalReasonCode = isReasonCode(input.reasonCode) ? input.reasonCode : '06';
    const decided = await this.#write(async (tx): Promise<{ kind: 'queued' | 'nothing' } | TxnRefusal> => {
      const payment = await tx.getPayment(paymentId);
      if (payment === null) return { kind: 'nothing' };
      const nowMs = this.#clock.nowMs();
      // Decided inside the write, on fresh data: a 0500 settling the batch cannot slip between check and queue.
      const settled = payment.terminalId === null ? null : await tx.lastEventOf('batch.settled', payment.terminalId);
      const rule = decideTerminalReversal({
        original: payment,
        terminalId: input.terminalId,
        merchantId: input.merchantId,
        amountMinor: input.amountMinor,
        nowMs,
        windowMs: this.#settings.terminalReversalWindowMs ?? defaultTerminalReversalWindowMs,
        batchSettledAtMs: settled?.atMs ?? null,
      });
      if (rule.kind === 'refused') return rule;
      const attempts = await tx.listAttempts(paymentId);
      const target = attempts.find((attempt) => attempt.outcome === 'approved' || isUnresolved(attempt.outcome));
      if (target === undefined) return { kind: 'nothing' };
      await this.#enqueueReversal(tx, {
        attempt: target,
        payment,
        reasonCode: target.outcome === 'approved' ? reasonCode : '98',
        nowMs,
        newStan: await tx.nextStan(target.channel),
        transmittedAt: transmissionDateTime(nowMs),
      });
      // enqueueReversal appends `reversal.queued` itself; this event records who asked.
      await tx.appendEvent({ type: 'payment.reversal_requested', subjectId: paymentId, payload: { seq: target.seq, channel: target.channel, reasonCode, by: 'terminal' }, atMs: nowMs });
      return { kind: 'queued' };
    });
    if (decided.kind === 'refused') {
      // Loud: a 0400 naming another terminal's or merchant's sale is what a stranger forging reversals sends.
      this.#logger.warn({ terminalId: input.terminalId, paymentId, code: decided.code, responseCode: decided.isoResponseCode }, 'terminal reversal refused; nothing reversed');
      return { responseCode: decided.isoResponseCode, refusal: decided };
    }
    if (decided.kind === 'queued') this.#reversalWorker.kick();
    this.#logger.info({ terminalId: input.terminalId, paymentId, queued: decided.kind === 'queued' }, 'terminal reversal honoured');
    return { responseCode: '00' };
  }

  /** Takes an idempotency key for a request the terminal has already reversed; false when the request got there first. */
  async #tombstone(scope: string, key: string): Promise<boolean> {
    const nowMs = this.#clock.nowMs();
    try {
      await this.#write((tx) =>
        tx.insertIdempotency({ scope, key, requestHash: reversedByTerminalHash, paymentId: null, state: 'done', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs }),
      );
      return true;
    } catch (error) {
      if (isReswipeError(error, 'RSW_STORE_CONFLICT')) return false;
      throw error;
    }
  }

  /** After a restart: every pending payment this process is not driving gets its unknown attempts reversed; nothing stays pending forever. */
  async recoverAfterRestart(options: { createdBeforeMs?: number } = {}): Promise<{ payments: number; reversalsQueued: number }> {
    const cutoffMs = options.createdBeforeMs ?? this.#clock.nowMs();
    const pending = await this.#store.listPendingPayments(cutoffMs, this.#settings.recoveryBatchMax);
    let reversalsQueued = 0;
    let payments = 0;
    for (const stale of pending) {
      if (this.#active.has(stale.id)) continue;
      payments += 1;
      reversalsQueued += await this.#write(async (tx) => {
        const payment = await tx.getPayment(stale.id);
        if (payment === null || payment.status !== 'pending') return 0;
        const nowMs = this.#clock.nowMs();
        let queued = 0;
        let deadReversalId: string | null = null;
        for (const attempt of await tx.listAttempts(payment.id)) {
          if (!isUnresolved(attempt.outcome)) continue;
          const unknown: AttemptRecord = { ...attempt, outcome: 'unknown', completedAtMs: attempt.completedAtMs ?? nowMs };
          if (attempt.outcome === 'pending') await tx.updateAttempt(unknown);
          // A reversal already queued is the worker's to drive; queueing it again would only announce the payment once more.
          const existing = await tx.getReversal(reversalIdFor(attempt.id));
          if (existing !== null) {
            if (existing.state === 'dead') deadReversalId = existing.id;
            continue;
          }
          await this.#enqueueReversal(tx, { attempt: unknown, payment, reasonCode: '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
          queued += 1;
        }
        const attempts = await tx.listAttempts(payment.id);
        const status = derivePaymentStatus(attempts);
        if (status !== 'pending') {
          // Crashed after the last outcome but before the answer: finish with what the attempts say.
          const diagnosis = status === 'approved' ? approvedDiagnosis() : lastDiagnosisOf(attempts);
          const updated = withAnswerFields(payment, status, diagnosis, attempts, nowMs);
          await this.#updatePayment(tx, payment, updated);
          await tx.appendEvent({ type: 'payment.completed', subjectId: payment.id, payload: completedPayload(updated, diagnosis), atMs: nowMs });
        } else if (queued > 0) {
          await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { by: 'recovery' }, atMs: nowMs });
        } else if (deadReversalId !== null && (payment.manualHandlingSinceMs ?? null) === null) {
          // Dead-lettered before the flag existed (a database older than migration 0004): flag it now, once.
          await this.#updatePayment(tx, payment, { ...payment, manualHandlingSinceMs: nowMs, updatedAtMs: nowMs });
        }
        return queued;
      });
    }
    if (reversalsQueued > 0) this.#reversalWorker.kick();
    if (pending.length >= this.#settings.recoveryBatchMax) this.#logger.warn({ batch: pending.length }, 'recovery batch full; the rest is handled on the next pass');
    this.#logger.info({ payments, reversalsQueued }, 'recovery after restart done');
    return { payments, reversalsQueued };
  }

  /** For the reversal worker: updates the payment in the same transaction that settles its reversal. */
  async onReversalSettledInTx(tx: StoreTx, settled: ReversalSettlement): Promise<void> {
    const nowMs = this.#clock.nowMs();
    const payment = await tx.getPayment(settled.payment.id);
    if (payment === null) return;
    if (settled.result === 'dead') {
      // The flag takes the payment off recovery's work list and onto the operators' (listManualHandlingPayments); set once.
      if ((payment.manualHandlingSinceMs ?? null) === null) await this.#updatePayment(tx, payment, { ...payment, manualHandlingSinceMs: nowMs, updatedAtMs: nowMs });
      await tx.appendEvent({
        type: 'payment.manual_handling',
        subjectId: payment.id,
        payload: { seq: settled.attempt.seq, channel: settled.attempt.channel, reversalId: settled.reversal.id, reason: 'reversal failed within its budget' },
        atMs: nowMs,
      });
      this.#logger.error({ paymentId: payment.id, attemptSeq: settled.attempt.seq, channel: settled.attempt.channel }, 'reversal failed: manual handling needed');
      return;
    }
    const current = (await tx.listAttempts(payment.id)).find((attempt) => attempt.id === settled.attempt.id) ?? settled.attempt;
    if (current.outcome !== 'reversed') await tx.updateAttempt({ ...current, outcome: 'reversed', completedAtMs: current.completedAtMs ?? nowMs });
    const attempts = await tx.listAttempts(payment.id);
    // A void already undid this sale's approval; reversing one of its earlier unknown attempts does not bring it back.
    const status: PaymentStatus = this.#active.has(payment.id) ? 'pending' : payment.status === 'voided' ? 'voided' : derivePaymentStatus(attempts);
    const reversedDiagnosis = classifyOutcome('reversed');
    const updated: PaymentRecord = {
      ...payment,
      status,
      decline: status === 'reversed' ? toStoredDecline(reversedDiagnosis) : payment.decline,
      updatedAtMs: nowMs,
    };
    await this.#updatePayment(tx, payment, updated);
    if (payment.status === 'approved' && status !== 'approved' && this.#fees !== undefined) await this.#fees.removeForPayment(tx, updated);
    await tx.appendEvent({ type: 'payment.reversed', subjectId: payment.id, payload: { seq: current.seq, channel: current.channel, status, responseCode: settled.responseCode }, atMs: nowMs });
    // A flagged payment whose (retried) reversal the bank confirmed leaves the operators' list, loudly.
    if (await closeManualHandlingOnConfirmedReversal(tx, { payment: updated, reversal: settled.reversal, responseCode: settled.responseCode, nowMs })) {
      this.#logger.warn({ paymentId: payment.id, reversalId: settled.reversal.id }, 'manual handling resolved: the retried reversal was confirmed');
    }
  }

  /** For the reversal worker, after the commit: wakes a sale waiting to retry. */
  onReversalSettled(settled: ReversalSettlement): void {
    const waiter = this.#settlementWaiters.get(settled.attempt.id);
    if (waiter !== undefined) waiter({ result: settled.result });
  }

  /** For channels' onUnmatchedReply: a late approval makes sure the reversal is queued. */
  async handleUnmatchedReply(channel: string, message: IsoMessage, info: UnmatchedReplyInfo): Promise<void> {
    const stan = getText(message, 11);
    const transmittedAt = getText(message, 7);
    const code = getText(message, 39) ?? null;
    if (!info.late || stan === undefined || transmittedAt === undefined || !message.mti.startsWith('02') && !message.mti.startsWith('01')) {
      this.#logger.warn({ channel, mti: message.mti, stan, late: info.late }, 'unmatched upstream reply ignored');
      return;
    }
    const attempt = await this.#store.findAttemptByUpstreamKey(channel, stan, transmittedAt);
    if (attempt === null) {
      this.#logger.warn({ channel, mti: message.mti, stan }, 'late reply for no known attempt');
      return;
    }
    const queued = await this.#write(async (tx) => {
      const payment = await tx.getPayment(attempt.paymentId);
      const fresh = (await tx.listAttempts(attempt.paymentId)).find((candidate) => candidate.id === attempt.id);
      if (payment === null || fresh === undefined) return false;
      const nowMs = this.#clock.nowMs();
      await tx.appendEvent({ type: 'payment.late_reply', subjectId: payment.id, payload: { seq: fresh.seq, channel, responseCode: code, outcome: fresh.outcome }, atMs: nowMs });
      if (code === null || diagnosisOfResponseCode(code).outcome !== 'approved') return false;
      // An advice (0220/0221: a refund) is never reversed: it is stored and forwarded until acknowledged,
      // and a late 0230 only acknowledges what the host already booked. The advice forwarder's next 0221
      // gets the host's original answer and closes it.
      if (isAdviceMti(fresh.mti)) return false;
      if (fresh.outcome === 'reversed') {
        // The reversal completed before this approval reached the host (it may have answered 25): send it again.
        const reopened = await reopenReversal(tx, { attemptId: fresh.id, nowMs, newStan: await tx.nextStan(channel), transmittedAt: transmissionDateTime(nowMs), why: 'approval arrived after the reversal completed' });
        return reopened !== null;
      }
      if (!isUnresolved(fresh.outcome)) return false;
      // The reply came after the engine gave up: the money may have moved, so the reversal must exist (idempotent).
      await this.#enqueueReversal(tx, { attempt: fresh, payment, reasonCode: '98', nowMs, newStan: await tx.nextStan(channel), transmittedAt: transmissionDateTime(nowMs) });
      return true;
    });
    this.#logger.warn({ channel, paymentId: attempt.paymentId, attemptSeq: attempt.seq, responseCode: code }, 'late upstream reply');
    if (queued) this.#reversalWorker.kick();
  }

  /**
   * Re-runs recovery every `intervalMs` for payments older than twice the terminal timeout: nothing
   * legitimate is in flight that long, so anything still pending was left by a failed write, a crashed
   * peer node or a lost process, and gets its reversal. This is what bounds "pending" in time.
   */
  startRecoverySweeps(intervalMs: number): void {
    if (this.#sweepTimer !== null) return;
    this.#sweepTimer = setInterval(() => {
      if (this.#sweeping || this.#closing) return;
      this.#sweeping = true;
      this.recoverAfterRestart({ createdBeforeMs: this.#clock.nowMs() - 2 * this.#settings.terminalTimeoutMs })
        .catch((error: unknown) => this.#logger.error({ error: errorText(error) }, 'recovery sweep failed; retried at the next interval'))
        .finally(() => {
          this.#sweeping = false;
        });
    }, Math.max(1_000, intervalMs));
    this.#sweepTimer.unref();
  }

  /** Stops taking payments and waits (bounded) for those in flight. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    const inFlight = [...this.#running];
    if (inFlight.length > 0) await Promise.race([Promise.allSettled(inFlight), this.#sleep(this.#settings.closeWaitMs)]);
    // A last try for reversals still held in memory; any left are found by the next start's recovery
    // (their attempts were stored `pending` before they were sent).
    if (this.#heldReversals.size > 0) await this.#writeHeldReversals();
    if (this.#heldReversals.size > 0) this.#logger.error({ reversalsHeld: this.#heldReversals.size }, 'closing with reversals held in memory; recovery at the next start queues them');
  }

  // ---- one sale -------------------------------------------------------------------------------

  async #authorizeAdmitted(request: SaleRequest): Promise<SaleResult> {
    const nowMs = this.#clock.nowMs();
    const deadlineMs = request.deadlineMs ?? nowMs + this.#settings.terminalTimeoutMs;
    const replyByMs = deadlineMs - this.#settings.replyMarginMs;
    const pan = request.card.number.reveal();
    const panFingerprint = fingerprintPan(pan, this.#settings.panKey);
    // The same card under every configured key, current first: history made before a key rotation still counts.
    const cardFingerprints = [panFingerprint, ...(this.#settings.panKeysRetired ?? []).map((retired) => fingerprintPan(pan, retired.key))];
    const merchant = await this.#store.getMerchant(request.merchantId);
    const terminal = request.terminalId === null ? null : await this.#store.getTerminal(request.terminalId);
    const terminalKnown = request.terminalId === null || (terminal !== null && merchant !== null && terminal.merchantId === merchant.id);

    const checked = runLocalChecks(
      {
        pan,
        ...(request.card.expiry === undefined ? {} : { expiry: request.card.expiry }),
        ...(request.card.cvv === undefined ? {} : { cvv: request.card.cvv }),
        entryMode: request.card.entryMode,
        amountMinor: request.amountMinor,
        merchant: merchant === null ? null : { id: merchant.id, accepts: merchant.accepts, limits: merchant.limits, disabled: merchant.disabled },
        terminal: checkedTerminal(request, terminal, terminalKnown),
        totals: merchant === null ? zeroTotals : await this.#totals(merchant, terminalKnown ? terminal : null, nowMs),
        nowMs,
        strict: { luhn: this.#settings.strictLuhn, bin: this.#settings.strictBin },
      },
      this.#binTable,
    );
    const card = checked.card ?? safeLookup(pan, this.#binTable);
    let decline: Diagnosis | null = checked.ok ? null : checked.diagnosis;
    if (decline === null && (merchant === null || !terminalKnown)) {
      // The checks should have caught these; the standard codes still apply if they did not.
      decline = classifyResponseCode(merchant === null ? '03' : '97');
    }

    const paymentId = this.#newId('pay');
    const payment: PaymentRecord = {
      id: paymentId,
      kind: (request.capture ? 'sale' : 'preauth') satisfies PaymentKind,
      status: decline === null ? 'pending' : 'declined',
      intake: request.intake,
      merchantId: request.merchantId,
      terminalId: request.terminalId,
      amountMinor: request.amountMinor,
      currency: request.currency,
      panFingerprint,
      panKeyId: this.#settings.panKeyId ?? panKeyIdOf(this.#settings.panKey),
      panMasked: request.card.number.masked,
      cardBrand: card.brand,
      cardType: card.type,
      cardIssuer: card.issuer,
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
    };

    if (merchant === null || !terminalKnown) {
      // No merchant or terminal row to attach a payment to: a local decline that is answered but not stored.
      const declined = decline ?? classifyResponseCode('97');
      this.#logger.warn({ merchantId: request.merchantId, terminalId: request.terminalId, code: declined.code }, 'sale from an unknown merchant or terminal declined locally');
      return { kind: 'completed', view: toPaymentView(payment, []), diagnosis: declined };
    }

    // The re-swipe guard runs before anything else may send: an unsettled twin means WAIT, not a second charge.
    let reswipeBlockedBy: string | null = null;
    if (decline === null) {
      reswipeBlockedBy = await this.#findUnsettledTwin(cardFingerprints, request, payment.kind, nowMs);
      if (reswipeBlockedBy !== null) decline = reswipeWaitDiagnosis(reswipeBlockedBy);
    }

    let budgetAllowed = true;
    if (decline === null) {
      // The budgets count upstream declines only: read the card's newest declines, not all its attempts.
      const history = await this.#listCardDeclines(cardFingerprints, nowMs - retryHistoryWindowMs);
      const budget = checkRetryBudget({
        brand: card.brand,
        history: history.map((entry) => ({
          atMs: entry.sentAtMs ?? entry.createdAtMs,
          responseCode: entry.responseCode,
          outcome: entry.outcome === 'pending' ? 'unknown' : entry.outcome,
          brand: card.brand,
          merchantId: entry.merchantId,
          amountMinor: entry.amountMinor,
        })),
        nowMs,
        ...(this.#settings.retryRuleEdition === undefined ? {} : { edition: this.#settings.retryRuleEdition }),
        merchantId: request.merchantId,
        amountMinor: request.amountMinor,
      });
      if (!budget.allowed) decline = budget.diagnosis;
      budgetAllowed = budget.allowed;
    }
    const routeInput: RouteInput = { brand: card.brand, cardType: card.type, bin: pan.slice(0, 8), amountMinor: request.amountMinor, merchantId: merchant.id, mcc: merchant.mcc };
    const channels = this.#channelOrder(routeInput);
    if (decline === null && channels.length === 0) decline = classifyOutcome('not_sent');
    if (decline !== null) {
      payment.status = 'declined';
      payment.responseCode = decline.code;
      payment.decline = toStoredDecline(decline);
    }

    const view = toPaymentView(payment, []);
    // The first decision is pure, so its first attempt is persisted (with its upstream STAN) in the SAME
    // unit as the idempotency key and the payment: one durable commit instead of two before the first
    // byte goes upstream, and the intent is just as durable when it does.
    const first = decline === null ? this.#firstDecision(channels, replyByMs, nowMs) : null;
    const firstSend = first === null ? undefined : findEffect(first.effects, 'send');
    let firstAttempt: AttemptRecord | null = null;
    try {
      firstAttempt = await this.#write(async (tx) => {
        await tx.insertIdempotency({
          scope: request.idempotency.scope,
          key: request.idempotency.key,
          requestHash: request.idempotency.requestHash,
          paymentId,
          state: decline === null ? 'in_progress' : 'done',
          responseStatus: decline === null ? null : 201,
          responseBody: decline === null ? null : JSON.stringify(view),
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
        });
        await tx.insertPayment(payment);
        if (decline !== null) await tx.appendEvent({ type: 'payment.completed', subjectId: paymentId, payload: completedPayload(payment, decline), atMs: nowMs });
        if (reswipeBlockedBy !== null) {
          await tx.appendEvent({
            type: 'payment.reswipe_blocked',
            subjectId: paymentId,
            payload: { earlierPaymentId: reswipeBlockedBy, merchantId: request.merchantId, terminalId: request.terminalId, amountMinor: request.amountMinor, currency: request.currency },
            atMs: nowMs,
          });
        }
        if (firstSend === undefined) return null;
        const attempt = await this.#newAttempt(tx, paymentId, request, firstSend, nowMs);
        await tx.insertAttempt(attempt);
        return attempt;
      });
    } catch (error) {
      if (isReswipeError(error, 'RSW_STORE_CONFLICT') && isDuplicateConstraint(error.params.constraint)) {
        const earlier = await this.#store.getIdempotency(request.idempotency.scope, request.idempotency.key);
        if (earlier !== null) return this.#duplicateResult(earlier, request.idempotency);
        return { kind: 'in_progress', paymentId: null };
      }
      throw error;
    }
    if (decline !== null) {
      this.#logger.debug({ paymentId, code: decline.code, category: decline.category }, 'sale declined locally');
      return { kind: 'completed', view, diagnosis: decline };
    }

    this.#active.add(paymentId);
    const context: SaleContext = {
      request,
      payment,
      merchant,
      replyByMs,
      budgetAllowed,
      attempts: new Map(),
      reversals: new Map(),
      result: null,
      route: channels,
      routeInput,
      persistedSeq: firstAttempt === null ? null : firstAttempt.seq,
      stored: payment,
    };
    if (firstAttempt !== null) context.attempts.set(firstAttempt.seq, firstAttempt);
    try {
      await this.#drive(context, channels, first);
    } finally {
      this.#active.delete(paymentId);
      this.#notifyAnswered(request.idempotency.scope, request.idempotency.key);
    }
    if (context.result === null) throw new Error(`broken invariant: payment ${paymentId} finished without an answer`);
    if (context.result.kind === 'completed' && context.result.view.status === 'approved') {
      // The approval is durable and is the answer: a failing double-approval check must not turn it into a 96.
      await this.#reverseIfDoubleApproval(context.payment).catch((error: unknown) => {
        this.#logger.error({ paymentId, error: errorText(error) }, 'double-approval check failed; the approval stands');
      });
    }
    return context.result;
  }

  /** Runs the state machine until it has nothing more to do; each transition is persisted before its effects run. */
  /** The pure first step of a sale that passed its checks: which channel to send to first. */
  #firstDecision(channels: readonly string[], replyByMs: number, nowMs: number): Decision {
    const state: PaymentDecisionState = initialDecisionState({
      channels,
      replyByMs,
      attemptsMax: this.#settings.autoRetriesMax + 1 + channels.length,
      attemptMinMs: this.#settings.attemptMinMs,
    });
    return decide(state, { type: 'checked', nowMs, decline: null });
  }

  async #drive(context: SaleContext, channels: readonly string[], first: Decision | null): Promise<void> {
    let state: PaymentDecisionState;
    let decision = first ?? this.#firstDecision(channels, context.replyByMs, this.#clock.nowMs());
    for (let step = 0; step < stepsMax; step++) {
      state = decision.state;
      const send = findEffect(decision.effects, 'send');
      const wake = findEffect(decision.effects, 'wake_at');
      let event: PaymentEvent;
      if (send !== undefined) {
        event = await this.#runAttempt(context, state, send);
      } else if (wake !== undefined) {
        event = await this.#waitFor(context, state, wake.atMs);
      } else {
        break;
      }
      decision = decide(state, event);
      try {
        await this.#commitDecision(context, event, decision);
      } catch (error) {
        // A request went upstream and its outcome could not be written (the bank may have approved it), or an
        // earlier attempt's reversal is still open: either way the outcome is unknown, never a 96 "not sent".
        const sentSeq = event.type === 'replied' || event.type === 'no_reply' ? event.seq : null;
        const unresolved = [...context.attempts.values()].some((attempt) => isUnresolved(attempt.outcome));
        if (sentSeq === null && !unresolved) throw error;
        this.#answerWaitAfterStoreFailure(context, sentSeq, error);
        return;
      }
    }
    if (context.result === null) {
      // A bound was reached without an answer: answer from what is known rather than hang.
      this.#logger.error({ paymentId: context.payment.id }, 'payment decision loop hit its step bound');
      const fallback: Decision = decide({ ...decision.state, retryAfterReversalSeq: null, pendingRetry: null }, { type: 'timer', nowMs: this.#clock.nowMs() });
      await this.#commitDecision(context, { type: 'timer', nowMs: this.#clock.nowMs() }, fallback);
    }
  }

  /** Persists a pending attempt with its own STAN, sends it, and turns the channel's answer into an event. */
  async #runAttempt(context: SaleContext, state: PaymentDecisionState, send: Extract<PaymentEffect, { kind: 'send' }>): Promise<PaymentEvent> {
    const channel = this.#channels.get(send.channel);
    const channelSettings = this.#settings.channels.find((candidate) => candidate.name === send.channel);
    const request = context.request;
    const persisted = context.persistedSeq === send.seq ? context.attempts.get(send.seq) : undefined;
    context.persistedSeq = null;
    // The first attempt was persisted with the payment; a later one gets its own write before it is sent.
    const startedAtMs = persisted?.createdAtMs ?? this.#clock.nowMs();
    const attempt =
      persisted ??
      (await this.#write(async (tx) => {
        const record = await this.#newAttempt(tx, context.payment.id, request, send, startedAtMs);
        await tx.insertAttempt(record);
        const payment = await tx.getPayment(context.payment.id);
        if (payment !== null && payment.status !== 'pending') await this.#updatePayment(tx, payment, { ...payment, status: 'pending', updatedAtMs: startedAtMs });
        return record;
      }));
    if (persisted === undefined) context.stored = null;
    context.attempts.set(send.seq, attempt);
    const previousChannel = context.attempts.get(send.seq - 1)?.channel;
    if (previousChannel !== undefined && previousChannel !== send.channel) this.#router?.recordFailover(previousChannel, send.channel);
    const attemptsSoFar = state.attempts.length;
    if (channel === undefined || channelSettings === undefined) {
      return this.#eventFor(context, attemptsSoFar, send.seq, { kind: 'not_sent', reason: 'closed', detail: 'channel not running' });
    }
    let message: IsoMessage;
    try {
      message = buildUpstreamSale({
        amountMinor: request.amountMinor,
        currency: request.currency,
        card: request.card,
        merchant: { id: context.merchant.id, name: context.merchant.name, mcc: context.merchant.mcc },
        upstreamTerminalId: attempt.upstreamTerminalId,
        acquirerId: channelSettings.acquirerId,
        stan: attempt.stan,
        nowMs: startedAtMs,
        localOffsetMinutes: this.#settings.localOffsetMinutes,
      });
      if (!request.capture) message = { mti: '0100', fields: { ...message.fields, 3: '030000' } };
    } catch (error) {
      this.#logger.error({ paymentId: context.payment.id, error: errorText(error) }, 'could not build the upstream request');
      return this.#eventFor(context, attemptsSoFar, send.seq, { kind: 'not_sent', reason: 'encode_failed', detail: 'request could not be built' });
    }
    const timeoutMs = Math.max(1, Math.min(channelSettings.timeoutMs, send.timeoutMs));
    const result = await channel.send(message, { timeoutMs });
    return this.#eventFor(context, attemptsSoFar, send.seq, result);
  }

  /** A pending attempt with its own upstream STAN (taken inside the unit that stores it). */
  async #newAttempt(tx: StoreTx, paymentId: string, request: SaleRequest, send: Extract<PaymentEffect, { kind: 'send' }>, startedAtMs: number): Promise<AttemptRecord> {
    return {
      id: this.#newId('att'),
      paymentId,
      seq: send.seq,
      channel: send.channel,
      mti: request.capture ? '0200' : '0100',
      stan: await tx.nextStan(send.channel),
      transmittedAt: transmissionDateTime(startedAtMs),
      processingCode: request.capture ? saleProcessingCode : '030000',
      upstreamTerminalId: (request.terminalId ?? this.#settings.httpTerminalId).padEnd(8, ' ').slice(0, 8),
      outcome: 'pending',
      responseCode: null,
      authCode: null,
      rrn: null,
      latencyMs: null,
      sentAtMs: null,
      completedAtMs: null,
      createdAtMs: startedAtMs,
    };
  }

  #eventFor(context: SaleContext, attemptsSoFar: number, seq: number, result: ChannelSendResult): PaymentEvent {
    const nowMs = this.#clock.nowMs();
    const attempt = context.attempts.get(seq);
    if (attempt === undefined) throw new Error(`broken invariant: attempt ${seq} not recorded`);
    const retryFor = (failed: FailedAttempt): RetryDecision => this.#recoveryDecision(context, failed, attempt.channel, attemptsSoFar, nowMs, context.route);
    // After an unknown outcome the question is "once it is confirmed reversed, may we try again?"; it is asked
    // again, with the channels healthy then, when the reversal settles (#waitFor).
    const afterReversalRetry = (): RetryDecision => retryFor({ kind: 'unknown_reversed', diagnosis: classifyOutcome('reversed') });
    const classified = classifyReply(result, nowMs);
    context.attempts.set(seq, { ...attempt, ...classified.fields });
    const diagnosis = classified.diagnosis;
    switch (classified.kind) {
      case 'approved':
        return { type: 'replied', nowMs, seq, diagnosis, retry: { action: 'stop', reason: 'approved' } };
      case 'declined':
        // A channel-side decline moved no money and says nothing about the card: the policy sends it to the
        // next channel at once (src/core/payments/recovery-policy.json).
        return { type: 'replied', nowMs, seq, diagnosis, retry: retryFor({ kind: 'declined', diagnosis }) };
      case 'not_sent':
        this.#logger.warn({ paymentId: context.payment.id, channel: attempt.channel, reason: result.kind === 'not_sent' ? result.reason : 'unknown' }, 'attempt not sent');
        return { type: 'not_sent', nowMs, seq, diagnosis, retry: retryFor({ kind: 'not_sent', diagnosis }) };
      case 'unknown':
        if (result.kind === 'no_reply') this.#logger.warn({ paymentId: context.payment.id, channel: attempt.channel, stan: attempt.stan, reason: result.reason }, 'attempt outcome unknown; reversal queued');
        return { type: 'no_reply', nowMs, seq, diagnosis, retry: afterReversalRetry() };
    }
  }

  /** The recovery policy applied to one failed attempt of this sale (src/core/payments/decide-recovery.ts). */
  #recoveryDecision(context: SaleContext, failed: FailedAttempt, failedChannel: string, attemptsSoFar: number, nowMs: number, healthyNow: readonly string[]): RetryDecision {
    return decideRecovery({
      policy: this.#recoveryPolicy,
      failed,
      failedChannel,
      route: context.route,
      healthyNow,
      attemptsSoFar,
      autoRetriesMax: this.#settings.autoRetriesMax,
      schemeBudgetAllowed: context.budgetAllowed,
      nowMs,
      replyByMs: context.replyByMs,
      attemptMinMs: this.#settings.attemptMinMs,
    });
  }

  /** Waits for a retry time, or for the reversal of an unknown attempt, whichever the state asks for. */
  async #waitFor(context: SaleContext, state: PaymentDecisionState, atMs: number): Promise<PaymentEvent> {
    const seq = state.retryAfterReversalSeq;
    const attempt = seq === null ? undefined : context.attempts.get(seq);
    const reversal = seq === null ? undefined : context.reversals.get(seq);
    if (seq === null || attempt === undefined || reversal === undefined) {
      await this.#sleep(atMs - this.#clock.nowMs());
      return { type: 'timer', nowMs: Math.max(this.#clock.nowMs(), atMs) };
    }
    const settled = new Promise<Settled>((resolve) => this.#settlementWaiters.set(attempt.id, resolve));
    try {
      // The in-process notification is the fast path; the store is polled too, because the worker may
      // have settled it before we listened, or a worker on another gateway node may settle it.
      let outcome: Settled | null = null;
      for (let round = 0; round < settlementPollsMax && outcome === null; round++) {
        // A failed read is "not settled yet": the sale keeps waiting for the notification or the deadline.
        const stored = await this.#store.getReversal(reversal.id).catch(() => null);
        outcome = stored?.state === 'done' ? { result: 'reversed' } : stored?.state === 'dead' ? { result: 'dead' } : null;
        const leftMs = atMs - this.#clock.nowMs();
        if (outcome !== null || leftMs <= 0) break;
        outcome = await Promise.race([settled, this.#sleep(Math.min(settlementPollMs, leftMs)).then(() => null)]);
      }
      const nowMs = this.#clock.nowMs();
      if (outcome === null) return { type: 'timer', nowMs: Math.max(nowMs, atMs) };
      if (outcome.result === 'dead') return { type: 'reversal_settled', nowMs, seq, result: 'dead', diagnosis: classifyOutcome('reversal_failed') };
      context.attempts.set(seq, { ...attempt, outcome: 'reversed' });
      const diagnosis = classifyOutcome('reversed');
      // Confirmed: no money moved, so a new attempt (new STAN) is safe; the policy picks a channel healthy now.
      const healthyNow = this.#channelOrder(context.routeInput);
      const retry = this.#recoveryDecision(context, { kind: 'unknown_reversed', diagnosis }, attempt.channel, state.attempts.length, nowMs, healthyNow);
      return { type: 'reversal_settled', nowMs, seq, result: 'reversed', diagnosis, retry };
    } finally {
      this.#settlementWaiters.delete(attempt.id);
    }
  }

  /** One write per transition: the attempt's outcome, its reversal, the payment's status and, once there is one, the stored answer. */
  async #commitDecision(context: SaleContext, event: PaymentEvent, decision: Decision): Promise<void> {
    const reply = findEffect(decision.effects, 'reply');
    const reversalsWanted = decision.effects.filter((effect): effect is Extract<PaymentEffect, { kind: 'enqueue_reversal' }> => effect.kind === 'enqueue_reversal');
    const changedSeq = 'seq' in event && event.type !== 'reversal_settled' ? event.seq : null;
    const stillWorking = !decision.state.finished && decision.state.answer === null;
    let tries = 0;
    let written: PaymentRecord | null = null;
    const known = context.stored;
    context.stored = null;
    const view = await this.#write(async (tx) => {
      tries += 1;
      const nowMs = this.#clock.nowMs();
      if (changedSeq !== null) {
        const attempt = context.attempts.get(changedSeq);
        if (attempt !== undefined) await tx.updateAttempt(attempt);
      }
      // The first try trusts the row this sale last wrote; a retry follows a version conflict and reads it.
      let payment = tries === 1 && known !== null ? known : await tx.getPayment(context.payment.id);
      if (payment === null) throw new Error(`broken invariant: payment ${context.payment.id} vanished`);
      for (const wanted of reversalsWanted) {
        const attempt = context.attempts.get(wanted.seq);
        if (attempt === undefined) continue;
        const reversal = await this.#enqueueReversal(tx, {
          attempt,
          payment,
          reasonCode: isReasonCode(wanted.reasonCode) ? wanted.reasonCode : '98',
          nowMs,
          newStan: await tx.nextStan(attempt.channel),
          transmittedAt: transmissionDateTime(nowMs),
        });
        context.reversals.set(wanted.seq, reversal);
        await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { seq: attempt.seq, channel: attempt.channel, stan: attempt.stan }, atMs: nowMs });
      }
      const attempts = await tx.listAttempts(payment.id);
      const derived = derivePaymentStatus(attempts);
      const status: PaymentStatus = derived === 'approved' ? 'approved' : stillWorking ? 'pending' : derived;
      let updated: PaymentRecord = { ...payment, status, updatedAtMs: nowMs };
      if (reply !== undefined) updated = withAnswer(updated, reply.answer, attempts);
      else if (status === 'approved') updated = withAnswer(updated, { kind: 'approved', seq: attempts.find((a) => a.outcome === 'approved')?.seq ?? 0 }, attempts);
      await this.#updatePayment(tx, payment, updated);
      // The fee just recorded is the payment's only fee line: the answer needs no read of them.
      let recordedFee: FeeLineRecord | null | undefined;
      if (payment.status !== 'approved' && updated.status === 'approved' && this.#fees !== undefined) recordedFee = await this.#fees.recordApproved(tx, updated, context.merchant);
      payment = { ...updated, version: payment.version + 1 };
      written = payment;
      if (reply === undefined) return null;
      const answerView = toPaymentView(payment, attempts, recordedFee === undefined ? await feeOf(tx, payment.id) : feeViewOf(recordedFee === null ? [] : [recordedFee]));
      await tx.updateIdempotency(context.request.idempotency.scope, context.request.idempotency.key, {
        paymentId: payment.id,
        state: 'done',
        responseStatus: 201,
        responseBody: JSON.stringify(answerView),
        updatedAtMs: nowMs,
      });
      await tx.appendEvent({ type: 'payment.completed', subjectId: payment.id, payload: completedPayload(payment, diagnosisOfAnswer(reply.answer)), atMs: nowMs });
      return answerView;
    });
    context.stored = written;
    if (reversalsWanted.length > 0) this.#reversalWorker.kick();
    if (reply !== undefined && view !== null && context.result === null) {
      const diagnosis = diagnosisOfAnswer(reply.answer);
      context.result = { kind: 'completed', view, diagnosis };
      this.#logger.debug({ paymentId: view.id, status: view.status, code: diagnosis.code, category: diagnosis.category, verdict: diagnosis.verdict, attempts: view.attempts.length }, 'payment answered');
    }
  }

  /**
   * The outcome of a sent attempt could not be written. Money may have moved (an approval included), so the
   * outcome is unknown: the client gets 98 WAIT now, and the attempt's reversal is held in memory and
   * written (then sent and retried by the reversal worker) as soon as the store takes writes again.
   */
  #answerWaitAfterStoreFailure(context: SaleContext, seq: number | null, error: unknown): void {
    this.#storeFailuresAfterSend += 1;
    const diagnosis = classifyOutcome('no_reply');
    if (seq === null) {
      // Every sent attempt's outcome is already durable, its reversal queued: only the answer could not be written.
      const payment: PaymentRecord = { ...context.payment, status: 'pending', responseCode: diagnosis.code, decline: toStoredDecline(diagnosis) };
      this.#logger.error({ paymentId: context.payment.id, error: errorText(error) }, 'STORE FAILED WHILE AN ATTEMPT IS UNRESOLVED: answered 98 WAIT; its reversal is queued');
      context.result = { kind: 'completed', view: toPaymentView(payment, [...context.attempts.values()]), diagnosis };
      return;
    }
    const attempt = context.attempts.get(seq);
    if (attempt === undefined) throw new Error(`broken invariant: attempt ${seq} not recorded`);
    const attempts = [...context.attempts.values()].map((candidate) => (candidate.seq === seq ? { ...candidate, outcome: 'unknown' as const } : candidate));
    const payment: PaymentRecord = { ...context.payment, status: 'pending', responseCode: diagnosis.code, decline: toStoredDecline(diagnosis) };
    const view = toPaymentView(payment, attempts);
    const { scope, key } = context.request.idempotency;
    this.#logger.error(
      { paymentId: context.payment.id, attemptSeq: seq, channel: attempt.channel, stan: attempt.stan, outcome: attempt.outcome, error: errorText(error), reversalsHeld: this.#heldReversals.size + 1 },
      'STORE FAILED AFTER THE REQUEST WENT UPSTREAM: outcome unknown, answered 98 WAIT, reversal held in memory until the store takes writes',
    );
    if (this.#heldReversals.size >= heldReversalsMax) {
      this.#logger.error({ paymentId: context.payment.id, heldReversalsMax }, 'held reversals full: this one is left to the recovery sweep (its attempt is stored pending)');
    } else {
      this.#heldReversals.set(attempt.id, { attempt: { ...attempt, outcome: 'unknown' }, payment: context.payment, idempotency: { scope, key }, answer: view, heldAtMs: this.#clock.nowMs() });
      this.#startHeldFlush();
    }
    context.result = { kind: 'completed', view, diagnosis };
  }

  /** Writes the held reversals in the background, with capped backoff, until none is left. */
  #startHeldFlush(): void {
    if (this.#heldFlush !== null) return;
    this.#heldFlush = (async () => {
      let waitMs = heldRetryMs;
      while (this.#heldReversals.size > 0 && !this.#closing) {
        await this.#writeHeldReversals();
        if (this.#heldReversals.size === 0) break;
        await this.#sleep(waitMs);
        waitMs = Math.min(heldRetryMsMax, waitMs * 2);
      }
    })().finally(() => {
      this.#heldFlush = null;
    });
  }

  /** One pass over the held reversals: each written in its own unit; those the store refuses stay held. */
  async #writeHeldReversals(): Promise<void> {
    let written = 0;
    for (const [attemptId, held] of [...this.#heldReversals]) {
      try {
        await this.#write((tx) => this.#writeHeldReversal(tx, held));
        this.#heldReversals.delete(attemptId);
        written += 1;
        this.#logger.warn({ paymentId: held.payment.id, attemptSeq: held.attempt.seq, heldMs: this.#clock.nowMs() - held.heldAtMs }, 'held reversal written after the store came back');
      } catch (error) {
        this.#logger.error({ paymentId: held.payment.id, error: errorText(error), reversalsHeld: this.#heldReversals.size }, 'store still refuses writes; reversal stays held in memory');
        break;
      }
    }
    if (written > 0) this.#reversalWorker.kick();
  }

  async #writeHeldReversal(tx: StoreTx, held: HeldReversal): Promise<void> {
    const nowMs = this.#clock.nowMs();
    const payment = await tx.getPayment(held.payment.id);
    const stored = (await tx.listAttempts(held.payment.id)).find((candidate) => candidate.id === held.attempt.id);
    if (payment === null || stored === undefined) throw new Error(`broken invariant: held reversal of ${held.attempt.id} names a payment or attempt the store does not have`);
    // The failed write may still have committed (a lost COMMIT reply): then the stored outcome counts. A
    // decline moved no money; an approval the client was not told of is reversed like an unknown outcome.
    if (stored.outcome === 'pending' || stored.outcome === 'unknown' || stored.outcome === 'approved') {
      const attempt: AttemptRecord = stored.outcome === 'pending' ? { ...stored, outcome: 'unknown', sentAtMs: held.attempt.sentAtMs, completedAtMs: held.attempt.completedAtMs ?? nowMs } : stored;
      if (stored.outcome === 'pending') await tx.updateAttempt(attempt);
      await this.#enqueueReversal(tx, { attempt, payment, reasonCode: stored.outcome === 'approved' ? '96' : '98', nowMs, newStan: await tx.nextStan(attempt.channel), transmittedAt: transmissionDateTime(nowMs) });
      await tx.appendEvent({ type: 'payment.unknown', subjectId: payment.id, payload: { seq: attempt.seq, channel: attempt.channel, stan: attempt.stan, by: 'store_failure' }, atMs: nowMs });
    }
    // An approved payment stays approved until its reversal settles (onReversalSettledInTx then reverses it and its fee).
    // A resend of the sale replays what the client was told: WAIT, never an approval being reversed.
    await tx.updateIdempotency(held.idempotency.scope, held.idempotency.key, { paymentId: payment.id, state: 'done', responseStatus: 201, responseBody: JSON.stringify(held.answer), updatedAtMs: nowMs });
  }

  // ---- helpers --------------------------------------------------------------------------------

  async #duplicateResult(record: IdempotencyRecord, request: SaleRequest['idempotency']): Promise<SaleResult> {
    if (record.requestHash !== request.requestHash && !(request.requestHashesRetired ?? []).includes(record.requestHash)) return { kind: 'idempotency_mismatch' };
    const payment = record.paymentId === null ? null : await this.#store.getPayment(record.paymentId);
    if (record.state === 'done' && payment !== null) {
      const view = await this.#viewOf(payment);
      const answered = parseView(record.responseBody) ?? view;
      return { kind: 'replayed', view, diagnosis: diagnosisOfView(answered), responseStatus: record.responseStatus, responseBody: record.responseBody };
    }
    if (payment !== null && payment.status !== 'pending' && !this.#active.has(payment.id)) {
      // The original's process died after the payment was final but before its answer was stored.
      const view = await this.#viewOf(payment);
      return { kind: 'replayed', view, diagnosis: diagnosisOfView(view), responseStatus: 201, responseBody: JSON.stringify(view) };
    }
    return { kind: 'in_progress', paymentId: record.paymentId };
  }

  async #viewOf(payment: PaymentRecord): Promise<PaymentView> {
    const attempts = await this.#store.listAttempts(payment.id);
    return toPaymentView(payment, attempts, await feeOf(this.#store, payment.id));
  }

  /** Approved totals for the day/month limits; only the limits that exist are summed (each sum scans a day or a month of sales). */
  async #totals(merchant: MerchantRecord, terminal: TerminalRecord | null, nowMs: number) {
    const { dayStartMs, monthStartMs } = localWindows(nowMs, this.#settings.localOffsetMinutes);
    const endMs = nowMs + 1;
    const merchantId = merchant.id;
    const sumIf = (limit: number | undefined, scope: { merchantId: string; terminalId?: string }, fromMs: number) =>
      limit === undefined ? Promise.resolve(0) : this.#store.sumApprovedMinor(scope, fromMs, endMs);
    const [merchantDayMinor, merchantMonthMinor, terminalDayMinor, terminalMonthMinor] = await Promise.all([
      sumIf(merchant.limits.perDayMinor, { merchantId }, dayStartMs),
      sumIf(merchant.limits.perMonthMinor, { merchantId }, monthStartMs),
      terminal === null ? Promise.resolve(0) : sumIf(terminal.limits.perDayMinor, { merchantId, terminalId: terminal.id }, dayStartMs),
      terminal === null ? Promise.resolve(0) : sumIf(terminal.limits.perMonthMinor, { merchantId, terminalId: terminal.id }, monthStartMs),
    ]);
    return { merchantDayMinor, merchantMonthMinor, terminalDayMinor, terminalMonthMinor };
  }

  #channelOrder(input: RouteInput): string[] {
    if (this.#router !== undefined) {
      const enabled = new Set(this.#settings.channels.filter((channel) => !channel.disabled).map((channel) => channel.name));
      return this.#router.route(input).channels.filter((name) => enabled.has(name) && this.#channels.has(name));
    }
    return [...this.#settings.channels]
      .filter((channel) => !channel.disabled && this.#channels.has(channel.name))
      .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : 1))
      .map((channel) => channel.name);
  }

  /** The card's newest upstream declines under every configured key, newest first, as one list (one key: one read, as before rotation). */
  async #listCardDeclines(cardFingerprints: readonly string[], sinceMs: number): Promise<Awaited<ReturnType<Store['listCardDeclines']>>> {
    const lists = [];
    for (const panFingerprint of cardFingerprints) lists.push(await this.#store.listCardDeclines(panFingerprint, sinceMs, historyEntriesMax));
    if (lists.length === 1) return lists[0] ?? [];
    return lists
      .flat()
      .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, historyEntriesMax);
  }

  /** The id of an earlier payment of the same card, amount and terminal (or merchant) inside the guard window that may still have moved money. */
  async #findUnsettledTwin(cardFingerprints: readonly string[], request: SaleRequest, kind: PaymentKind, nowMs: number): Promise<string | null> {
    const windowMs = this.#settings.reswipeGuardWindowMs ?? 0;
    if (windowMs <= 0) return null;
    const sale = { panFingerprint: cardFingerprints[0] ?? '', merchantId: request.merchantId, terminalId: request.terminalId, amountMinor: request.amountMinor, currency: request.currency, kind };
    const candidates: ReswipeCandidate[] = [];
    for (const panFingerprint of cardFingerprints) candidates.push(...(await this.#store.findReswipeCandidates({ ...sale, panFingerprint }, nowMs - windowMs, reswipeCandidatesMax)));
    for (const candidate of candidates) {
      if (!isReswipeTwin(candidate, sale)) continue;
      const attempts = await this.#store.listAttempts(candidate.id);
      const withReversals = [];
      for (const attempt of attempts) {
        const reversal = attempt.outcome === 'approved' ? await this.#store.getReversal(reversalIdFor(attempt.id)) : null;
        withReversals.push({ outcome: attempt.outcome, reversalPending: reversal?.state === 'pending' });
      }
      if (isUnsettledTwin({ payment: candidate, attempts: withReversals })) return candidate.id;
    }
    return null;
  }

  /**
   * Two approvals for one card, amount and terminal where the newer sale arrived while the earlier one was
   * still unsettled (the guard should have answered WAIT but raced it: two nodes, or two sales at the same
   * instant): the newer one is reversed, so the customer is charged once, and `payment.double_approval` is
   * raised. Runs after every approval, whichever of the two it is: the check that runs last sees both
   * approvals committed and reverses the newer (doubleApprovalToReverse). An earlier approval settled
   * before the newer sale arrived is a separate purchase, and one already being reversed is no twin.
   */
  async #reverseIfDoubleApproval(approved: PaymentRecord): Promise<void> {
    const windowMs = this.#settings.reswipeGuardWindowMs ?? 0;
    if (windowMs <= 0) return;
    const isOtherApproved = (candidate: ReswipeCandidate): boolean => candidate.id !== approved.id && candidate.status === 'approved' && isReswipeTwin(candidate, approved);
    // A read outside any unit first: nearly every approval has no approved twin, or only one approved
    // long before, and then needs no write.
    const seen = await this.#store.findReswipeCandidates(approved, approved.createdAtMs - windowMs, reswipeCandidatesMax);
    // The row read here, not `approved`, carries the instant of the approval's commit.
    const mine = seen.find((candidate) => candidate.id === approved.id);
    if (!seen.some((candidate) => isOtherApproved(candidate) && (mine === undefined || mayBeDoubleApproval(candidate, mine)))) return;
    const queued = await this.#write(async (tx) => {
      const current = await tx.getPayment(approved.id);
      if (current === null || current.status !== 'approved') return null;
      const approvedTwinOf = async (payment: Pick<PaymentRecord, 'id' | 'createdAtMs'>) => {
        const attempt = (await tx.listAttempts(payment.id)).find((candidate) => candidate.outcome === 'approved');
        if (attempt === undefined || (await tx.getReversal(reversalIdFor(attempt.id))) !== null) return null;
        return { attempt, twin: { id: payment.id, createdAtMs: payment.createdAtMs, approvedAtMs: attempt.completedAtMs } };
      };
      const mine = await approvedTwinOf(current);
      if (mine === null) return null;
      for (const candidate of await tx.findReswipeCandidates(current, current.createdAtMs - windowMs, reswipeCandidatesMax)) {
        if (!isOtherApproved(candidate)) continue;
        const theirs = await approvedTwinOf(candidate);
        if (theirs === null) continue;
        const reverseId = doubleApprovalToReverse(mine.twin, theirs.twin);
        if (reverseId === null) continue;
        const [target, earlierId] = reverseId === current.id ? [mine.attempt, candidate.id] : [theirs.attempt, current.id];
        const payment = reverseId === current.id ? current : await tx.getPayment(reverseId);
        if (payment === null) continue;
        const nowMs = this.#clock.nowMs();
        await this.#enqueueReversal(tx, { attempt: target, payment, reasonCode: '06', nowMs, newStan: await tx.nextStan(target.channel), transmittedAt: transmissionDateTime(nowMs) });
        await tx.appendEvent({
          type: 'payment.double_approval',
          subjectId: reverseId,
          payload: { earlierPaymentId: earlierId, reversedPaymentId: reverseId, merchantId: payment.merchantId, terminalId: payment.terminalId, amountMinor: payment.amountMinor },
          atMs: nowMs,
        });
        return reverseId;
      }
      return null;
    });
    if (queued !== null) {
      this.#logger.warn({ paymentId: queued }, 'double approval of one card and amount: the newer payment is being reversed');
      this.#reversalWorker.kick();
    }
  }

  async #write<T>(unit: (tx: StoreTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#store.write(unit);
      } catch (error) {
        if (!(error instanceof VersionConflict) || attempt >= writeTriesMax) throw error;
      }
    }
  }

  async #updatePayment(tx: StoreTx, before: PaymentRecord, after: PaymentRecord): Promise<void> {
    const ok = await tx.updatePayment(before, after);
    if (!ok) throw new VersionConflict(before.id);
  }

  #notifyAnswered(scope: string, key: string): void {
    const waitKey = `${scope}\u0000${key}`;
    const waiters = this.#answerWaiters.get(waitKey);
    this.#answerWaiters.delete(waitKey);
    for (const wake of waiters ?? []) wake();
  }

  #newId(prefix: string): string {
    return newRandomId(this.#random, prefix);
  }
}

class VersionConflict extends Error {
  constructor(paymentId: string) {
    super(`payment ${paymentId} was updated concurrently`);
  }
}

/**
 * The terminal the local checks see. An HTTP sale that names no terminal is checked as the merchant's
 * own always-active stand-in; sign-on is a terminal-link concept, so HTTP sales skip that check.
 */
function checkedTerminal(request: SaleRequest, terminal: TerminalRecord | null, known: boolean) {
  if (request.terminalId === null) return { id: 'http', state: 'active' as const, signedOn: true, limits: {} };
  if (terminal === null || !known) return null;
  return { id: terminal.id, state: terminal.state, signedOn: request.intake === 'http' ? true : terminal.signedOn, limits: terminal.limits };
}

/** The request hash of a key taken by a terminal reversal whose original never arrived: no real request hashes to it. */
const reversedByTerminalHash = 'reversed-by-terminal';
/** A terminal's own 0400 later than this after its sale is refused when the settings name no window (the config default). */
const defaultTerminalReversalWindowMs = 86_400_000;

/** The longest window a retry budget counts declines in (Visa's 30 days). */
const retryHistoryWindowMs = 30 * 86_400_000;

/** Most recent payments of one card the re-swipe guard looks at. */
const reswipeCandidatesMax = 50;

const zeroTotals = { merchantDayMinor: 0, merchantMonthMinor: 0, terminalDayMinor: 0, terminalMonthMinor: 0 };

function findEffect<K extends PaymentEffect['kind']>(effects: readonly PaymentEffect[], kind: K): Extract<PaymentEffect, { kind: K }> | undefined {
  return effects.find((effect): effect is Extract<PaymentEffect, { kind: K }> => effect.kind === kind);
}

function isReasonCode(code: string): code is ReversalReasonCode {
  return code === '98' || code === '96' || code === 'A0' || code === '06';
}

function isDuplicateConstraint(constraint: unknown): boolean {
  return constraint === 'idempotency_records_pkey' || constraint === 'payments_iso_key';
}

export function toStoredDecline(diagnosis: Diagnosis): StoredDecline {
  return {
    code: diagnosis.code,
    category: diagnosis.category,
    party: diagnosis.party,
    verdict: diagnosis.verdict,
    waitSeconds: diagnosis.waitSeconds,
    advice: { cashier: { ...diagnosis.advice.cashier }, customer: { ...diagnosis.advice.customer } },
  };
}

function diagnosisOfAnswer(answer: ClientAnswer): Diagnosis {
  return answer.kind === 'approved' ? approvedDiagnosis() : answer.diagnosis;
}

/** Rebuilds the Diagnosis a stored answer was made from (the stored decline keeps verdict and advice; the table gives the rest). */
function diagnosisOfView(view: PaymentView): Diagnosis {
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

function parseView(body: string | null): PaymentView | null {
  if (body === null) return null;
  try {
    return JSON.parse(body) as PaymentView;
  } catch {
    return null;
  }
}

function withAnswer(payment: PaymentRecord, answer: ClientAnswer, attempts: readonly AttemptRecord[]): PaymentRecord {
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

function withAnswerFields(payment: PaymentRecord, status: PaymentStatus, diagnosis: Diagnosis, attempts: readonly AttemptRecord[], nowMs: number): PaymentRecord {
  const answer: ClientAnswer = status === 'approved' ? { kind: 'approved', seq: 0 } : { kind: 'declined', diagnosis };
  return { ...withAnswer(payment, answer, attempts), status, updatedAtMs: nowMs };
}

function lastDiagnosisOf(attempts: readonly AttemptRecord[]): Diagnosis {
  const last = attempts[attempts.length - 1];
  if (last === undefined) return classifyOutcome('not_sent');
  if (last.outcome === 'reversed') return classifyOutcome('reversed');
  if (last.outcome === 'not_sent') return classifyOutcome('not_sent');
  return last.responseCode === null ? classifyOutcome('no_reply') : diagnosisOfResponseCode(last.responseCode);
}

function completedPayload(payment: PaymentRecord, diagnosis: Diagnosis): Record<string, unknown> {
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

async function feeOf(reader: Pick<StoreTx, 'listFeeLines'>, paymentId: string): Promise<PaymentFeeView | null> {
  return feeViewOf(await reader.listFeeLines({ paymentId }));
}

function feeViewOf(lines: readonly FeeLineRecord[]): PaymentFeeView | null {
  if (lines.some((line) => line.kind === 'fee_removed')) return null;
  const fee = lines.find((line) => line.kind === 'fee');
  return fee === undefined ? null : { feeMinor: fee.feeMinor, rateBps: fee.rateBps, plan: fee.plan };
}

function safeLookup(pan: string, binTable: BinTable) {
  try {
    return lookupCard(pan, binTable);
  } catch {
    return { brand: 'unknown' as const, type: 'unknown' as const, issuer: null, binMatched: false, panLength: pan.length };
  }
}

/** Start of the local day and month containing `nowMs`, for the per-day and per-month limits. */
export function localWindows(nowMs: number, offsetMinutes: number): { dayStartMs: number; monthStartMs: number } {
  const offsetMs = offsetMinutes * 60_000;
  const local = localTimeOf(nowMs, offsetMinutes);
  const dayStartMs = Date.UTC(local.year, local.month - 1, local.day) - offsetMs;
  const monthStartMs = Date.UTC(local.year, local.month - 1, 1) - offsetMs;
  return { dayStartMs, monthStartMs };
}

function errorText(error: unknown): string {
  return isReswipeError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
}

export { CardNumber };

/** MTI function digit 2 or 3 (advice, advice response): store-and-forward messages, never reversed. */
function isAdviceMti(mti: string): boolean {
  return mti[2] === '2' || mti[2] === '3';
}
