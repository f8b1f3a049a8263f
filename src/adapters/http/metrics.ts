// Prometheus metrics for one gateway process (docs/decisions/prom-client.md). Each process owns its
// own registry (never prom-client's global one), so tests and several apps in one process never
// share counters. Recording is push-style for events (an attempt finished, a payment was answered);
// gauges that mirror durable state (the reversal queue) are read from their source at scrape time,
// so they are right even after a restart or when another gateway node did the work.
//
// Label values come from bounded sets only: channel names (config, at most 64), the five attempt
// outcomes, two-character response codes or a fixed list of not-sent/no-reply reasons, and the
// payment statuses. Nothing derived from a request (ids, amounts, card data) ever becomes a label.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import type { AttemptOutcome, PaymentStatus } from '../../core/vocabulary.ts';

/** Seconds; from a fast local decline to the longest upstream timeout reswipe allows. */
export const attemptLatencyBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

export interface AttemptObservation {
  channel: string;
  outcome: AttemptOutcome;
  /** DE 39 when a reply came, otherwise the reason (`timeout`, `no_connection`, ...). */
  code: string;
  /** Null when nothing was sent (no latency to speak of). */
  latencyMs: number | null;
}

export interface MetricSources {
  /** The reversal queue as the store sees it. */
  reversalQueueStats?: () => Promise<{ pending: number; oldestPendingCreatedAtMs: number | null }>;
  /** Open terminal connections across every listener. */
  terminalConnections?: () => number;
  /** The current time, for the age of the oldest queued reversal. */
  nowMs?: () => number;
  /** The outbox of webhook deliveries, chat messages and mail (docs/webhooks.md). */
  outboxStats?: () => Promise<{ pending: number; dead: number; oldestPendingCreatedAtMs: number | null }>;
  /** The engine's store failures after a send and the reversals it holds in memory until the store is back. */
  engineRecovery?: () => { storeFailuresAfterSend: number; reversalsHeld: number };
  /** How far the payment projector is behind the payment journal (docs/projector.md). */
  projectorLag?: () => Promise<{ entries: number; ageMs: number }>;
  /** This gateway node (docs/cluster.md): its id, and whether it is the cluster's leader now. */
  node?: () => { id: string; leader: boolean; mayAct: boolean };
}

export interface Metrics {
  readonly registry: Registry;
  recordAttempt(observation: AttemptObservation): void;
  recordPayment(status: PaymentStatus): void;
  recordHttpRequest(method: string, route: string, statusCode: number, durationMs: number): void;
  /** A terminal request refused for its MAC (missing, bad, or no working keys). */
  recordTerminalMacRejected(listener: string, reason: string): void;
  /** A message from an upstream channel refused for its MAC (missing or bad): never taken as an answer. */
  recordChannelMacRejected(channel: string, reason: string): void;
  /** This node became (true) or stopped being (false) the leader that runs the once-per-cluster work (docs/cluster.md). */
  recordLeaderChange(leader: boolean): void;
  /** Wires the scrape-time sources once the things they read exist (the store opens after the metrics). */
  setSources(sources: MetricSources): void;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface CreateMetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, handles); on by default. */
  collectDefault?: boolean;
  sources?: MetricSources;
}

