// Runs the alert evaluator every alerts.evaluateIntervalMs on its own timer, one run at a time, and
// wakes the outbox worker when a run queued notifications.
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import { evaluateAlertsOnce, type AlertRunDeps } from './evaluate-alerts-once.ts';
import { announceStoreFault } from './announce-store-fault.ts';
import type { DeliverySender } from '../webhooks/outbox-worker.ts';

export class AlertWorker {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  /** The store fault already announced directly (once per fault and process). */
  #announcedFault: string | null = null;

  constructor(
    private readonly deps: AlertRunDeps & { logger: LoggerLike; intervalMs: number; onNotified: () => void; send: DeliverySender },
  ) {}

  /** When the store refuses writes the outbox cannot take the notice: send it straight to the chat and mail targets, once. */
  async #announceStoreFault(): Promise<void> {
    const fault = this.deps.store.writeFault?.() ?? null;
    if (fault === null || this.#announcedFault !== null) return;
    this.#announcedFault = fault;
    const sent = await announceStoreFault({ targets: this.deps.targets, send: this.deps.send, runbookBaseUrl: this.deps.runbookBaseUrl, nowMs: this.deps.clock.nowMs(), fault });
    this.deps.logger.error({ fault, targetsReached: sent }, 'the store refuses writes; announced directly to the alert targets');
  }

  start(): void {
    this.#stopped = false;
    this.#next(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running;
  }

  #next(delayMs: number): void {
    this.#timer = setTimeout(() => {
      let nextDelayMs = this.deps.intervalMs;
      this.#running = evaluateAlertsOnce(this.deps)
        .then(({ notifications, caughtUp }) => {
          if (notifications.length > 0) this.deps.onNotified();
          // Behind the stream (a burst of events): the next run follows at once.
          if (!caughtUp) nextDelayMs = 0;
        })
        .catch(async (error: unknown) => {
          this.deps.logger.error({ error: error instanceof Error ? error.message : 'unknown' }, 'alert evaluation failed');
          await this.#announceStoreFault().catch(() => undefined);
        })
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#next(nextDelayMs);
        });
    }, delayMs);
    this.#timer.unref?.();
  }
}
