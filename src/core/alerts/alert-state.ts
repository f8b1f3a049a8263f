// What the alert evaluator remembers between runs, as plain JSON: the event-stream cursor, the
// conditions events turned on (a circuit opened, a payment went to manual handling) until the event
// that turns them off, and per-subject minute buckets of outcomes for the failure-rate baselines and
// re-swipe block counts. It is stored in one row, in the same write as the alerts and notifications it
// led to (src/app/alerts), so a crash replays from the last committed cursor and never loses one.

/** One condition an event switched on, keyed by source and subject. */
export interface EventCondition {
  readonly source: 'circuit' | 'manual' | 'terminal_quiet' | 'terminal_unhealthy' | 'batch' | 'scheme' | 'recon';
  readonly labels: Readonly<Record<string, string>>;
  readonly sinceMs: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** `[bucketStartMs, attempts, failures]` for outcomes; `[bucketStartMs, count, 0]` for blocks. */
export type Bucket = readonly [number, number, number];

export interface AlertEvaluatorState {
  /** The seq of the last event taken into account. */
  readonly cursor: number;
  readonly conditions: Readonly<Record<string, EventCondition>>;
  /** `merchant|m1`, `terminal|t1`, `channel|bank-a` → minute buckets, oldest first. */
  readonly outcomes: Readonly<Record<string, readonly Bucket[]>>;
  /** `merchant|m1`, `terminal|t1` → minute buckets of re-swipe blocks. */
  readonly blocks: Readonly<Record<string, readonly Bucket[]>>;
}

export const emptyAlertEvaluatorState: AlertEvaluatorState = Object.freeze({ cursor: 0, conditions: {}, outcomes: {}, blocks: {} });

/** Bounds: the state is one JSON row, so it is bounded like everything else. */
export const alertStateLimits = Object.freeze({
  bucketMs: 60_000,
  /** Subjects tracked per map; the least recently active are dropped first. */
  subjectsMax: 20_000,
  conditionsMax: 20_000,
  /** The longest history any rule may ask for (baselineMs max + windowMs max). */
  historyMsMax: 7 * 86_400_000 + 6 * 3_600_000,
});

/** True when a JSON value read back from the store has the state's shape (a corrupt row starts afresh rather than crash the evaluator). */
export function isAlertEvaluatorState(value: unknown): value is AlertEvaluatorState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return Number.isSafeInteger(state.cursor) && typeof state.conditions === 'object' && typeof state.outcomes === 'object' && typeof state.blocks === 'object';
}
