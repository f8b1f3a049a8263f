// Keeps the pure channel health (src/core/routing/channel-health.ts) of every upstream channel up to date
// from what actually happens: every sale attempt's result (through monitorChannel), and the echo probes and
// connection state the channel reports in health(), read every routing.healthPollIntervalMs. Circuit
// changes are appended to the event stream (`channel.opened`, `channel.half_open`, `channel.closed`), and
// the routing of the engine asks it which channels are usable and in what order.
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import { classifyResponseCode } from '../../core/declines/index.ts';
import {
  advanceTime,
  initialChannelHealth,
  latencyPercentileMs,
  recordSignal,
  windowStats,
  type BreakerSettings,
  type ChannelHealthState,
  type CircuitState,
  type CircuitTransition,
  type HealthSignal,
  type WindowStats,
} from '../../core/routing/channel-health.ts';
import { isChannelSideDecline } from '../../core/routing/failover-rule.ts';
import type { ChannelHealth, ChannelSendResult, LoggerLike } from '../../adapters/channels/upstream-channel.ts';

export interface ChannelView {
  name: string;
  circuit: CircuitState;
  /** Since when the circuit is in that state (ISO at the edge; ms here). */
  circuitSinceMs: number;
  available: boolean;
  consecutiveFailures: number;
  openedCount: number;
  window: WindowStats & { windowMs: number };
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  /** Payments that left this channel for another one, and payments that arrived here from another one. */
  failovers: { from: number; to: number };
  attempts: { ok: number; timeout: number; error: number };
  connection: { connected: number; connections: number; inFlight: number; lastEchoOkAtMs: number | null } | null;
}

export interface ChannelHealthMonitorOptions {
  channelNames: readonly string[];
  settings: BreakerSettings;
  clock: Clock;
  logger: LoggerLike;
  /** Where circuit changes go; absent in pure unit tests. */
  store?: Pick<Store, 'write'>;
  /** The channels' own reports (echo, connections), read on every poll. */
  healthOf?: () => readonly ChannelHealth[];
}

interface Entry {
  state: ChannelHealthState;
  failoversFrom: number;
  failoversTo: number;
  ok: number;
  timeout: number;
  error: number;
  lastEchoOkAtMs: number | null;
  lastConnected: number | null;
  connection: ChannelView['connection'];
  /** A half-open channel's trial sale is out until this instant (0: none); one trial at a time. */
  trialUntilMs: number;
}

/** Most circuit events waiting to be written; beyond it the oldest are dropped (and logged). */
const pendingEventsMax = 1_000;

export class ChannelHealthMonitor {
  readonly #entries = new Map<string, Entry>();
  readonly #options: ChannelHealthMonitorOptions;
  #timer: NodeJS.Timeout | null = null;
  #writes: Promise<void> = Promise.resolve();
  #pendingEvents = 0;

  constructor(options: ChannelHealthMonitorOptions) {
    this.#options = options;
    const nowMs = options.clock.nowMs();
    for (const name of options.channelNames) {
      this.#entries.set(name, { state: initialChannelHealth(nowMs), failoversFrom: 0, failoversTo: 0, ok: 0, timeout: 0, error: 0, lastEchoOkAtMs: null, lastConnected: null, connection: null, trialUntilMs: 0 });
    }
  }

  /** Feeds one sale attempt's result. Card-side declines are successes: the channel answered. */
  recordAttempt(channel: string, request: IsoMessage, result: ChannelSendResult): void {
    if (request.mti !== '0200' && request.mti !== '0100') return;
    const nowMs = this.#options.clock.nowMs();
    const entry = this.#entries.get(channel);
    if (entry !== undefined) entry.trialUntilMs = 0;
    switch (result.kind) {
      case 'reply': {
        const code = getText(result.message, 39);
        const channelSide = code === undefined || !/^[0-9A-Z]{2}$/.test(code) ? true : code !== '00' && isChannelSideDecline(safeClassify(code));
        this.#apply(channel, { atMs: nowMs, kind: channelSide ? 'error' : 'ok', source: 'attempt', latencyMs: result.latencyMs });
        return;
      }
      case 'not_sent':
        // Our own limits (in-flight full, a request that cannot be encoded) say nothing about the far end.
        if (result.reason === 'no_connection' || result.reason === 'closed') this.#apply(channel, { atMs: nowMs, kind: 'error', source: 'attempt' });
        return;
      case 'no_reply':
        this.#apply(channel, { atMs: nowMs, kind: result.reason === 'timeout' ? 'timeout' : 'error', source: 'attempt', latencyMs: Math.max(0, nowMs - result.sentAtMs) });
        return;
    }
  }

  /** An echo probe's result (0800/301 answered 00, or not). */
  recordEcho(channel: string, ok: boolean): void {
    this.#apply(channel, { atMs: this.#options.clock.nowMs(), kind: ok ? 'ok' : 'error', source: 'echo' });
  }

  /** A payment moved from one channel to another. */
  recordFailover(from: string, to: string): void {
    const source = this.#entries.get(from);
    const target = this.#entries.get(to);
    if (source !== undefined) source.failoversFrom += 1;
    if (target !== undefined) target.failoversTo += 1;
  }