/** Creates a registry with every reswipe series and the functions that record into it. */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  let sources: MetricSources = options.sources ?? {};
  if (options.collectDefault !== false) collectDefaultMetrics({ register: registry });

  const attempts = new Counter({
    name: 'reswipe_attempts_total',
    help: 'Upstream attempts by outcome (approved, declined, not_sent, unknown), response code or reason, and channel',
    labelNames: ['outcome', 'code', 'channel'] as const,
    registers: [registry],
  });
  const attemptLatency = new Histogram({
    name: 'reswipe_attempt_latency_seconds',
    help: 'Time from sending an attempt upstream to its reply or its timeout, by channel',
    labelNames: ['channel'] as const,
    buckets: [...attemptLatencyBucketsSeconds],
    registers: [registry],
  });
  const payments = new Counter({
    name: 'reswipe_payments_total',
    help: 'Payments answered to a client (terminal or HTTP), by the status they were answered with',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'reswipe_http_requests_total',
    help: 'HTTP API requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpLatency = new Histogram({
    name: 'reswipe_http_request_duration_seconds',
    help: 'HTTP API request duration by route template',
    labelNames: ['route'] as const,
    buckets: [...attemptLatencyBucketsSeconds],
    registers: [registry],
  });
  const terminalMacRejected = new Counter({
    name: 'reswipe_terminal_mac_rejected_total',
    help: 'Terminal requests answered A0 because their MAC was missing or bad, or the terminal had no working keys, by listener and reason',
    labelNames: ['listener', 'reason'] as const,
    registers: [registry],
  });
  const channelMacRejected = new Counter({
    name: 'reswipe_channel_mac_rejected_total',
    help: 'Messages from an upstream channel refused because their MAC was missing or bad (the request they answer counts as unknown), by channel and reason',
    labelNames: ['channel', 'reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'reswipe_reversal_queue_depth',
    help: 'Reversals waiting to be sent or repeated (state pending)',
    registers: [registry],
    async collect() {
      const stats = await sources.reversalQueueStats?.();
      this.set(stats?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'reswipe_reversal_queue_oldest_age_seconds',
    help: 'Age of the oldest pending reversal; 0 when the queue is empty',
    registers: [registry],
    async collect() {
      const stats = await sources.reversalQueueStats?.();
      const oldestMs = stats?.oldestPendingCreatedAtMs ?? null;
      const nowMs = sources.nowMs?.() ?? Date.now();
      this.set(oldestMs === null ? 0 : Math.max(0, nowMs - oldestMs) / 1000);
    },
  });
  new Gauge({
    name: 'reswipe_outbox_deliveries',
    help: 'Webhook deliveries, chat messages and mails in the outbox by state: pending (queued or retrying) and dead (gave up after their retry bound; replay them)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const stats = await sources.outboxStats?.();
      this.set({ state: 'pending' }, stats?.pending ?? 0);
      this.set({ state: 'dead' }, stats?.dead ?? 0);
    },
  });
  new Gauge({
    name: 'reswipe_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending outbox delivery; 0 when none waits',
    registers: [registry],
    async collect() {
      const stats = await sources.outboxStats?.();
      const oldestMs = stats?.oldestPendingCreatedAtMs ?? null;
      const nowMs = sources.nowMs?.() ?? Date.now();
      this.set(oldestMs === null ? 0 : Math.max(0, nowMs - oldestMs) / 1000);
    },
  });
  new Gauge({
    name: 'reswipe_terminal_connections',
    help: 'Open terminal (ISO 8583) connections across every listener',
    registers: [registry],
    collect() {
      this.set(sources.terminalConnections?.() ?? 0);
    },
  });

  new Counter({
    name: 'reswipe_store_failures_after_send_total',
    help: 'Sales whose outcome could not be written after their request went upstream (answered 98 WAIT, reversal held)',
    registers: [registry],
    collect() {
      // The engine owns the count; the counter mirrors it at scrape time.
      this.reset();
      this.inc(sources.engineRecovery?.().storeFailuresAfterSend ?? 0);
    },
  });
  new Gauge({
    name: 'reswipe_reversals_held_in_memory',
    help: 'Reversals waiting in the engine for the store to take writes again; above 0 means money may be outstanding',
    registers: [registry],
    collect() {
      this.set(sources.engineRecovery?.().reversalsHeld ?? 0);
    },
  });
  new Gauge({
    name: 'reswipe_projector_lag_entries',
    help: 'Payment journal entries the projector has not written fee lines and events for yet',
    registers: [registry],
    async collect() {
      this.set((await sources.projectorLag?.().catch(() => null))?.entries ?? 0);
    },
  });
  new Gauge({
    name: 'reswipe_projector_lag_seconds',
    help: 'Age of the oldest payment journal entry not projected yet; 0 when caught up',
    registers: [registry],
    async collect() {
      this.set(((await sources.projectorLag?.().catch(() => null))?.ageMs ?? 0) / 1000);
    },
  });

  new Gauge({
    name: 'reswipe_node_info',
    help: 'Always 1, labelled with this gateway node id (docs/cluster.md): join other series of this process on it',
    labelNames: ['node'] as const,
    registers: [registry],
    collect() {
      const node = sources.node?.();
      this.reset();
      if (node !== undefined) this.set({ node: node.id }, 1);
    },
  });
  new Gauge({
    name: 'reswipe_node_leader',
    help: '1 while this node is the cluster leader running the once-per-cluster work (monitoring, alerts, drills, reconciliation), else 0',
    registers: [registry],
    collect() {
      this.set(sources.node?.().leader === true ? 1 : 0);
    },
  });
  new Gauge({
    name: 'reswipe_node_lease_held',
    help: '1 while this node holds its own membership lease (it may send to the channels); 0 after a pause or a lost database',
    registers: [registry],
    collect() {
      this.set(sources.node?.().mayAct === false ? 0 : 1);
    },
  });
  const leaderChanges = new Counter({
    name: 'reswipe_leader_changes_total',
    help: 'Times this node became (to="leader") or stopped being (to="follower") the cluster leader',
    labelNames: ['to'] as const,
    registers: [registry],
  });

  return {
    registry,
    contentType: registry.contentType,
    recordLeaderChange(leader) {
      leaderChanges.inc({ to: leader ? 'leader' : 'follower' });
    },
    recordAttempt(observation) {
      attempts.inc({ outcome: observation.outcome, code: observation.code, channel: observation.channel });
      if (observation.latencyMs !== null) attemptLatency.observe({ channel: observation.channel }, observation.latencyMs / 1000);
    },
    recordPayment(status) {
      payments.inc({ status });
    },
    recordHttpRequest(method, route, statusCode, durationMs) {
      httpRequests.inc({ method, route, status: String(statusCode) });
      httpLatency.observe({ route }, durationMs / 1000);
    },
    recordTerminalMacRejected(listener, reason) {
      terminalMacRejected.inc({ listener, reason });
    },
    recordChannelMacRejected(channel, reason) {
      channelMacRejected.inc({ channel, reason });
    },
    setSources(next) {
      sources = { ...sources, ...next };
    },
    render: () => registry.metrics(),
  };
}

/** What an upstream attempt's channel answer means for the attempt counter. */
export function observeSendResult(channel: string, result: ChannelSendResult, elapsedMs: number): AttemptObservation {
  switch (result.kind) {
    case 'reply': {
      const code = getText(result.message, 39);
      if (code === undefined || !/^[0-9A-Z]{2}$/.test(code)) return { channel, outcome: 'unknown', code: 'malformed_reply', latencyMs: result.latencyMs };
      return { channel, outcome: code === '00' ? 'approved' : 'declined', code, latencyMs: result.latencyMs };
    }
    case 'not_sent':
      return { channel, outcome: 'not_sent', code: result.reason, latencyMs: null };
    case 'no_reply':
      return { channel, outcome: 'unknown', code: result.reason, latencyMs: elapsedMs };
  }
}

/** What the engine needs of a channel; structural so this adapter does not import the engine. */
export interface SendingChannel {
  readonly name: string;
  send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult>;
}

/**
 * Wraps a channel so every sale or pre-authorization it sends is counted when its answer arrives.
 * Reversals and network messages are not attempts and are left out.
 */
export function instrumentChannel(channel: SendingChannel, metrics: Pick<Metrics, 'recordAttempt'>, nowMs: () => number = Date.now): SendingChannel {
  return {
    name: channel.name,
    async send(request, options) {
      const startedAtMs = nowMs();
      const result = await channel.send(request, options);
      if (request.mti === '0200' || request.mti === '0100') {
        metrics.recordAttempt(observeSendResult(channel.name, result, Math.max(0, nowMs() - startedAtMs)));
      }
      return result;
    },
  };
}
