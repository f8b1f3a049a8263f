// The persistent reversal queue: every attempt whose outcome is unknown (or that must be undone)
// has a ReversalRecord; this worker sends its 0400, then 0401 repeats with capped exponential
// backoff, until the host answers 00/25 or the tries run out (dead letter, manual handling).
// All state lives in the store, so a restart simply picks up the due rows again.
//
// Each try is claimed in the store before a byte is sent (tries + 1, next due time pushed past
// the reply timeout). A crash between the send and the outcome write therefore shows up after a
// restart as a row whose last try was spent, and the next try goes out as an 0401 repeat, which
// the host treats idempotently.
import type { AttemptRecord, PaymentRecord, ReversalRecord, Store, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { ChannelSendResult, LoggerLike, UpstreamChannel } from '../../adapters/channels/upstream-channel.ts';
import { getText } from '../../core/iso8583/index.ts';
import { buildReversalRequest } from '../../core/payments/reversal-message.ts';
import { nextReversalTry, reversalBackoffMs, type ReversalRetryPolicy, type ReversalTryOutcome } from '../../core/payments/next-reversal-try.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

/** What the worker needs of an upstream channel. */
export type ReversalChannel = Pick<UpstreamChannel, 'send'>;

export interface ReversalWorkerOptions {
  store: Store;
  /** The channels reversals go out on; the worker only sends. */
  channels: ReadonlyMap<string, ReversalChannel> | ((name: string) => ReversalChannel | undefined);
  clock: Clock;
  logger: LoggerLike;
  triesMax: number;
  backoffMs: number;
  backoffMsMax: number;
  /** How long one 0400/0401 waits for its 0410. */
  timeoutMs: number;
  /** Most reversals handled per run (they are sent concurrently). */
  batchMax: number;
  pollIntervalMs: number;
  acquirerIdFor(channel: string): string;
  /** The engine updates the payment in the SAME transaction as the reversal's final state. */
  onSettledInTx?: (tx: StoreTx, settled: ReversalSettlement) => Promise<void>;
  /** Called after the commit, for notifications. */
  onSettled?: (settled: ReversalSettlement) => void;
  /** How long after its claim a try may still be sent (default 2 s); a node paused longer sends nothing (docs/cluster.md). */
  sendWindowMs?: number;
  /** The gateway node this worker sends for (docs/cluster.md): each try's claim names it, and only its claim may write the try's outcome. */
  nodeId?: string;
}

export interface ReversalSettlement {
  reversal: ReversalRecord;
  attempt: AttemptRecord;
  payment: PaymentRecord;
  result: 'reversed' | 'dead';
  responseCode: string | null;
}

export type ReversalReasonCode = '98' | '96' | 'A0' | '06';

export interface EnqueueReversalInput {
  attempt: AttemptRecord;
  payment: PaymentRecord;
  reasonCode: ReversalReasonCode;
  nowMs: number;
  /** The 0400's own STAN (from tx.nextStan(channel)), kept for every 0401 repeat. */
  newStan: string;
  /** The 0400's own DE 7, MMDDhhmmss UTC, kept for every 0401 repeat. */
  transmittedAt: string;
}

/**
 * Runs started by kick() (and the poll) that may be in flight at once. A reversal queued while another
 * run waits for a slow or lost 0410 must not wait behind it: a sale may be waiting for its settlement to
 * retry. Each run handles at most batchMax rows, and the claim in the store keeps two runs from sending one row.
 */
const kickRunsMax = 4;

const defaultSendWindowMs = 2000;

/** Response codes of an 0410 that mean the reversal is complete: done, or the host never saw the original. */
const completedResponseCodes: ReadonlySet<string> = new Set(['00', '25']);

export class ReversalWorker {
  private readonly options: ReversalWorkerOptions;
  private readonly policy: ReversalRetryPolicy;
  /** runOnce() calls are serialised: each one starts after the previous one settled. */
  private chain: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | null = null;
  /** Runs started by kick(), at most kickRunsMax. */
  private readonly kickRuns = new Set<Promise<unknown>>();
  /** A kick arrived while kickRunsMax runs were in flight: run once more when one ends. */
  private kickAgain = false;
  /** Reversals this worker is sending now: runs side by side never send two tries of one row at once. */
  private readonly sending = new Set<string>();
  private stopped = false;
  readonly #nodeId: string;
  readonly #sendWindowMs: number;

  constructor(options: ReversalWorkerOptions) {
    const positive: Array<[string, number]> = [
      ['triesMax', options.triesMax],
      ['backoffMs', options.backoffMs],
      ['backoffMsMax', options.backoffMsMax],
      ['timeoutMs', options.timeoutMs],
      ['batchMax', options.batchMax],
      ['pollIntervalMs', options.pollIntervalMs],
    ];
    for (const [name, value] of positive) {
      if (!(Number.isInteger(value) && value > 0)) throw new Error(`broken invariant: reversal worker ${name} must be a positive integer, got ${value}`);
    }
    if (options.backoffMsMax < options.backoffMs) throw new Error('broken invariant: reversal backoffMsMax is below backoffMs');
    this.options = options;
    this.#nodeId = options.nodeId ?? 'local';
    this.#sendWindowMs = options.sendWindowMs ?? defaultSendWindowMs;
    this.policy = Object.freeze({ triesMax: options.triesMax, backoffMs: options.backoffMs, backoffMsMax: options.backoffMsMax });
  }

  /** Starts polling the queue (and runs it once now); due rows left by an earlier process are picked up. */
  start(): void {
    if (this.stopped || this.pollTimer !== null) return;
    this.pollTimer = setInterval(() => this.kick(), this.options.pollIntervalMs);
    this.kick();
  }

  /** Runs the queue now instead of waiting for the next poll, beside runs already waiting for replies. */
  kick(): void {
    if (this.stopped) return;
    if (this.kickRuns.size >= kickRunsMax) {
      this.kickAgain = true;
      return;
    }
    const run: Promise<unknown> = this.processDue()
      .catch((error: unknown) => {
        this.options.logger.error({ error: describeError(error) }, 'reversal queue run failed; will retry at the next poll');
      })
      .finally(() => {
        this.kickRuns.delete(run);
        if (this.kickAgain) {
          this.kickAgain = false;
          this.kick();
        }
      });
    this.kickRuns.add(run);
  }

  /** Processes the due reversals once; returns how many it handled. */
  runOnce(): Promise<number> {
    const run = this.chain.then(() => this.processDue());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Stops polling and waits for the run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    await this.chain;
    await Promise.allSettled([...this.kickRuns]);
  }

  private async processDue(): Promise<number> {
    const due = await this.options.store.listDueReversals(this.options.clock.nowMs(), this.options.batchMax);
    // At most batchMax at once: the listing is the bound.
    const handled = await Promise.all(due.map((reversal) => this.processOne(reversal)));
    return handled.filter(Boolean).length;
  }

  /** One try of one reversal: claim it, send it, record the outcome. False when another worker had it. */
  private async processOne(listed: ReversalRecord): Promise<boolean> {
    const { store, clock, logger } = this.options;
    if (this.sending.has(listed.id)) return false;
    this.sending.add(listed.id);
    try {
      // The claim is one conditional update (the tries count is its epoch): of two nodes that listed the
      // same due row, exactly one claims the try. Until `inFlight.nextAtMs` no other node may claim the row.
      const claimed = await store.write(async (tx) => {
        const current = await tx.getReversal(listed.id);
        const nowMs = clock.nowMs();
        if (current === null || current.state !== 'pending' || current.tries !== listed.tries || current.nextAtMs > nowMs) return null;
        const tries = current.tries + 1;
        // If we crash before recording the outcome, the row comes due again after the reply window plus the usual backoff.
        // The send window is part of the claim: no other node claims the row before the send could be made and answered.
        const inFlight: ReversalRecord = { ...current, tries, nextAtMs: nowMs + this.#sendWindowMs + this.options.timeoutMs + reversalBackoffMs(tries, this.policy) };
        if (!(await tx.claimReversalTry(current, inFlight, this.#nodeId, nowMs))) return null;
        return { before: current, inFlight, claimedAtMs: nowMs };
      });
      if (claimed === null) return false;
      const { before, inFlight, claimedAtMs } = claimed;

      const payment = await store.getPayment(before.paymentId);
      const attempt = (await store.listAttempts(before.paymentId)).find((candidate) => candidate.id === before.attemptId);
      if (payment === null || attempt === undefined) {
        throw new Error(`broken invariant: reversal ${before.id} names a payment or attempt the store does not have`);
      }

      const tryLog = { reversalId: before.id, paymentId: before.paymentId, attemptId: before.attemptId, channel: before.channel, tryNumber: inFlight.tries };
      // A node that paused (or lost the database) after its claim must not send once another node may
      // claim the next try (at inFlight.nextAtMs): our 0400 may wait timeoutMs for its reply, so it
      // goes out only inside the claim's send window.
      if (clock.nowMs() > claimedAtMs + this.#sendWindowMs) {
        logger.warn(tryLog, 'reversal claim lapsed before the send (paused or slow store); not sent, the next claim sends it');
        return false;
      }
      const outcome = await this.tryOnce(before, inFlight.tries, attempt, payment);
      let stale = false;
      const settlement = await store.write(async (tx) => {
        const current = await tx.getReversal(before.id);
        if (current === null || current.state !== 'pending' || current.tries !== inFlight.tries) {
          stale = true;
          return null;
        }
        const nowMs = clock.nowMs();
        const next = nextReversalTry(before, outcome, this.policy, nowMs);
        // Fenced: the row must still be at our try and claimed by this node in the same statement.
        if (!(await tx.updateReversalAtTry(next, inFlight.tries, this.#nodeId))) {
          stale = true;
          return null;
        }
        if (next.state === 'pending') return null;
        return this.settleInTx(tx, next, outcome, nowMs);
      });
      if (stale) {
        logger.warn({ ...tryLog, outcome: outcome.kind }, 'reversal try outcome is stale: another worker or node claimed the row meanwhile; its outcome is not written');
        return false;
      }
      if (outcome.kind === 'failed') logger.warn({ ...tryLog, lastError: outcome.lastError }, 'reversal try failed');
      if (settlement !== null) {
        if (settlement.result === 'dead') {
          logger.error({ ...tryLog, panMasked: settlement.payment.panMasked }, 'reversal dead-lettered: manual handling needed');
        } else {
          logger.info({ ...tryLog, responseCode: settlement.responseCode }, 'reversal completed');
        }
        try {
          this.options.onSettled?.(settlement);
        } catch (error) {
          logger.error({ reversalId: before.id, error: describeError(error) }, 'onSettled handler threw');
        }
      }
      return true;
    } catch (error) {
      logger.error({ reversalId: listed.id, paymentId: listed.paymentId, error: describeError(error) }, 'reversal processing failed');
      return false;
    } finally {
      this.sending.delete(listed.id);
    }
  }

  /** Sends try number `tryNumber` and turns whatever happened into a try outcome. */
  private async tryOnce(reversal: ReversalRecord, tryNumber: number, attempt: AttemptRecord, payment: PaymentRecord): Promise<ReversalTryOutcome> {
    const channel = lookupChannel(this.options.channels, reversal.channel);
    if (channel === undefined) return { kind: 'failed', lastError: `channel ${reversal.channel} is not configured` };
    let result: ChannelSendResult;
    try {
      const request = buildReversalRequest(attempt, payment, reversal, this.options.acquirerIdFor(reversal.channel), tryNumber);
      result = await channel.send(request, { timeoutMs: this.options.timeoutMs });
    } catch (error) {
      if (error instanceof ReswipeError) return { kind: 'failed', lastError: `${error.code}: ${error.message}` };
      throw error;
    }
    switch (result.kind) {
      case 'reply': {
        const responseCode = getText(result.message, 39);
        if (responseCode !== undefined && completedResponseCodes.has(responseCode)) return { kind: 'completed', responseCode };
        return { kind: 'failed', lastError: `host answered ${result.message.mti} with DE 39 ${responseCode ?? 'missing'}` };
      }
      case 'not_sent':
        return { kind: 'failed', lastError: `not sent: ${result.reason} (${result.detail})` };
      case 'no_reply':
        return { kind: 'failed', lastError: `no reply: ${result.reason}` };
    }
  }

  /** The final write of a reversal: attempt outcome, the engine's payment update and the event, all in the caller's transaction. */
  private async settleInTx(tx: StoreTx, reversal: ReversalRecord, outcome: ReversalTryOutcome, nowMs: number): Promise<ReversalSettlement> {
    const payment = await tx.getPayment(reversal.paymentId);
    let attempt = (await tx.listAttempts(reversal.paymentId)).find((candidate) => candidate.id === reversal.attemptId);
    if (payment === null || attempt === undefined) throw new Error(`broken invariant: reversal ${reversal.id} lost its payment or attempt`);
    const isDone = reversal.state === 'done';
    if (isDone && (attempt.outcome === 'unknown' || attempt.outcome === 'approved')) {
      attempt = { ...attempt, outcome: 'reversed', completedAtMs: attempt.completedAtMs ?? nowMs };
      await tx.updateAttempt(attempt);
    }
    const settlement: ReversalSettlement = {
      reversal,
      attempt,
      payment,
      result: isDone ? 'reversed' : 'dead',
      responseCode: outcome.kind === 'completed' ? outcome.responseCode : null,
    };
    await this.options.onSettledInTx?.(tx, settlement);
    const common = { reversalId: reversal.id, paymentId: payment.id, attemptId: attempt.id, channel: reversal.channel, tries: reversal.tries };
    if (isDone) {
      await tx.appendEvent({ type: 'reversal.completed', subjectId: payment.id, payload: { ...common, responseCode: settlement.responseCode }, atMs: nowMs });
    } else {
      await tx.appendEvent({
        type: 'reversal.dead_letter',
        subjectId: payment.id,
        payload: { ...common, panMasked: payment.panMasked, amountMinor: payment.amountMinor, currency: payment.currency, lastError: reversal.lastError },
        atMs: nowMs,
      });
    }
    return settlement;
  }
}

/** The id of an attempt's reversal: one per attempt, so enqueueing twice finds the first. */
export function reversalIdFor(attemptId: string): string {
  return `rev_${attemptId}`;
}

/** Queues the reversal of an attempt inside the caller's write; idempotent per attempt. */
export async function enqueueReversal(tx: StoreTx, input: EnqueueReversalInput): Promise<ReversalRecord> {
  const { attempt, payment } = input;
  if (attempt.paymentId !== payment.id) throw new Error('broken invariant: the attempt to reverse belongs to another payment');
  if (!/^[0-9]{6}$/.test(input.newStan) || !/^[0-9]{10}$/.test(input.transmittedAt)) {
    throw new Error('broken invariant: a reversal needs a 6-digit STAN and a 10-digit DE 7');
  }
  const id = reversalIdFor(attempt.id);
  const existing = await tx.getReversal(id);
  if (existing !== null) return existing;
  const reversal: ReversalRecord = {
    id,
    attemptId: attempt.id,
    paymentId: payment.id,
    channel: attempt.channel,
    reasonCode: input.reasonCode,
    stan: input.newStan,
    transmittedAt: input.transmittedAt,
    state: 'pending',
    tries: 0,
    nextAtMs: input.nowMs,
    lastError: null,
    createdAtMs: input.nowMs,
    completedAtMs: null,
  };
  await tx.insertReversal(reversal);
  await tx.appendEvent({
    type: 'reversal.queued',
    subjectId: payment.id,
    payload: { reversalId: id, paymentId: payment.id, attemptId: attempt.id, channel: attempt.channel, reasonCode: input.reasonCode },
    atMs: input.nowMs,
  });
  return reversal;
}

/**
 * Sends an attempt's reversal again after it was final: for an approval that arrives after its
 * reversal completed (the host may have answered 25 before the original reached it). The row keeps
 * its id (one per attempt) and gets a fresh STAN and DE 7, since the host would answer a repeat of
 * the old 0400 from its duplicate memory without acting. A still-pending row is returned unchanged.
 */
export async function reopenReversal(
  tx: StoreTx,
  input: { attemptId: string; nowMs: number; newStan: string; transmittedAt: string; why: string },
): Promise<ReversalRecord | null> {
  if (!/^[0-9]{6}$/.test(input.newStan) || !/^[0-9]{10}$/.test(input.transmittedAt)) {
    throw new Error('broken invariant: a reversal needs a 6-digit STAN and a 10-digit DE 7');
  }
  const existing = await tx.getReversal(reversalIdFor(input.attemptId));
  if (existing === null) return null;
  if (existing.state === 'pending') return existing;
  const reopened: ReversalRecord = {
    ...existing,
    stan: input.newStan,
    transmittedAt: input.transmittedAt,
    state: 'pending',
    tries: 0,
    nextAtMs: input.nowMs,
    lastError: `reopened: ${input.why}`,
    completedAtMs: null,
  };
  await tx.updateReversal(reopened);
  await tx.appendEvent({
    type: 'reversal.reopened',
    subjectId: existing.paymentId,
    payload: { reversalId: existing.id, paymentId: existing.paymentId, attemptId: existing.attemptId, channel: existing.channel, previousState: existing.state, why: input.why },
    atMs: input.nowMs,
  });
  return reopened;
}

function lookupChannel(
  channels: ReadonlyMap<string, ReversalChannel> | ((name: string) => ReversalChannel | undefined),
  name: string,
): ReversalChannel | undefined {
  return typeof channels === 'function' ? channels(name) : channels.get(name);
}

function describeError(error: unknown): string {
  if (error instanceof ReswipeError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