  /** Reads the channels' echo and connection reports, and moves open circuits to half-open when their cool-down is over. */
  poll(): void {
    const nowMs = this.#options.clock.nowMs();
    for (const [name, entry] of this.#entries) {
      const update = advanceTime(entry.state, this.#options.settings, nowMs);
      entry.state = update.state;
      if (update.transition !== null) this.#onTransition(name, update.transition);
    }
    for (const health of this.#options.healthOf?.() ?? []) {
      const entry = this.#entries.get(health.name);
      if (entry === undefined) continue;
      entry.connection = { connected: health.connected, connections: health.connections, inFlight: health.inFlight, lastEchoOkAtMs: health.lastEchoOkAtMs };
      if (health.lastEchoOkAtMs !== null && health.lastEchoOkAtMs !== entry.lastEchoOkAtMs) {
        entry.lastEchoOkAtMs = health.lastEchoOkAtMs;
        this.recordEcho(health.name, true);
      } else if (health.connected === 0 && entry.lastConnected !== null) {
        // No connection at all is a failed probe (the channel keeps reconnecting with backoff).
        this.recordEcho(health.name, false);
      }
      entry.lastConnected = health.connected;
    }
  }

  /** Starts the poll timer (unref'd). */
  start(intervalMs: number): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.poll(), Math.max(100, intervalMs));
    this.#timer.unref();
  }

  /** Stops the timer and waits for the circuit events already queued. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#writes;
  }

  isAvailable(channel: string): boolean {
    const entry = this.#entries.get(channel);
    if (entry === undefined) return true;
    return advanceTime(entry.state, this.#options.settings, this.#options.clock.nowMs()).state.circuit !== 'open';
  }

  circuit(channel: string): CircuitState | null {
    const entry = this.#entries.get(channel);
    return entry === undefined ? null : advanceTime(entry.state, this.#options.settings, this.#options.clock.nowMs()).state.circuit;
  }

  /**
   * A route as the engine should try it: open channels dropped; a half-open channel at the head of the route
   * keeps its place for one trial sale at a time (its result decides the circuit), otherwise it goes after
   * every closed channel.
   */
  arrange(route: readonly string[]): string[] {
    const nowMs = this.#options.clock.nowMs();
    const usable: string[] = [];
    const deferred: string[] = [];
    for (const name of route) {
      const circuit = this.circuit(name);
      if (circuit === 'open') continue;
      if (circuit !== 'half_open') {
        usable.push(name);
        continue;
      }
      const entry = this.#entries.get(name);
      if (usable.length === 0 && entry !== undefined && entry.trialUntilMs <= nowMs) {
        // The trial slot frees itself when the result arrives, or after a cool-down if it never does.
        entry.trialUntilMs = nowMs + this.#options.settings.openMs;
        usable.push(name);
      } else {
        deferred.push(name);
      }
    }
    return [...usable, ...deferred];
  }

  view(): ChannelView[] {
    const nowMs = this.#options.clock.nowMs();
    const settings = this.#options.settings;
    return [...this.#entries].map(([name, entry]) => {
      const state = advanceTime(entry.state, settings, nowMs).state;
      return {
        name,
        circuit: state.circuit,
        circuitSinceMs: state.sinceMs,
        available: state.circuit !== 'open',
        consecutiveFailures: state.consecutiveFailures,
        openedCount: state.openedCount,
        window: { ...windowStats(state, settings, nowMs), windowMs: settings.windowMs },
        latencyMs: { p50: latencyPercentileMs(state, settings, nowMs, 50), p90: latencyPercentileMs(state, settings, nowMs, 90), p99: latencyPercentileMs(state, settings, nowMs, 99) },
        failovers: { from: entry.failoversFrom, to: entry.failoversTo },
        attempts: { ok: entry.ok, timeout: entry.timeout, error: entry.error },
        connection: entry.connection,
      };
    });
  }

  #apply(channel: string, signal: HealthSignal): void {
    const entry = this.#entries.get(channel);
    if (entry === undefined) return;
    if (signal.source === 'attempt') entry[signal.kind] += 1;
    const update = recordSignal(entry.state, this.#options.settings, signal);
    entry.state = update.state;
    if (update.transition !== null) this.#onTransition(channel, update.transition);
  }

  #onTransition(channel: string, transition: CircuitTransition): void {
    const type = transition.to === 'open' ? 'channel.opened' : transition.to === 'closed' ? 'channel.closed' : 'channel.half_open';
    const log = transition.to === 'open' ? this.#options.logger.warn.bind(this.#options.logger) : this.#options.logger.info.bind(this.#options.logger);
    log({ channel, from: transition.from, to: transition.to, reason: transition.reason }, `channel circuit ${transition.to}`);
    const store = this.#options.store;
    if (store === undefined) return;
    if (this.#pendingEvents >= pendingEventsMax) {
      this.#options.logger.error({ channel, type }, 'too many channel events waiting to be written; this one is dropped');
      return;
    }
    this.#pendingEvents += 1;
    this.#writes = this.#writes
      .then(() => store.write((tx) => tx.appendEvent({ type, subjectId: channel, payload: { from: transition.from, to: transition.to, reason: transition.reason }, atMs: transition.atMs })))
      .then(
        () => undefined,
        (error: unknown) => this.#options.logger.error({ channel, type, error: error instanceof Error ? error.message : 'unknown' }, 'channel event could not be written'),
      )
      .finally(() => {
        this.#pendingEvents -= 1;
      });
  }
}

/** Wraps a channel so every result it returns feeds the monitor (the engine sees the same result). */
export function monitorChannel<C extends { name: string; send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult> }>(
  channel: C,
  monitor: ChannelHealthMonitor,
): { name: string; send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult> } {
  return {
    name: channel.name,
    async send(request, options) {
      const result = await channel.send(request, options);
      monitor.recordAttempt(channel.name, request, result);
      return result;
    },
  };
}

function safeClassify(code: string) {
  try {
    return classifyResponseCode(code);
  } catch {
    return classifyResponseCode('96');
  }
}
