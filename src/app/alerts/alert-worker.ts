// Runs the alert evaluator every alerts.evaluateIntervalMs on its own timer, one run at a time, and
// wakes the outbox worker when a run queued notifications.
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import { evaluateAlertsOnce, type AlertRunDeps } from './evaluate-alerts-once.ts';

export class AlertWorker {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(
    private readonly deps: AlertRunDeps & { logger: LoggerLike; intervalMs: number; onNotified: () => void },
  ) {}

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
      this.#running = evaluateAlertsOnce(this.deps)
        .then(({ notifications }) => {
          if (notifications.length > 0) this.deps.onNotified();
        })
        .catch((error: unknown) => this.deps.logger.error({ error: error instanceof Error ? error.message : 'unknown' }, 'alert evaluation failed'))
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#next(this.deps.intervalMs);
        });
    }, delayMs);
    this.#timer.unref?.();
  }
}
