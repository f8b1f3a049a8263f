// Keeps the pure channel health (src/core/routing/channel-health.ts) of every upstream channel up to date
// from what actually happens: every sale attempt's result (through monitorChannel), and the echo probes and
// connection state the channel reports in health(), read every routing.healthPollIntervalMs. Circuit
// changes are appended to the event stream (`channel.opened`, `channel.half_open`, `channel.closed`), and
// the routing of the engine asks it which channels are usable and in what order (arrangeRoute).
//
// A lost connection fails every request in flight on it at once. The channel tags those results with the
// connection's id, and the monitor feeds the breaker one signal per id: a dropped line is one failure,
// not one per sale that happened to be on it.
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import { classifyResponseCode } from '../../core/declines/index.ts';
import {
  advanceTime,
  initialChannelHealth,
  breakerTrialBounds,
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
import { arrangeRoute, type ArrangedRoute, type ChannelAdmission } from '../../core/routing/arrange-route.ts';
import type { ForcedCircuitState } from '../../core/routing/channel-override.ts';
import type { ChannelHealth, ChannelSendResult, LoggerLike } from '../../adapters/channels/upstream-channel.ts';

export interface ChannelView {
  name: string;
  /** The circuit routing obeys: an operator's forced state when one is in force, else the breaker's. */
  circuit: CircuitState;
  /** The breaker's own state, whatever an operator forced. */
  breakerCircuit: CircuitState;
  /** An operator's forced circuit in force now (docs/channels.md, "Operator overrides"), or null. */
  forced: ForcedCircuitState | null;
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
  /** Sale failures on a lost connection that was already counted: in `attempts.error`, not fed to the breaker. */
  connectionFailuresMerged: number;
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
  /** An operator's forced circuit in force now for a channel (live settings on every node), or null: the breaker decides. */
  forcedCircuit?: (channel: string) => ForcedCircuitState | null;
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
  /**
   * Trial sales on the wire (sent while the circuit is not closed), as the instants they stop counting, oldest
   * first; at most trialsInFlightMax. A slot is taken when the sale goes out (monitorChannel), not when a
   * route is asked for: the engine also asks which channels are healthy before it decides on a retry it may
   * not make, and a slot taken then would refuse the next real sale for nothing. Its result frees it, or openMs.
   */
  trialsUntilMs: number[];
  lastTrialAtMs: number | null;
  /** The last sale this channel answered (any card-side answer), for "still reachable". */
  lastAttemptOkAtMs: number | null;
  /** Ids of the lost connections already fed to the breaker, newest last; at most countedConnectionsMax. */
  countedConnectionIds: number[];
  /** Sale results that were not fed to the breaker because their lost connection already was. */
  connectionFailuresMerged: number;
}

/** Most circuit events waiting to be written; beyond it the oldest are dropped (and logged). */
const pendingEventsMax = 1_000;
/** Lost connections remembered per channel for counting each once; a pool has a handful at a time. */
const countedConnectionsMax = 64;

export class ChannelHealthMonitor {
  readonly #entries = new Map<string, Entry>();
  readonly #options: ChannelHealthMonitorOptions;
  #writes: Promise<void> = Promise.resolve();
  #pendingEvents = 0;

  constructor(options: ChannelHealthMonitorOptions) {
    this.#options = options;
    const nowMs = options.clock.nowMs();
    for (const name of options.channelNames) {
      this.#entries.set(name, {
        state: initialChannelHealth(nowMs),
        failoversFrom: 0,
        failoversTo: 0,
        ok: 0,
        timeout: 0,
        error: 0,
        lastEchoOkAtMs: null,
        lastConnected: null,
        connection: null,
        trialsUntilMs: [],
        lastTrialAtMs: null,
        lastAttemptOkAtMs: null,
        countedConnectionIds: [],
        connectionFailuresMerged: 0,
      });
    }
  }

  /** Feeds one sale attempt's result. Card-side declines are successes: the channel answered. */
  recordAttempt(channel: string, request: IsoMessage, result: ChannelSendResult): void {
    if (request.mti !== '0200' && request.mti !== '0100') return;
    const nowMs = this.#options.clock.nowMs();
    const entry = this.#entries.get(channel);
    // A result frees the oldest trial slot: the monitor cannot tell which sale was the trial, and need not.
    const trial = entry !== undefined && entry.trialsUntilMs.shift() !== undefined;
    switch (result.kind) {
      case 'reply': {
        const code = getText(result.message, 39);
        const channelSide = code === undefined || !/^[0-9A-Z]{2}$/.test(code) ? true : code !== '00' && isChannelSideDecline(safeClassify(code));
        if (!channelSide && entry !== undefined) entry.lastAttemptOkAtMs = nowMs;
        this.#apply(channel, { atMs: nowMs, kind: channelSide ? 'error' : 'ok', source: 'attempt', latencyMs: result.latencyMs, trial });
        return;
      }
      case 'not_sent':
        // Our own limits (in-flight full, a request that cannot be encoded) say nothing about the far end.
        if (result.reason !== 'no_connection' && result.reason !== 'closed') return;
        if (this.#alreadyCounted(entry, result.connectionId)) return;
        this.#apply(channel, { atMs: nowMs, kind: 'error', source: 'attempt', trial });
        return;
      case 'no_reply':
        if (result.reason !== 'timeout' && this.#alreadyCounted(entry, result.connectionId)) return;
        this.#apply(channel, { atMs: nowMs, kind: result.reason === 'timeout' ? 'timeout' : 'error', source: 'attempt', latencyMs: Math.max(0, nowMs - result.sentAtMs), trial });
        return;
    }
  }

  /**
   * A sale is about to go out on the channel. While its circuit is not closed the sale is a trial: it takes a
   * slot until its result, and is refused (false: not sent) when trialsInFlightMax trials are already on the
   * wire. Checked here rather than only in arrange because sales arranged at the same instant all reach it.
   */
  recordSend(channel: string, request: IsoMessage): boolean {
    if (request.mti !== '0200' && request.mti !== '0100') return true;
    const entry = this.#entries.get(channel);
    if (entry === undefined || this.circuit(channel) === 'closed') return true;
    const nowMs = this.#options.clock.nowMs();
    entry.trialsUntilMs = entry.trialsUntilMs.filter((untilMs) => untilMs > nowMs);
    if (entry.trialsUntilMs.length >= breakerTrialBounds(this.#options.settings).trialsInFlightMax) return false;
    entry.trialsUntilMs.push(nowMs + this.#options.settings.openMs);
    return true;
  }

  /** True when the failure belongs to a lost connection already fed to the breaker (it is counted as merged); remembers it otherwise. */
  #alreadyCounted(entry: Entry | undefined, connectionId: number | undefined): boolean {
    if (entry === undefined || connectionId === undefined) return false;
    if (entry.countedConnectionIds.includes(connectionId)) {
      entry.error += 1;
      entry.connectionFailuresMerged += 1;
      return true;
    }
    entry.countedConnectionIds.push(connectionId);
    if (entry.countedConnectionIds.length > countedConnectionsMax) entry.countedConnectionIds.shift();
    return false;
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

  /** Waits for the circuit events already queued (poll() is run by the gateway's background loop, src/app/compose-gateway.ts). */
  async stop(): Promise<void> {
    await this.#writes;
  }

  isAvailable(channel: string): boolean {
    return (this.circuit(channel) ?? 'closed') !== 'open';
  }

  /** An operator's forced circuit in force now on a channel this node runs, or null. */
  forcedCircuit(channel: string): ForcedCircuitState | null {
    return this.#entries.has(channel) ? (this.#options.forcedCircuit?.(channel) ?? null) : null;
  }

  /** The circuit routing obeys: an operator's forced state first (on a channel this node runs), then the breaker's. */
  circuit(channel: string): CircuitState | null {
    const entry = this.#entries.get(channel);
    if (entry === undefined) return null;
    return this.#options.forcedCircuit?.(channel) ?? advanceTime(entry.state, this.#options.settings, this.#options.clock.nowMs()).state.circuit;
  }

  /**
   * A route as the engine should try it (arrangeRoute): open channels dropped unless one is the route's last
   * reachable channel; half-open ones get trial sales at a bounded rate. Only the trial spacing is stamped
   * here; the slot is taken when the sale goes out (recordSend).
   */
  arrange(route: readonly string[]): string[] {
    const nowMs = this.#options.clock.nowMs();
    const arranged = this.preview(route);
    if (arranged.trial !== null) {
      const entry = this.#entries.get(arranged.trial);
      // Spaces the next trial; the slot itself is taken when the sale goes out (recordSend).
      if (entry !== undefined) entry.lastTrialAtMs = nowMs;
      if (arranged.lastResort) this.#options.logger.debug({ channel: arranged.trial }, 'open circuit probed by a trial sale: the last reachable channel of the route');
    }
    return [...arranged.channels];
  }

  /**
   * The route as arrange would give it now, without stamping a trial: for "which channel would this sale
   * take" (GET /v1/routing/explain), which must leave the breakers as it found them. A channel forced open
   * by an operator is never the last resort: the operator said no sales.
   */
  preview(route: readonly string[]): ArrangedRoute {
    const nowMs = this.#options.clock.nowMs();
    const connectedNow = this.#connectedNow(route);
    const admissions: ChannelAdmission[] = route.map((name) => {
      const entry = this.#entries.get(name);
      if (entry === undefined) return { name, circuit: 'closed', trialsUntilMs: [], lastTrialAtMs: null, reachable: true };
      const answeredLately = entry.lastAttemptOkAtMs !== null && entry.lastAttemptOkAtMs > nowMs - this.#options.settings.windowMs;
      const forcedOpen = this.#options.forcedCircuit?.(name) === 'open';
      return {
        name,
        circuit: this.circuit(name) ?? 'closed',
        trialsUntilMs: entry.trialsUntilMs.filter((untilMs) => untilMs > nowMs),
        lastTrialAtMs: entry.lastTrialAtMs,
        reachable: !forcedOpen && answeredLately && (connectedNow.get(name) ?? 1) > 0,
      };
    });
    return arrangeRoute(admissions, this.#options.settings, nowMs);
  }

  /** Open connections per channel right now, only asked for when every channel of the route is down (rare, and cheap). */
  #connectedNow(route: readonly string[]): Map<string, number> {
    const connected = new Map<string, number>();
    if (route.every((name) => this.circuit(name) === 'closed')) return connected;
    for (const health of this.#options.healthOf?.() ?? []) connected.set(health.name, health.connected);
    return connected;
  }

  view(): ChannelView[] {
    const nowMs = this.#options.clock.nowMs();
    const settings = this.#options.settings;
    return [...this.#entries].map(([name, entry]) => {
      const state = advanceTime(entry.state, settings, nowMs).state;
      const forced = this.#options.forcedCircuit?.(name) ?? null;
      return {
        name,
        circuit: forced ?? state.circuit,
        breakerCircuit: state.circuit,
        forced,
        circuitSinceMs: state.sinceMs,
        available: (forced ?? state.circuit) !== 'open',
        consecutiveFailures: state.consecutiveFailures,
        openedCount: state.openedCount,
        window: { ...windowStats(state, settings, nowMs), windowMs: settings.windowMs },
        latencyMs: { p50: latencyPercentileMs(state, settings, nowMs, 50), p90: latencyPercentileMs(state, settings, nowMs, 90), p99: latencyPercentileMs(state, settings, nowMs, 99) },
        failovers: { from: entry.failoversFrom, to: entry.failoversTo },
        attempts: { ok: entry.ok, timeout: entry.timeout, error: entry.error },
        connectionFailuresMerged: entry.connectionFailuresMerged,
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
    // Not `async`: a reaction on the channel's promise instead of a suspended frame held while the
    // channel answers (every sale in flight waits here).
    send(request, options) {
      // Our own bound, like a full in-flight window: nothing was sent, and the breaker learns nothing from it.
      if (!monitor.recordSend(channel.name, request)) return Promise.resolve({ kind: 'not_sent', reason: 'in_flight_full', detail: `channel ${channel.name}: trial sales in flight at the breaker's bound` });
      return channel.send(request, options).then((result) => {
        monitor.recordAttempt(channel.name, request, result);
        return result;
      });
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
