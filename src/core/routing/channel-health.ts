// The health of one upstream channel as pure data: a sliding window of recent results (attempts and
// echo probes) and a circuit breaker. Time comes in as an argument; nothing here reads a clock.
//
//   closed    --(failuresMax consecutive failures, or a failure rate over failureRateMaxBps
//                across at least windowAttemptsMin results inside windowMs)-->  open
//   open      --(openMs elapsed since it opened)-->                             half_open
//   half_open --(halfOpenSuccessesMin attempt successes in a row)-->            closed
//   half_open --(any failure, an echo probe's included)-->                      open (cool-down restarts)
//   open      --(a trial sale answered: the last usable channel of a route, still reachable)--> half_open
//
// An open channel is skipped by routing, unless it is the last channel a route has and still answers
// (src/core/routing/arrange-route.ts): then trial sales keep probing it, bounded by the trials in flight, and their
// successes close it again without waiting for the cool-down. A half-open one gets trial sales at the
// same bounded rate in its place in the route; other sales try it after every closed channel. Echo
// probes can reopen a half-open circuit but never close it: a host that answers 0800 while it
// swallows sales (a black hole behind a live front end) must not win its traffic back.
//
// A lost connection fails every request in flight on it at once; the caller (the health monitor)
// feeds it here as one signal, not one per request.
import { HealthWindow, type HealthSignalKind } from './health-window.ts';

export const circuitStates = ['closed', 'open', 'half_open'] as const;
export type CircuitState = (typeof circuitStates)[number];

/** What one result says about the channel. `ok` is any definite answer from the far end, a card-side decline included. */
export type { HealthSignalKind, WindowEntry } from './health-window.ts';

export interface HealthSignal {
  readonly atMs: number;
  readonly kind: HealthSignalKind;
  /** Attempts count in the rates and latencies; echo probes only move the breaker. */
  readonly source: 'attempt' | 'echo';
  readonly latencyMs?: number;
  /** A trial sale the breaker let through while not closed: only its success may move an open circuit. */
  readonly trial?: boolean;
}

export interface BreakerSettings {
  readonly failuresMax: number;
  readonly windowMs: number;
  readonly windowAttemptsMin: number;
  readonly failureRateMaxBps: number;
  readonly openMs: number;
  readonly halfOpenSuccessesMin: number;
  // The two trial bounds are optional so hand-written settings in older tests keep compiling; the config
  // schema always fills them, and breakerTrialBounds applies these defaults otherwise.
  /** Least time between two trial sales on a half-open channel that is not a route's last reachable one. */
  readonly trialIntervalMs?: number;
  /** Most trial sales on the wire (sent while the circuit is not closed) on one channel at once. */
  readonly trialsInFlightMax?: number;
}

export const breakerDefaults = Object.freeze({
  failuresMax: 5,
  windowMs: 60_000,
  windowAttemptsMin: 10,
  failureRateMaxBps: 5_000,
  openMs: 30_000,
  halfOpenSuccessesMin: 2,
  trialIntervalMs: 250,
  trialsInFlightMax: 2,
} satisfies Required<BreakerSettings>);

/** The trial bounds of the settings, defaults filled in. */
export function breakerTrialBounds(settings: BreakerSettings): { trialIntervalMs: number; trialsInFlightMax: number } {
  return { trialIntervalMs: settings.trialIntervalMs ?? breakerDefaults.trialIntervalMs, trialsInFlightMax: settings.trialsInFlightMax ?? breakerDefaults.trialsInFlightMax };
}

/** Most results the window keeps; beyond it the oldest are dropped even if still inside windowMs. */
export const healthWindowEntriesMax = 4_096;

export interface ChannelHealthState {
  readonly circuit: CircuitState;
  /** When the circuit last changed state. */
  readonly sinceMs: number;
  readonly consecutiveFailures: number;
  readonly halfOpenSuccesses: number;
  /** Attempt results inside the window, oldest first (shared between states: see health-window.ts). */
  readonly window: HealthWindow;
  readonly openedCount: number;
}

export interface CircuitTransition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: string;
  readonly atMs: number;
}

export interface HealthUpdate {
  readonly state: ChannelHealthState;
  readonly transition: CircuitTransition | null;
}

export function initialChannelHealth(nowMs: number): ChannelHealthState {
  return { circuit: 'closed', sinceMs: nowMs, consecutiveFailures: 0, halfOpenSuccesses: 0, window: HealthWindow.empty(), openedCount: 0 };
}

/** Moves an open circuit to half-open once its cool-down has passed; otherwise returns the state unchanged. */
export function advanceTime(state: ChannelHealthState, settings: BreakerSettings, nowMs: number): HealthUpdate {
  if (state.circuit === 'open' && nowMs - state.sinceMs >= settings.openMs) {
    const next: ChannelHealthState = { ...state, circuit: 'half_open', sinceMs: nowMs, halfOpenSuccesses: 0 };
    return { state: next, transition: { from: 'open', to: 'half_open', reason: `cool-down of ${settings.openMs} ms passed`, atMs: nowMs } };
  }
  return { state, transition: null };
}

