// The outbox worker: off the sale's path, on its own timer. Each tick it fans new events out to
// webhook endpoints, then takes due deliveries (a claim with a lease, so two nodes never send the same
// try at once), sends each with at most `concurrency` under way, writes the try to the delivery log,
// and either marks the delivery delivered or schedules the next retry (src/core/webhooks/
// delivery-schedule.ts) until it is dead. A crash after a send but before its record leaves the lease
// to expire and the delivery is sent again: at least once, never lost. A slow or dead receiver costs
// one slot for at most its timeout; a sale never waits for any of this.
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { OutboxRecord } from '../../core/ports/notification-store.ts';
import { nextTryAfterFailure, webhookDeliverySchedule, type DeliverySchedule } from '../../core/webhooks/delivery-schedule.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import { fanOutEvents } from './fan-out-events.ts';

/** What a sender reports for one try. */
export interface TryResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** Sends one delivery by its channel (webhook, chat, email); never throws. */
export type DeliverySender = (delivery: OutboxRecord) => Promise<TryResult>;

export interface OutboxWorkerOptions {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  send: DeliverySender;
  concurrency: number;
  pollIntervalMs: number;
  /** A try that takes longer than this is assumed lost; its lease ends and it is sent again. */
  leaseMs: number;
  /** Fan webhook events out on each tick (false where another component does it). */
  fanOut: boolean;
  schedule?: DeliverySchedule;
  /** Jitter in [0, 1); the system randomness by default. */
  jitter?: () => number;
  /** Delivered and cancelled deliveries older than this are deleted (at most once an hour, bounded per pass); never when absent. */
  retentionMs?: number;
}

const purgeIntervalMs = 3_600_000;
const purgeRowsMax = 1000;

export class OutboxWorker {
  readonly #options: OutboxWorkerOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #lastPurgeAtMs: number | null = null;
  /** Tries under way, by delivery id; a tick never waits for them, so a slow receiver never holds up the fan-out. */
  readonly #inFlight = new Map<string, { targetId: string; done: Promise<void> }>();

  constructor(options: OutboxWorkerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Runs a tick now (after a test send or a replay), unless one is under way. */
  kick(): void {
    if (this.#running === null && !this.#stopped) this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    await Promise.all([...this.#inFlight.values()].map((entry) => entry.done));
  }

  /** Tries under way now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.tick()
        .catch((error: unknown) => this.#options.logger.error({ error: error instanceof Error ? error.message : 'unknown' }, 'outbox tick failed'))
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#schedule(this.#options.pollIntervalMs);
        });
    }, delayMs);
    this.#timer.unref?.();
  }

  /**
   * One pass: fan new events out, then start tries of due deliveries in the free slots and return
   * without waiting for them. One target holds at most half the slots, so a dead receiver cannot
   * starve the others.
   */
  async tick(): Promise<void> {
    const { store, clock } = this.#options;
    if (this.#options.fanOut) {
      for (let page = 0; page < 20 && (await fanOutEvents({ store, clock })) > 0; page += 1);
    }
    await this.#purge();
    const free = this.#options.concurrency - this.#inFlight.size;
    if (free <= 0 || this.#stopped) return;
    const perTargetMax = Math.max(1, Math.floor(this.#options.concurrency / 2));
    const perTarget = new Map<string, number>();
    for (const entry of this.#inFlight.values()) perTarget.set(entry.targetId, (perTarget.get(entry.targetId) ?? 0) + 1);
    const due = await store.listDueOutbox(clock.nowMs(), Math.min(1000, this.#options.concurrency * 8));
    let started = 0;
    for (const delivery of due) {
      if (started >= free) break;
      if (this.#inFlight.has(delivery.id) || (perTarget.get(delivery.targetId) ?? 0) >= perTargetMax) continue;
      perTarget.set(delivery.targetId, (perTarget.get(delivery.targetId) ?? 0) + 1);
      started += 1;
      const done = this.#deliver(delivery)
        .catch((error: unknown) => this.#options.logger.error({ deliveryId: delivery.id, error: error instanceof Error ? error.message : 'unknown' }, 'delivery failed to record'))
        .finally(() => this.#inFlight.delete(delivery.id));
      this.#inFlight.set(delivery.id, { targetId: delivery.targetId, done });
    }
  }

  /** Keeps the outbox bounded: deliveries that ended long ago go, with their tries. */
  async #purge(): Promise<void> {
    const { retentionMs } = this.#options;
    const nowMs = this.#options.clock.nowMs();
    if (retentionMs === undefined || (this.#lastPurgeAtMs !== null && nowMs - this.#lastPurgeAtMs < purgeIntervalMs)) return;
    this.#lastPurgeAtMs = nowMs;
    const deleted = await this.#options.store.write((tx) => tx.deleteFinishedOutbox(nowMs - retentionMs, purgeRowsMax));
    // A full pass means more are waiting: the next tick purges again instead of waiting an hour.
    if (deleted === purgeRowsMax) this.#lastPurgeAtMs = null;
  }

  /** Ticks until nothing is due or under way (tests and benches); bounded by `ticksMax`. */
  async drain(ticksMax = 100): Promise<void> {
    for (let tick = 0; tick < ticksMax; tick += 1) {
      await this.tick();
      if (this.#inFlight.size === 0) return;
      await Promise.all([...this.#inFlight.values()].map((entry) => entry.done));
    }
  }

  async #deliver(delivery: OutboxRecord): Promise<void> {
    const { store, clock, logger } = this.#options;
    const claimedAtMs = clock.nowMs();
    const claimed = await store.write((tx) => tx.claimOutbox(delivery.id, delivery.nextAtMs, claimedAtMs + this.#options.leaseMs, claimedAtMs));
    if (!claimed) return;
    let result: TryResult;
    try {
      result = await this.#options.send(delivery);
    } catch (error) {
      result = { ok: false, status: null, error: error instanceof Error ? error.message.slice(0, 200) : 'send failed', durationMs: 0 };
    }
    const atMs = clock.nowMs();
    const tries = delivery.tries + 1;
    let next: OutboxRecord;
    if (result.ok) {
      next = { ...delivery, state: 'delivered', tries, nextAtMs: atMs, updatedAtMs: atMs, deliveredAtMs: atMs, lastStatus: result.status, lastError: null };
    } else {
      const decision = nextTryAfterFailure(this.#options.schedule ?? webhookDeliverySchedule, { failedAtMs: atMs, triesSoFar: tries, jitterFraction: (this.#options.jitter ?? Math.random)() });
      next =
        decision.kind === 'retry'
          ? { ...delivery, state: 'pending', tries, nextAtMs: decision.atMs, updatedAtMs: atMs, lastStatus: result.status, lastError: result.error }
          : { ...delivery, state: 'dead', tries, nextAtMs: atMs, updatedAtMs: atMs, lastStatus: result.status, lastError: result.error };
      if (next.state === 'dead') logger.warn({ deliveryId: delivery.id, target: delivery.targetId, eventId: delivery.eventId, tries }, 'delivery dead after its retry bound; replay it once the receiver is back');
    }
    await store.write(async (tx) => {
      const tryNo = (await tx.listDeliveryAttempts(delivery.id)).length + 1;
      await tx.insertDeliveryAttempt({ outboxId: delivery.id, tryNo, targetId: delivery.targetId, atMs, status: result.status, error: result.error, durationMs: Math.max(0, Math.round(result.durationMs)) });
      await tx.updateOutbox(next);
    });
  }
}
