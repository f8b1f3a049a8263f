// The alert before a merchant crosses a threshold (docs/standing.md "Alerts"): judges the running month
// of every merchant and appends `merchant.standing_near` when a measure first reaches its warning level
// and `merchant.standing_over` when it first goes over: once per merchant, measure and month.
// compose-gateway.ts runs check() on its monitoring loop every standing.checkIntervalMs. The event stream
// is the memory: an event's subject is `<merchant>/<measure>/<month>`, so lastEventOf finds what was
// raised, across restarts; a small map spares the reads after the first.
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import type { Store } from '../../core/ports/store.ts';
import { standingEventsDue, type StandingMeasure, type StandingSettings } from '../../core/standing/merchant-standing.ts';
import type { Clock } from '../../core/time/clock.ts';
import { loadMerchantStanding, type StandingCalendar } from './load-merchant-standing.ts';

export const standingNearEvent = 'merchant.standing_near';
export const standingOverEvent = 'merchant.standing_over';
/** Merchants one check judges; the rest wait for the next check (the list is rotated). */
export const merchantsPerCheckMax = 1_000;
/** Remembered (merchant, measure, month) keys; beyond this the map is cleared and refilled from events. */
const raisedKeysMax = 100_000;

export interface StandingMonitorOptions {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  settings: StandingSettings;
  calendar: StandingCalendar;
}

export function standingSubjectOf(merchantId: string, measure: StandingMeasure, month: string): string {
  return `${merchantId}/${measure}/${month}`;
}

export class StandingMonitor {
  readonly #options: StandingMonitorOptions;
  readonly #raised = new Map<string, { near: boolean; over: boolean }>();
  #rotation = 0;

  constructor(options: StandingMonitorOptions) {
    this.#options = options;
  }

  async #raisedFor(subject: string): Promise<{ near: boolean; over: boolean }> {
    const known = this.#raised.get(subject);
    if (known !== undefined) return known;
    const { store } = this.#options;
    const raised = { near: (await store.lastEventOf(standingNearEvent, subject)) !== null, over: (await store.lastEventOf(standingOverEvent, subject)) !== null };
    if (this.#raised.size >= raisedKeysMax) this.#raised.clear();
    this.#raised.set(subject, raised);
    return raised;
  }

  /** Judges the running month of merchants (bounded per call) and appends the events due. */
  async check(): Promise<{ checked: number; events: number }> {
    const { store, clock, settings, calendar, logger } = this.#options;
    const nowMs = clock.nowMs();
    const all = await store.listMerchants();
    const start = all.length <= merchantsPerCheckMax ? 0 : this.#rotation % all.length;
    const batch = all.length <= merchantsPerCheckMax ? all : [...all.slice(start), ...all.slice(0, start)].slice(0, merchantsPerCheckMax);
    this.#rotation = start + batch.length;
    let events = 0;
    for (const merchant of batch) {
      const standing = await loadMerchantStanding(store, merchant.id, { nowMs, settings, calendar });
      for (const measure of standing.measures) {
        if (measure.state === 'ok') continue;
        const subject = standingSubjectOf(merchant.id, measure.measure, standing.month);
        const raised = await this.#raisedFor(subject);
        const due = standingEventsDue(measure.state, raised);
        if (due.length === 0) continue;
        await store.write(async (tx) => {
          for (const type of due) {
            await tx.appendEvent({
              type,
              subjectId: subject,
              payload: {
                merchantId: merchant.id,
                month: standing.month,
                measure: measure.measure,
                state: measure.state,
                value: measure.value,
                unit: measure.unit,
                threshold: measure.threshold,
                shareBps: measure.shareBps,
                ...(measure.edition === undefined ? {} : { edition: measure.edition }),
                ...(measure.worstCards === undefined ? {} : { worstCards: measure.worstCards.map((card) => ({ ...card })) }),
              },
              atMs: nowMs,
            });
          }
        });
        for (const type of due) {
          if (type === standingNearEvent) raised.near = true;
          else raised.over = true;
        }
        events += due.length;
        logger.warn({ merchantId: merchant.id, measure: measure.measure, month: standing.month, state: measure.state, shareBps: measure.shareBps }, 'merchant standing changed');
      }
    }
    return { checked: batch.length, events };
  }
}