/** Applies one result. */
export function recordSignal(previous: ChannelHealthState, settings: BreakerSettings, signal: HealthSignal): HealthUpdate {
  const advanced = advanceTime(previous, settings, signal.atMs);
  const failed = signal.kind !== 'ok';
  const window =
    signal.source === 'attempt'
      ? advanced.state.window.appendAndTrim({ atMs: signal.atMs, kind: signal.kind, latencyMs: signal.latencyMs ?? null }, signal.atMs - settings.windowMs, healthWindowEntriesMax)
      : advanced.state.window;
  let state: ChannelHealthState = { ...advanced.state, window, consecutiveFailures: failed ? advanced.state.consecutiveFailures + 1 : 0 };
  const transition = decideTransition(state, settings, signal, failed);
  if (transition === null) {
    if (state.circuit === 'half_open' && !failed && signal.source === 'attempt') state = { ...state, halfOpenSuccesses: state.halfOpenSuccesses + 1 };
    return { state, transition: advanced.transition };
  }
  state = {
    ...state,
    circuit: transition.to,
    sinceMs: signal.atMs,
    // The trial success that moved an open circuit to half-open is the first of the successes it needs.
    halfOpenSuccesses: transition.from === 'open' && transition.to === 'half_open' ? 1 : 0,
    openedCount: transition.to === 'open' ? state.openedCount + 1 : state.openedCount,
    consecutiveFailures: transition.to === 'closed' ? 0 : state.consecutiveFailures,
  };
  return { state, transition };
}

function decideTransition(state: ChannelHealthState, settings: BreakerSettings, signal: HealthSignal, failed: boolean): CircuitTransition | null {
  switch (state.circuit) {
    case 'closed': {
      if (!failed) return null;
      if (state.consecutiveFailures >= settings.failuresMax) {
        return { from: 'closed', to: 'open', reason: `${state.consecutiveFailures} failures in a row`, atMs: signal.atMs };
      }
      const stats = windowStats(state, settings, signal.atMs);
      if (stats.results >= settings.windowAttemptsMin && stats.failureRateBps > settings.failureRateMaxBps) {
        return { from: 'closed', to: 'open', reason: `failure rate ${formatBps(stats.failureRateBps)} over ${stats.results} results in ${settings.windowMs} ms`, atMs: signal.atMs };
      }
      return null;
    }
    case 'half_open':
      if (failed) return { from: 'half_open', to: 'open', reason: `${signal.source === 'echo' ? 'an echo probe' : 'a trial attempt'} failed (${signal.kind}) while half-open`, atMs: signal.atMs };
      if (signal.source === 'attempt' && state.halfOpenSuccesses + 1 >= settings.halfOpenSuccessesMin) {
        return { from: 'half_open', to: 'closed', reason: `${state.halfOpenSuccesses + 1} successes while half-open`, atMs: signal.atMs };
      }
      return null;
    case 'open':
      // A trial sale answered while open: the last usable channel of a route, probed because it still
      // answers. Its success moves it on without waiting for the cool-down.
      if (!failed && signal.source === 'attempt' && signal.trial === true) {
        if (settings.halfOpenSuccessesMin <= 1) return { from: 'open', to: 'closed', reason: 'a trial sale succeeded while open (last usable channel)', atMs: signal.atMs };
        return { from: 'open', to: 'half_open', reason: 'a trial sale succeeded while open (last usable channel)', atMs: signal.atMs };
      }
      // Other results still arrive while open (late attempts, echo probes); they wait for the cool-down.
      return null;
  }
}

export interface WindowStats {
  readonly results: number;
  readonly failures: number;
  readonly timeouts: number;
  readonly errors: number;
  readonly failureRateBps: number;
  readonly timeoutRateBps: number;
  readonly errorRateBps: number;
}

/** Counts over the results inside the window ending at `nowMs`. */
export function windowStats(state: ChannelHealthState, settings: BreakerSettings, nowMs: number): WindowStats {
  let results = 0;
  let timeouts = 0;
  let errors = 0;
  for (const entry of state.window) {
    if (entry.atMs <= nowMs - settings.windowMs) continue;
    results += 1;
    if (entry.kind === 'timeout') timeouts += 1;
    else if (entry.kind === 'error') errors += 1;
  }
  const rate = (count: number) => (results === 0 ? 0 : Math.floor((count * 10_000) / results));
  return { results, failures: timeouts + errors, timeouts, errors, failureRateBps: rate(timeouts + errors), timeoutRateBps: rate(timeouts), errorRateBps: rate(errors) };
}

/** Whether routing may send to the channel now (closed or half-open, or open with its cool-down over). */
export function isChannelAvailable(state: ChannelHealthState, settings: BreakerSettings, nowMs: number): boolean {
  return advanceTime(state, settings, nowMs).state.circuit !== 'open';
}

function formatBps(bps: number): string {
  return `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')} %`;
}

/** Nearest-rank percentile of the latencies inside the window; null when there are none. */
export function latencyPercentileMs(state: ChannelHealthState, settings: BreakerSettings, nowMs: number, percentile: number): number | null {
  const latencies: number[] = [];
  for (const entry of state.window) if (entry.atMs > nowMs - settings.windowMs && entry.latencyMs !== null) latencies.push(entry.latencyMs);
  latencies.sort((a, b) => a - b);
  if (latencies.length === 0) return null;
  const rank = Math.min(latencies.length, Math.max(1, Math.ceil((percentile / 100) * latencies.length)));
  return latencies[rank - 1] ?? null;
}
