// The composition root: the ONE place where the gateway's parts are built and wired together.
// `reswipe serve`, the demo, the deterministic simulation, the end-to-end fixtures and the benchmarks
// all get their gateway from composeGateway(config, overrides), so what they run and check is the
// gateway people run. Overrides replace only what a simulation or a test must control: time (clock,
// sleep, background loops), randomness, the upstream network (channel factory), the store, the log,
// and whether ports are bound. Everything else (router, breaker, fees, PIN translation, metrics,
// reversal queue, follow-ups, terminal adapter, HTTP app) is the real thing in every caller.
//
// Order matters for money safety. start(): the store is seeded and the reversal queue is running,
// with restart recovery done, BEFORE any terminal or HTTP client can start a payment. close() goes
// the other way: stop taking requests, finish those in flight (bounded), stop the background work,
// close the channels and the store.
import { createNotifications } from './alerts/create-notifications.ts';
import { startDrillScheduler } from './drills/drill-scheduler.ts';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { requirePanKey, type ChannelConfig, type ReswipeConfig } from '../core/config/config-schema.ts';
import { ReswipeError } from '../core/errors/reswipe-error.ts';
import { resolveMacMode } from '../core/crypto/terminal-mac.ts';
import type { IsoMessage } from '../core/iso8583/index.ts';
import type { HsmPort } from '../core/ports/hsm.ts';
import type { Store } from '../core/ports/store.ts';
import type { Clock } from '../core/time/clock.ts';
import type { Random } from '../core/time/random.ts';
import type { ChannelSendResult, LoggerLike, UnmatchedReplyInfo } from '../core/ports/channel.ts';
import type { EngineSettings, FollowUpFeeHooks, SaleResult } from '../core/ports/payments.ts';
import { UpstreamChannel, type ChannelHealth, type ChannelMacKey } from '../adapters/channels/upstream-channel.ts';
import { TerminalKeyVault } from '../adapters/crypto/terminal-key-vault.ts';
import { loadBinTable } from '../adapters/declines/bin-table-file.ts';
import { SoftwareHsm } from '../adapters/hsm/software-hsm.ts';
import { buildHttpApp, buildOperationsApp, type HttpAppDeps } from '../adapters/http/http-app.ts';
import { createLogger } from '../adapters/log/logger.ts';
import { createMetrics, instrumentChannel, type Metrics } from '../adapters/http/metrics.ts';
import { loadRoutingRules } from '../adapters/config/routing-rules-file.ts';
import { openStore } from '../adapters/store/open-store.ts';
import { TerminalListener } from '../adapters/terminal-link/terminal-listener.ts';
import { TlsCertificateReloader } from '../adapters/tls/tls-certificate-reloader.ts';
import { ChannelHealthMonitor, monitorChannel } from './channels/channel-health-monitor.ts';
import { createChannelRouter, type EngineRouter } from './channels/channel-router.ts';
import { forcedCircuitAt } from '../core/routing/channel-override.ts';
import { cardInfoOrUnknown } from '../core/payments/sale-record.ts';
import { LiveChannels } from './channels/live-channels.ts';
import { channelHealthOfNodes, publishChannelHealth } from './channels/publish-channel-health.ts';
import { Payments } from './payments/payments.ts';
import { engineSettingsFromConfig } from '../core/payments/engine-settings-from-config.ts';
import { pinTranslatingChannel } from './channels/pin-translating-channel.ts';
import { FollowUps } from './follow-ups/follow-ups.ts';
import { followUpSettingsFromConfig } from './follow-ups/follow-up-settings.ts';
import { feeSettingsFromConfig } from './fees/fee-settings.ts';
import { LiveFeePlans } from './fees/live-fee-plans.ts';
import { seedFromConfig } from './seed-from-config.ts';
import { createPaymentFeeHooks } from './fees/payment-fee-hooks.ts';
import { PaymentProjector, type DrainOptions } from './projector/payment-projector.ts';
import { AnalyticsProjector } from './projector/analytics-projector.ts';
import { SharedJournalReads } from './projector/shared-journal-reads.ts';
import { createAnalyticsUseCases } from './analytics/analytics-use-cases.ts';
import { createHttpUseCases } from './http-use-cases.ts';

/** /readyz answers 503 while the payment projector is further behind than this (docs/projector.md). */
const projectorLagMaxMs = 30_000;
/** How often a node writes its view of each channel (GET /v1/channels/health). */
const channelHealthPublishMs = 5_000;
/** The safety net under change notices: channel settings and fee plans are re-read at least this often. */
const liveConfigRefreshMs = 5_000;
/**
 * How often the projectors look for new journal entries (each pass drains the journal). A pass writes
 * what the sales journalled since the last one in one unit per projector, and that unit runs inside a
 * group-commit batch on the event loop: at 1 000 sales/s a 250 ms interval made 250-entry units, each
 * holding the loop (and every sale of its batch) for tens of ms four times a second; 50 ms makes them a
 * fifth of that (docs/projector.md, "Lag").
 */
const projectorIntervalMs = 50;
/** How long each projector may go on draining the journal at shutdown (docs/projector.md, "The projector"). */
const shutdownDrainMs = 5_000;
import { TerminalMonitor } from './monitoring/terminal-monitor.ts';
import { startReconciliationJobs } from './reconciliation/reconciliation-jobs.ts';
import { StandingMonitor } from './standing/standing-monitor.ts';
import { standingOfMerchant } from './standing/load-merchant-standing.ts';
import { ReversalWorker, type ReversalWorkerOptions } from './reversals/reversal-worker.ts';
import { terminalPinKeySource } from './terminal-keys/terminal-pin-key-source.ts';
import { WorkingKeys } from './terminal-keys/working-keys.ts';
import { checkValuesAgree, loadZonePinKeys, openChannelMacKeys } from './terminal-keys/zone-pin-keys.ts';
import { readTlsFromConfig, reloadChannelTls } from './tls/tls-from-config.ts';
import { buildQrChannel, type QrChannelFactory } from './channels/qr-channel-factories.ts';
import { QrPayments } from './qr-payments/qr-payments.ts';
import { loadQrCodeTables } from '../adapters/declines/qr-code-table-files.ts';
import type { QrCodeTables } from '../core/declines/qr-code-table.ts';
import { defaultNodeId, NodeMembership } from './cluster/node-membership.ts';
import { WorkLease, type LeaseFence } from './cluster/work-lease.ts';
import { listClusterNodes } from './cluster/list-cluster-nodes.ts';
import { soleLeadership, type Leadership } from '../core/ports/leadership.ts';
import type { SaleCluster } from './payments/sale-services.ts';

/** What the gateway needs of one upstream channel; UpstreamChannel (TCP to the bank) in production, a simulated network in the simulation. */
export interface GatewayChannel {
  send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult>;
  health(): ChannelHealth;
  onUnmatchedReply(handler: (message: IsoMessage, info: UnmatchedReplyInfo) => void): void;
  start(): void;
  close(): Promise<void>;
}

/** What a channel factory gets besides the channel's config: the gateway's logger and metrics. */
export interface ChannelFactoryContext {
  logger: LoggerLike;
  metrics: Metrics;
}

/** Runs `task` every `intervalMs` until the returned function is called. */
export type RunEvery = (intervalMs: number, task: () => void) => () => void;

export interface GatewayOverrides {
  /** Wall-clock time by default; a simulation passes its virtual clock. */
  clock?: Clock;
  /** The operating system's generator by default; a seeded simulation passes its own. */
  random?: Random;
  /** A pino logger at config.log.level on stderr by default. */
  logger?: LoggerLike;
  /** The engine's waits (retry backoff, settlement polls, close); real timers by default. */
  sleep?: (durationMs: number) => Promise<void>;
  /** Every background loop (reversal poll, breaker poll, recovery sweep, advice forwarding, terminal checks); unref'd real intervals by default. */
  every?: RunEvery;
  /** Builds each enabled upstream channel; TCP (UpstreamChannel) by default, a simulated network in the simulation. */
  channel?: (config: ChannelConfig, context: ChannelFactoryContext) => GatewayChannel;
  /** An open store the gateway takes over (and closes in close()); by default config.database.url is opened. */
  store?: Store;
  /** The HSM that translates PIN blocks (docs/security.md); by default a software HSM over the key store. */
  hsm?: HsmPort;
  /** A fresh registry with default process metrics by default. */
  metrics?: Metrics;
  /** false: no HTTP app at all (tests of the terminal link alone, the simulation). */
  http?: boolean;
  /** false: the terminal servers and the HTTP app are built but bind no port (drive them in process). */
  listen?: boolean;
  /** Engine settings a test tunes beyond what the config sets (replyMarginMs, attemptMinMs, ...). */
  engineSettings?: Partial<EngineSettings>;
  /**
   * This node's name among the gateway nodes sharing a PostgreSQL database (channel health per node,
   * docs/cluster.md); config `node.id`, else `<host name>-<process id>-<random>`.
   */
  nodeId?: string;
  /** Reversal queue timing a test tunes beyond what the config sets. */
  reversalWorker?: Partial<Pick<ReversalWorkerOptions, 'timeoutMs' | 'batchMax' | 'pollIntervalMs'>>;
  /** Builds each QR provider channel (config.qrChannels); by protocol (WeChat Pay v2, Alipay adapters) by default, a fake or a sandbox client in tests. */
  qrChannel?: QrChannelFactory;
  /** The QR code catalogues; the shipped files by default. */
  qrCodeTables?: QrCodeTables;
  /** How often the QR follow-up queue (background cancels) runs; 2 s by default. */
  qrFollowUpPollMs?: number;
}

/** The wired gateway: every part, plus start() and close() in the order money safety needs. */
export interface Gateway {
  readonly config: ReswipeConfig;
  readonly store: Store;
  readonly channels: ReadonlyMap<string, GatewayChannel>;
  readonly healthMonitor: ChannelHealthMonitor;
  readonly router: EngineRouter;
  readonly reversalWorker: ReversalWorker;
  readonly engine: Payments;
  /** The QR use cases (docs/qr-payments.md); channels from config.qrChannels. */
  readonly qrPayments: QrPayments;
  readonly transactions: FollowUps;
  readonly fees: FollowUpFeeHooks;
  /** Writes fee lines of approvals and payment.completed events from the payment journal (docs/projector.md). */
  readonly projector: PaymentProjector;
  /** Keeps the hourly analytics rollup from the same journal, under its own checkpoint (docs/analytics.md). */
  readonly analyticsProjector: AnalyticsProjector;
  /** This gateway node's id (config node.id or `<hostname>-<pid>-<random>`), its membership and the cluster leadership (docs/cluster.md). */
  readonly nodeId: string;
  readonly membership: NodeMembership;
  readonly leadership: Leadership;
  readonly metrics: Metrics;
  readonly terminalMonitor: TerminalMonitor;
  readonly terminalListeners: readonly TerminalListener[];
  /** The HTTP API (routes registered); null with overrides.http false. Listening only after start() unless overrides.listen is false. */
  readonly http: FastifyInstance | null;
  /** The HTTP port after start(), or null when not listening. */
  readonly httpPort: number | null;
  /** The operations listener's port (http.operations.mode `listener`) after start(), else null. */
  readonly operationsPort: number | null;
  /** Bound port of each terminal listener after start(), by listener name. */
  readonly terminalPorts: Readonly<Record<string, number>>;
  /** Seeds the store, starts channels and background work, recovers, then opens the listeners. */
  start(): Promise<void>;
  /** Reads every TLS file again (HTTP API, terminal listeners, channel client certificates); false when one could not be used (that one stays as it was). `serve` calls it on SIGHUP. */
  reloadTls(): boolean;
  /** Stops taking requests, finishes those in flight (bounded), stops the background work, closes channels and store. Safe to call twice, and after a failed start. */
  close(): Promise<void>;
}

/** Builds the gateway for a validated config without opening a port; call start() to serve. */
export async function composeGateway(config: ReswipeConfig, overrides: GatewayOverrides = {}): Promise<Gateway> {
  const clock: Clock = overrides.clock ?? { nowMs: () => Date.now() };
  const random: Random = overrides.random ?? cryptoRandom();
  // This process among the gateway nodes on one database (docs/cluster.md): in every log line, metric scrape and event it writes.
  const nodeId = overrides.nodeId ?? config.node.id ?? defaultNodeId(random);
  const logger: LoggerLike = overrides.logger ?? createLogger({ level: config.log.level, name: 'serve', destination: 2, base: { node: nodeId } });
  const every: RunEvery = overrides.every ?? everyWithTimers;
  const withHttp = overrides.http !== false;
  const listen = overrides.listen !== false;
  // Before anything is opened: no database file, no port, without a real card-fingerprint key (docs/card-data.md).
  requirePanKey(config);
  if (config.security.panKeyIsDefault) logger.warn({}, 'security.panKey is not set: development mode uses the public development key; never do this in production');
  const metrics = overrides.metrics ?? createMetrics();

  // Everything that can fail on bad data files fails here, before a port or the database is opened.
  const binTable = loadBinTable(config.declines.binTableFile);
  const feeSettings = feeSettingsFromConfig(config);
  const routingRules = loadRoutingRules(config);
  const tls = readTlsFromConfig(config, { withHttp });
  // Terminal keys (docs/terminal-keys.md): a listener that checks MACs cannot run without the local
  // master key, so its absence stops the start here; with every listener's MACs off it is optional.
  const macModes = config.listeners.map((listener) => resolveMacMode(listener.security.mac, config.security.developmentMode));
  let keyVault: TerminalKeyVault | null = null;
  try {
    keyVault = TerminalKeyVault.fromSettings(config.security);
  } catch (error) {
    if (macModes.some((mode) => mode !== 'off')) throw error;
  }
  if (keyVault?.source === 'development') logger.warn({ keyId: keyVault.keyId }, 'terminal keys are sealed under the development master key (development mode); never do this in production');
  // Host-link MAC keys (docs/channels.md) are held in memory, like terminal working keys; a sealed key needs the local master key.
  const channelMacKeys = config.channels.some((channel) => channel.mac !== undefined && !channel.disabled) ? openChannelMacKeys(config, keyVault ?? TerminalKeyVault.fromSettings(config.security)) : new Map();

  const store = overrides.store ?? (await openStore(config.database.url, { synchronous: config.database.synchronous, cacheMb: config.database.cacheMb }));
  try {
    store.setNodeId(nodeId);
    const membership = new NodeMembership({
      store,
      clock,
      logger,
      nodeId,
      heartbeatIntervalMs: config.node.heartbeatIntervalMs,
      leaseMs: config.node.leaseMs,
      every,
      version: process.env.npm_package_version ?? 'dev',
      address: `${config.http.host}:${config.http.port}`,
    });
    // On SQLite one process owns the file: nothing can take its sales over while it runs, so its lease never stops it.
    const sharedStore = store.kind === 'postgres';
    const cluster: SaleCluster = { nodeId, mayAct: () => !sharedStore || membership.mayAct(), isNodeAlive: (id) => membership.isNodeAlive(id) };
    const leadership: Leadership = store.openLeadership?.({ checkIntervalMs: config.node.heartbeatIntervalMs, logger, mayLead: cluster.mayAct }) ?? soleLeadership();
    /** Work one node at a time does, under a lease that a dead node's successor takes over (docs/cluster.md). */
    const workLease = (name: string, intervalMs: number): WorkLease =>
      new WorkLease({ store, clock, logger, name, nodeId, leaseMs: Math.max(config.node.leaseMs, 2 * intervalMs), mayAct: cluster.mayAct, shared: sharedStore });
    // The software HSM finds each terminal's PIN key in the key store (sealed under the local master key).
    const hsm = overrides.hsm ?? softwareHsmFor(config, keyVault, store);
    const buildChannel = overrides.channel ?? ((channelConfig: ChannelConfig) => tcpChannel(channelConfig, { logger, metrics }, tls.channels.get(channelConfig.name), channelMacKeys.get(channelConfig.name)));
    const channels = new Map<string, GatewayChannel>();
    for (const channelConfig of config.channels) {
      if (!channelConfig.disabled) channels.set(channelConfig.name, buildChannel(channelConfig, { logger, metrics }));
    }

    // The engine and the follow-ups are built after the worker, which calls back into both.
    let engine: Payments | undefined;
    let transactions: FollowUps | undefined;
    const reversalPollMs = overrides.reversalWorker?.pollIntervalMs ?? 1_000;
    const reversalWorker = new ReversalWorker({
      store,
      channels,
      clock,
      logger,
      triesMax: config.engine.reversal.triesMax,
      backoffMs: config.engine.reversal.backoffMs,
      backoffMsMax: config.engine.reversal.backoffMsMax,
      timeoutMs: Math.max(1_000, ...config.channels.map((channel) => channel.timeoutMs)),
      batchMax: 64,
      ...overrides.reversalWorker,
      pollIntervalMs: reversalPollMs,
      nodeId,
      acquirerIdFor: (name) => config.channels.find((channel) => channel.name === name)?.acquirerId ?? '00000000001',
      onSettledInTx: async (tx, settled) => {
        if (engine !== undefined) await engine.onReversalSettledInTx(tx, settled);
        // A reversed void or cancel reopens its original, in the same transaction.
        if (transactions !== undefined) await transactions.onReversalSettledInTx(tx, settled);
      },
      onSettled: (settled) => engine?.onReversalSettled(settled),
    });

    // One set of fee hooks serves sales (engine), follow-ups and manual resolutions (HTTP).
    // Approved sales' fee lines (and payment.completed events) are written by the payment projector, off the answer's path (docs/projector.md).
    // The stored plans over the plans file's, changed by PUT /v1/fee-plans/{name} on any node (docs/fees.md, "Fee plans on several nodes").
    const feePlans = new LiveFeePlans({ store, fromFile: feeSettings.plans, logger });
    const feeHooks = createPaymentFeeHooks({ plans: () => feePlans.current(), settings: feeSettings, clock, logger, approvedFees: 'projector' });
    const fees: FollowUpFeeHooks = feeHooks;

    // Channel health: every attempt result, echo and connection state feeds a circuit breaker per channel;
    // routing skips open circuits. Circuit changes go to the event stream.
    // Priority, disabled, draining and a forced circuit of each channel follow its stored record, changed on any node (docs/cluster.md, "Live configuration").
    const liveChannels = new LiveChannels({ store, configured: config.channels, logger });
    const healthMonitor = new ChannelHealthMonitor({
      channelNames: [...channels.keys()],
      settings: config.routing.breaker,
      clock,
      logger,
      store,
      healthOf: () => [...channels.values()].map((channel) => channel.health()),
      forcedCircuit: (name) => forcedCircuitAt(liveChannels.current().find((channel) => channel.name === name)?.circuitOverride, clock.nowMs()),
    });
    const router = createChannelRouter({ rules: routingRules, channels: () => liveChannels.current(), random, monitor: healthMonitor });

    const running = new Payments({
      store,
      // Every sale attempt is counted by outcome, code and channel on its way back from the channel.
      // PIN translation sits outside the health monitor: a PIN block that cannot be translated never reaches the channel, so it says nothing of the channel's health.
      channels: [...channels].map(([name, channel]) =>
        pinTranslatingChannel(instrumentChannel(monitorChannel({ name, send: (request, sendOptions) => channel.send(request, sendOptions) }, healthMonitor), metrics, () => clock.nowMs()), {
          hsm,
          zonePinKeyRef: config.channels.find((candidate) => candidate.name === name)?.zonePinKey?.keyRef,
          logger,
        }),
      ),
      router,
      clock,
      random,
      logger,
      settings: engineSettingsFromConfig(config, overrides.engineSettings),
      binTable,
      reversalWorker,
      fees,
      completedEvents: 'projector',
      // A terminal's 0400 of a WeChat Pay or Alipay sale cancels its trade (qrPayments is built below; called only once serving).
      reverseQrSale: (payment, input): ReturnType<QrPayments['reverseByTerminal']> => qrPayments.reverseByTerminal(payment, input),
      cluster,
      ...(overrides.sleep === undefined ? {} : { sleep: overrides.sleep }),
    });
    // The two projectors follow the journal in step: a batch's journal read serves both (docs/projector.md).
    const journalReads = new SharedJournalReads(store, clock);
    const projector = new PaymentProjector({ store, clock, logger, fees: feeHooks, journal: journalReads });
    const projectorLag = async () => ({ lagMs: (await projector.lag()).ageMs, lagMaxMs: projectorLagMaxMs });
    const analyticsProjector = new AnalyticsProjector({ store, clock, logger, timeZone: config.fees.settlementTimeZone, journal: journalReads });
    engine = running;
    // QR payments (docs/qr-payments.md): their own channels (HTTP providers), the same store, fee hooks and recovery.
    const qrCodeTables = overrides.qrCodeTables ?? loadQrCodeTables();
    const qrChannelPorts = config.qrChannels.map((qrConfig) => ({ config: qrConfig, port: (overrides.qrChannel ?? buildQrChannel)(qrConfig, { logger }) }));
    const qrPayments: QrPayments = new QrPayments({
      store,
      channels: qrChannelPorts.map(({ config: qrConfig, port }) => ({ port, priority: qrConfig.priority, disabled: qrConfig.disabled, timeoutMs: qrConfig.timeoutMs })),
      codeTables: qrCodeTables,
      clock,
      random,
      logger,
      settings: {
        panKey: running.settings.panKey,
        panKeyId: running.settings.panKeyId ?? config.security.panKeyId,
        httpTerminalId: running.settings.httpTerminalId,
        httpBudgetMs: config.engine.qr.budgetMs,
        terminalBudgetMs: config.engine.terminalTimeoutMs,
        replyMarginMs: running.settings.replyMarginMs,
        sale: { queryDelaysMs: config.engine.qr.queryDelaysMs, cancelReserveMs: Math.max(2_000, ...config.qrChannels.map((c) => c.timeoutMs + 1_000)), queriesMax: 30, cancelsMax: 3, cancelAgainDelayMs: 1_000, notSentPaysMax: 2 },
        followUp: config.engine.qr.followUp,
        recoveryBatchMax: running.settings.recoveryBatchMax,
        businessTimeZone: config.fees.settlementTimeZone,
      },
      fees,
      sleep: overrides.sleep ?? ((durationMs) => new Promise((resolve) => setTimeout(resolve, Math.max(0, durationMs)))),
    });
    // The follow-ups (void, refund, completion, cancel, balance, settlement) follow up on the engine's sales.
    const followUps = new FollowUps({
      store,
      channels: [...channels].map(([name, channel]) => ({ name, send: (request: IsoMessage, sendOptions: { timeoutMs: number }) => channel.send(request, sendOptions) })),
      clock,
      random,
      logger,
      settings: followUpSettingsFromConfig(config, running.settings),
      reversalWorker,
      fees,
    });
    transactions = followUps;
    for (const [name, channel] of channels) {
      channel.onUnmatchedReply((message, info) => {
        running.handleUnmatchedReply(name, message, info).catch((error: unknown) => {
          logger.error({ channel: name, error: error instanceof Error ? error.message : 'unknown' }, 'late reply handling failed');
        });
      });
    }

    const terminalMonitor = new TerminalMonitor({ store, clock, logger, settings: config.monitoring, localOffsetMinutes: running.settings.localOffsetMinutes });
    // Merchant standing (docs/standing.md): months are business dates in the settlement time zone, as statements are.
    const standingCalendar = { timeZone: config.fees.settlementTimeZone };
    const standingMonitor = new StandingMonitor({ store, clock, logger, settings: config.standing, calendar: standingCalendar });

    // Terminal sales are counted in reswipe_payments_total here; HTTP sales are counted by the HTTP app.
    const countCompleted = (result: SaleResult): SaleResult => {
      if (result.kind === 'completed') metrics.recordPayment(result.view.status);
      return result;
    };
    const countingEngine: Pick<Payments, 'authorize' | 'waitUntilAnswered' | 'reverseByTerminal' | 'settings'> = {
      // A reaction on the sale's promise rather than an `async` frame suspended for as long as the sale runs.
      authorize: (request) => running.authorize(request).then(countCompleted),
      waitUntilAnswered: (scope, key, untilMs) => running.waitUntilAnswered(scope, key, untilMs),
      reverseByTerminal: (input) => running.reverseByTerminal(input),
      get settings() {
        return running.settings;
      },
    };
    const workingKeys = keyVault === null ? undefined : new WorkingKeys({ store, vault: keyVault, clock });
    const terminalListeners = config.listeners.map(
      (listener, index) =>
        new TerminalListener({
          listener,
          sales: countingEngine,
          followUps,
          qrSales: qrPayments,
          store,
          clock,
          logger,
          macMode: macModes[index] ?? 'required',
          ...(workingKeys === undefined ? {} : { keys: workingKeys }),
          onMacRejected: (reason) => metrics.recordTerminalMacRejected(listener.name, reason),
          tls: tls.listeners.get(listener.name),
        }),
    );
    metrics.setSources({
      reversalQueueStats: () => store.reversalQueueStats(),
      terminalConnections: () => terminalListeners.reduce((sum, server) => sum + server.connections, 0),
      nowMs: () => clock.nowMs(),
      engineRecovery: () => running.recoveryStats(),
      projectorLag: () => projector.lag(),
      outboxStats: () => store.outboxStats(),
      node: () => ({ id: nodeId, leader: leadership.isLeader(), mayAct: cluster.mayAct() }),
    });
    // Alerts and webhooks read the event stream on their own timers, off the sale's path (docs/alerts.md, docs/webhooks.md).
    const notifications = createNotifications({ config, store, clock, logger, vault: keyVault, channelWindows: () => healthMonitor.view().map((view) => ({ name: view.name, results: view.window.results, failures: view.window.failures })) });

    // Connection state plus the breaker's verdict: a connected channel with an open circuit takes no sales,
    // unless it answered sales within the breaker's window: then it is still probed by trial sales as the
    // last reachable channel of its route (docs/routing.md), so it still counts as usable.
    const channelHealth = () => {
      const circuits = healthMonitor.view();
      return [...channels.values()].map((channel) => {
        const health = channel.health();
        const circuit = circuits.find((view) => view.name === health.name);
        const available = circuit === undefined || circuit.available || circuit.window.results > circuit.window.failures;
        return { ...health, available };
      });
    };
    const http = withHttp
      ? await buildHttpApp({
          config,
          engine: running,
          qrPayments,
          qrCodeTables,
          // Refunds and voids of a QR sale go to its provider (docs/qr-payments.md#refunds); everything else to the host link.
          transactions: {
            async followUp(request) {
              const original = await store.getPayment(request.originalPaymentId);
              const isQr = original !== null && (original.method === 'wechat' || original.method === 'alipay');
              return isQr ? qrPayments.followUp(request) : followUps.followUp(request);
            },
          },
          store,
          logger,
          clock,
          metrics,
          ...createHttpUseCases({
            store,
            clock,
            logger,
            config,
            feePlans,
            // An operator's resolution is off the answer's path: its approved fee line is written at once.
            fees: { ...fees, recordApproved: feeHooks.writeApproved },
            kickReversals: () => reversalWorker.kick(),
          }),
          channelHealth,
          projectorLag,
          cluster: { nodeId, nodes: () => listClusterNodes(store, clock.nowMs()) },
          notifications: notifications.routes,
          monitoring: {
            terminalCached: (id) => terminalMonitor.cached(id),
            terminal: (id) => terminalMonitor.terminal(id),
            channel: (name) => healthMonitor.view().find((view) => view.name === name) ?? null,
          },
          standingOf: standingOfMerchant(store, clock, config.standing, standingCalendar),
          channelHealthOfNodes: () => channelHealthOfNodes({ store, clock, nodeId, staleAfterMs: 3 * channelHealthPublishMs }),
          analytics: createAnalyticsUseCases({ store, clock, timeZone: config.fees.settlementTimeZone }),
          explainRoute: (sale) => {
            const card = cardInfoOrUnknown(sale.bin, binTable);
            const routeInput = { ...sale, brand: card.brand, cardType: card.type };
            return { brand: card.brand, cardType: card.type, ...router.explain(routeInput, new Set(channels.keys())) };
          },
          https: tls.http,
        })
      : null;

    // What start() opened, closed in reverse by close().
    const cleanups: Array<() => Promise<void>> = [];
    const tlsReloaders: TlsCertificateReloader[] = [];
    let httpPort: number | null = null;
    let operationsPort: number | null = null;
    const terminalPorts: Record<string, number> = {};
    let closed = false;
    /** The HTTP app listens (its close is then one of the cleanups). */
    let httpListening = false;

    /**
     * A projector's last drain at shutdown, for at most shutdownDrainMs: a journal far behind (a long outage
     * of the store, a rebuilt rollup) would otherwise hold the process past its supervisor's stop timeout and
     * be killed mid-batch. What is left is projected after the next start, from the checkpoint.
     */
    const drainAtShutdown = async (name: string, drain: (options: DrainOptions) => Promise<number>, entriesLeft: () => Promise<number>): Promise<void> => {
      const untilMs = clock.nowMs() + shutdownDrainMs;
      try {
        await drain({ untilMs });
        if (clock.nowMs() < untilMs) return;
        const left = await entriesLeft();
        if (left > 0) logger.warn({ entriesLeft: left, budgetMs: shutdownDrainMs }, `${name} did not catch up at shutdown within its budget; it resumes at the next start`);
      } catch (error: unknown) {
        logger.error({ error: error instanceof Error ? error.message : 'unknown' }, `${name} could not catch up at shutdown; it resumes at the next start`);
      }
    };
    /** A background loop whose next tick is skipped while the last one still runs; stopping it waits for that one. */
    const loop = (intervalMs: number, task: () => Promise<unknown>, failure: string): void => {
      let running: Promise<void> | null = null;
      const stop = every(intervalMs, () => {
        if (running !== null) return;
        running = task()
          .then(() => undefined)
          .catch((error: unknown) => logger.error({ error: error instanceof ReswipeError ? error.code : error instanceof Error ? error.message : 'unknown' }, failure))
          .finally(() => {
            running = null;
          });
      });
      cleanups.push(async () => {
        stop();
        await running;
      });
    };

    /** Leader-only work with its own timers: started when this node is elected, stopped when it is not any more. */
    const leaderServices: Array<{ start(): void; stop(): Promise<void> }> = [];
    const onLeaderChange = (leader: boolean): void => {
      metrics.recordLeaderChange(leader);
      for (const service of leaderServices) {
        if (leader) service.start();
        else void service.stop().catch(() => undefined);
      }
      if (!leader) return;
      const atMs = clock.nowMs();
      store.write((tx) => tx.appendEvent({ type: 'cluster.leader_elected', subjectId: nodeId, payload: { node: nodeId }, atMs })).catch((error: unknown) => {
        logger.warn({ error: error instanceof Error ? error.message : 'unknown' }, 'could not record the leader change');
      });
    };
    /** A task of the once-per-cluster kind: a node that is not the leader skips it. */
    const leaderOnly = (task: () => Promise<unknown>) => (): Promise<unknown> => (leadership.isLeader() ? task() : Promise.resolve());

    /** One step of start(), its duration logged at debug level: a start that slows down with history shows which step grows. */
    const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
      const startedMs = performance.now();
      const result = await run();
      logger.debug({ step: name, ms: Math.round(performance.now() - startedMs) }, 'start step done');
      return result;
    };

    const start = async (): Promise<void> => {
      // A member before anything else: the first heartbeat says to the other nodes that this one is alive.
      await step('membership', () => membership.start());
      cleanups.push(() => membership.stop());
      await step('seed from config', () => seedFromConfig(store, config, feeSettings.plans, clock.nowMs(), logger));
      const stopFollowingChannels = liveChannels.follow();
      cleanups.push(async () => stopFollowingChannels());
      await step('channel settings', () => liveChannels.refresh());
      loop(liveConfigRefreshMs, () => liveChannels.refresh(), 'channel settings refresh failed; retried at the next interval');
      // A terminal key changed on any node drops this node's remembered MAC key at once (docs/terminal-keys.md).
      const stopFollowingKeys = workingKeys?.follow();
      if (stopFollowingKeys !== undefined) cleanups.push(async () => stopFollowingKeys());
      const stopFollowingFeePlans = feePlans.follow();
      cleanups.push(async () => stopFollowingFeePlans());
      await step('fee plans', () => feePlans.refresh());
      loop(liveConfigRefreshMs, () => feePlans.refresh(), 'fee plans refresh failed; retried at the next interval');
      // Each node's view of each channel, side by side for operators (GET /v1/channels/health); one node on SQLite writes it too.
      const channelHealthSource = { health: channelHealth, circuits: () => healthMonitor.view() };
      loop(channelHealthPublishMs, () => publishChannelHealth({ store, clock, nodeId, source: channelHealthSource }), 'channel health publication failed; retried at the next interval');
      await step('zone PIN keys', () => checkZonePinKeys(config, hsm, logger));
      cleanups.push(async () => {
        for (const channel of channels.values()) await channel.close();
      });
      cleanups.push(() => healthMonitor.stop());
      const stopHealthPoll = every(Math.max(100, config.routing.healthPollIntervalMs), () => healthMonitor.poll());
      cleanups.push(async () => stopHealthPoll());
      const adviceIntervalMs = Math.max(100, Math.min(config.engine.transactions.adviceRetryMs, 10_000));
      const adviceLease = workLease('advices', adviceIntervalMs);
      cleanups.push(() => adviceLease.release());
      // One pass after the other under one lease: a pass that finds the lease lost stops, and the next does not start.
      const adviceAndHoldPasses = async (fence: LeaseFence | null): Promise<void> => {
        await followUps.forwardDueAdvices(fence ?? undefined);
        await followUps.releaseExpiredHolds(fence ?? undefined);
      };
      loop(adviceIntervalMs, () => adviceLease.run(adviceAndHoldPasses), 'advice forwarding pass failed; retried next interval');
      for (const channel of channels.values()) channel.start();
      cleanups.push(() => reversalWorker.stop());
      reversalWorker.kick();
      const stopReversalPoll = every(reversalPollMs, () => reversalWorker.kick());
      cleanups.push(async () => stopReversalPoll());
      // One SQLite file has one gateway process, so everything pending now was left by the last run. On
      // PostgreSQL other nodes may be mid-payment: only what is older than any legitimate payment is taken.
      const recoveryAgeMs = store.kind === 'sqlite' ? 0 : 2 * config.engine.terminalTimeoutMs;
      const recoveryIntervalMs = Math.max(500, Math.min(config.engine.terminalTimeoutMs, Math.floor(config.node.leaseMs / 2)));
      const recoveryLease = workLease('recovery', recoveryIntervalMs);
      cleanups.push(() => recoveryLease.release());
      // Another node may run the sweep now: then its lease covers what this start would recover.
      await step('recovery of pending payments', () => recoveryLease.run((fence) => running.recoverAfterRestart({ createdBeforeMs: clock.nowMs() - recoveryAgeMs, lease: fence?.lease })));
      // The projector (docs/projector.md) stops after the engine closed (cleanups run in reverse) and then
      // drains what the last sales journalled.
      cleanups.push(async () => {
        if (leadership.isLeader()) await drainAtShutdown('projector', (options) => projector.drain(options), async () => (await projector.lag()).entries);
      });
      // Once per cluster: two projectors could both find a payment without its payment.completed event and both write one.
      loop(projectorIntervalMs, leaderOnly(() => projector.drain()), 'projector pass failed; retried at the next interval');
      // The analytics rollup follows the same journal off the sale's path; it catches up at shutdown too. Leader only, like the projector.
      cleanups.push(async () => {
        if (leadership.isLeader()) await drainAtShutdown('analytics projector', (options) => analyticsProjector.drain(options), () => analyticsProjector.lagEntries());
      });
      loop(projectorIntervalMs, leaderOnly(() => analyticsProjector.drain()), 'analytics projector pass failed; retried at the next interval');
      cleanups.push(() => running.close());
      // QR (only with QR channels: without one nothing could be queried or cancelled): channels closed after the
      // use cases; what a crash left pending is queried, then cancelled through the follow-up queue.
      if (qrChannelPorts.length > 0) {
        cleanups.push(async () => {
          for (const { port } of qrChannelPorts) await port.close();
        });
        cleanups.push(() => qrPayments.close());
        // Queries and cancels of unknown trades: one node at a time, under their own work lease (docs/cluster.md).
        const qrFollowUpPollMs = overrides.qrFollowUpPollMs ?? 2_000;
        const qrLease = workLease('qr', qrFollowUpPollMs);
        cleanups.push(() => qrLease.release());
        await step('recovery of pending QR payments', () => qrLease.run((fence) => qrPayments.recoverAfterRestart({ createdBeforeMs: clock.nowMs() - recoveryAgeMs, fence: fence ?? undefined })));
        loop(qrFollowUpPollMs, () => qrLease.run((fence) => qrPayments.runFollowUps(fence ?? undefined)), 'QR follow-up pass failed; retried at the next interval');
        loop(
          Math.max(1_000, config.engine.terminalTimeoutMs),
          () => qrLease.run((fence) => qrPayments.recoverAfterRestart({ createdBeforeMs: clock.nowMs() - 2 * Math.max(config.engine.terminalTimeoutMs, config.engine.qr.budgetMs), fence: fence ?? undefined })),
          'QR recovery sweep failed; retried at the next interval',
        );
      }
      // Recovery again for what is older than twice the terminal timeout: nothing legitimate is in flight that long, so this bounds "pending" in time.
      // It also takes the pending payments of dead nodes at any age (docs/cluster.md), hence an interval of half a node lease.
      loop(
        recoveryIntervalMs,
        () => recoveryLease.run((fence) => running.recoverAfterRestart({ createdBeforeMs: clock.nowMs() - 2 * running.settings.terminalTimeoutMs, lease: fence?.lease })),
        'recovery sweep failed; retried at the next interval',
      );
      loop(Math.max(1_000, config.monitoring.checkIntervalMs), leaderOnly(() => terminalMonitor.check()), 'terminal check failed; retried at the next interval');
      loop(Math.max(1_000, config.standing.checkIntervalMs), leaderOnly(() => standingMonitor.check()), 'merchant standing check failed; retried at the next interval');
      // The alert evaluator, the outbox worker and the reconciliation jobs (drop folder, overdue discrepancies:
      // docs/reconciliation.md) run on real timers: a simulation on virtual time (overrides.every) leaves them off.
      // All three run on the cluster leader only (docs/cluster.md): started when elected, stopped when not.
      if (overrides.every === undefined) {
        leaderServices.push(restartable(() => startReconciliationJobs({ store, clock, logger, config })));
        leaderServices.push(notifications);
      }
      // Scheduled drills against staging (docs/drills.md#scheduled-drills); none unless configured.
      if (config.drills.schedule.length > 0) {
        leaderServices.push(restartable(() => startDrillScheduler({ schedule: config.drills.schedule, timeZone: config.fees.settlementTimeZone, store, logger, nowMs: () => clock.nowMs() })));
      }
      leadership.onChange(onLeaderChange);
      await step('leadership', () => leadership.start());
      cleanups.push(async () => {
        await leadership.stop();
        for (const service of leaderServices) await service.stop().catch(() => undefined);
      });
      if (!listen) return;
      for (const [index, server] of terminalListeners.entries()) {
        const listener = config.listeners[index];
        if (listener === undefined) continue;
        if (listener.tls !== undefined) tlsReloaders.push(new TlsCertificateReloader({ field: `listeners[${index}].tls`, files: listener.tls, target: server, logger, checkIntervalMs: 0 }));
        terminalPorts[listener.name] = await step(`terminal listener ${listener.name}`, () => server.start());
        cleanups.push(() => server.close(Math.min(config.engine.terminalTimeoutMs, 30_000)));
      }
      if (http !== null) {
        const handle = await step('HTTP listeners', () => listenHttp(config, http, { store, logger, metrics, channelHealth, projectorLag, https: tls.http !== undefined }));
        httpListening = true;
        httpPort = handle.port;
        operationsPort = handle.operationsPort;
        cleanups.push(handle.close);
        if (config.http.tls !== undefined && handle.tlsTarget !== null) {
          const reloader = new TlsCertificateReloader({ field: 'http.tls', files: config.http.tls, target: handle.tlsTarget, logger, checkIntervalMs: config.http.tls.reloadCheckIntervalMs });
          reloader.start();
          cleanups.push(async () => reloader.stop());
          tlsReloaders.push(reloader);
        }
      }
    };

    const gateway: Gateway = {
      config,
      store,
      channels,
      healthMonitor,
      router,
      reversalWorker,
      engine: running,
      qrPayments,
      transactions: followUps,
      fees,
      projector,
      analyticsProjector,
      metrics,
      nodeId,
      membership,
      leadership,
      terminalMonitor,
      terminalListeners,
      http,
      get httpPort() {
        return httpPort;
      },
      get operationsPort() {
        return operationsPort;
      },
      terminalPorts,
      async start() {
        try {
          await start();
        } catch (error) {
          await gateway.close();
          throw error;
        }
      },
      reloadTls() {
        // Every reloader runs even when one fails, so one bad file does not hold back the others' renewals.
        const served = tlsReloaders.map((reloader) => reloader.reload('signal')).every(Boolean);
        return reloadChannelTls(config, tlsTargetsOf(channels), logger) && served;
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        // An HTTP app that never listened (listen: false, or a start that failed first) still holds its plugins' resources.
        if (http !== null && !httpListening) await http.close().catch(() => undefined);
        await store.close().catch(() => undefined);
      },
    };
    return gateway;
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/** The TCP channel to a bank, as `serve` runs it. */
function tcpChannel(channelConfig: ChannelConfig, context: ChannelFactoryContext, tls: ConnectionOptions | undefined, mac: ChannelMacKey | undefined): UpstreamChannel {
  return new UpstreamChannel({
    name: channelConfig.name,
    host: channelConfig.host,
    port: channelConfig.port,
    dialect: channelConfig.dialect,
    framing: channelConfig.framing.length,
    frameBytesMax: channelConfig.framing.frameBytesMax,
    connections: channelConfig.connections,
    inFlightMax: channelConfig.inFlightMax,
    echoIntervalMs: channelConfig.echoIntervalMs,
    acquirerId: channelConfig.acquirerId,
    reconnectBackoffMs: 200,
    reconnectBackoffMsMax: 10_000,
    connectTimeoutMs: Math.min(5_000, channelConfig.timeoutMs),
    logger: context.logger,
    tls,
    mac,
    onMacRejected: (reason) => context.metrics.recordChannelMacRejected(channelConfig.name, reason),
  });
}

/** The channels that take renewed client certificates (TCP channels; a simulated one has none). */
function tlsTargetsOf(channels: ReadonlyMap<string, GatewayChannel>): Map<string, UpstreamChannel> {
  const targets = new Map<string, UpstreamChannel>();
  for (const [name, channel] of channels) if (channel instanceof UpstreamChannel) targets.set(name, channel);
  return targets;
}

/** A service whose start() returns its stopper, made restartable: leadership may come and go several times. */
function restartable(startService: () => { stop(): Promise<void> | void }): { start(): void; stop(): Promise<void> } {
  let running: { stop(): Promise<void> | void } | null = null;
  return {
    start() {
      running ??= startService();
    },
    async stop() {
      const stopping = running;
      running = null;
      await stopping?.stop();
    },
  };
}

/** Real intervals, unref'd so a background loop never keeps the process up. */
function everyWithTimers(intervalMs: number, task: () => void): () => void {
  const timer = setInterval(task, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The software HSM: terminal PIN keys from the key store, zone PIN keys opened from the config (both sealed under the local master key). */
function softwareHsmFor(config: ReswipeConfig, keyVault: TerminalKeyVault | null, store: Store): SoftwareHsm {
  const hasSealedZoneKey = config.channels.some((channel) => channel.zonePinKey?.sealed !== undefined && !channel.disabled);
  // A sealed zone key needs the local master key even where every listener's MACs are off: the vault's own error says what is missing.
  const vault = keyVault ?? (hasSealedZoneKey ? TerminalKeyVault.fromSettings(config.security) : null);
  if (vault === null) return new SoftwareHsm();
  const hsm = new SoftwareHsm({ keySource: terminalPinKeySource({ store, vault }) });
  loadZonePinKeys(config, vault, hsm);
  return hsm;
}

/**
 * A zone PIN key the HSM holds must be the one the bank agreed (same check value), or every PIN would
 * reach the bank unreadable: that stops start-up. One the HSM does not hold yet only means PIN sales on
 * that channel are refused until it does, which is logged.
 */
async function checkZonePinKeys(config: ReswipeConfig, hsm: HsmPort, logger: LoggerLike): Promise<void> {
  for (const [index, channel] of config.channels.entries()) {
    if (channel.zonePinKey === undefined || channel.disabled) continue;
    const held = await hsm.checkValueOf(channel.zonePinKey.keyRef);
    if (held === null) {
      logger.warn({ channel: channel.name, keyRef: channel.zonePinKey.keyRef }, 'the HSM does not hold this zone PIN key: sales with a PIN are refused on this channel until it does');
    } else if (!checkValuesAgree(held, channel.zonePinKey.checkValue)) {
      throw new ReswipeError('RSW_CONFIG_RELATION', { field: `channels[${index}].zonePinKey.checkValue`, reason: `(${channel.zonePinKey.checkValue}) is not the check value of the key the HSM holds as ${channel.zonePinKey.keyRef} (${held})` });
    }
  }
}

interface HttpHandle {
  port: number;
  operationsPort: number | null;
  /** The https server, which takes a renewed certificate; null for plain HTTP. */
  tlsTarget: { setSecureContext(options: TlsOptions): void } | null;
  close(): Promise<void>;
}

/** Starts the built HTTP API on http.host/http.port, and the operations listener when configured; resolves with the bound ports. */
async function listenHttp(
  config: ReswipeConfig,
  app: FastifyInstance,
  deps: { store: Store; logger: LoggerLike; metrics: Metrics; channelHealth: () => ReturnType<GatewayChannel['health']>[]; projectorLag: NonNullable<HttpAppDeps['projectorLag']>; https: boolean },
): Promise<HttpHandle> {
  const boundPort = (server: typeof app.server, fallback: number): number => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : fallback;
  };
  await app.listen({ host: config.http.host, port: config.http.port });
  // With TLS options Fastify built an https.Server (a tls.Server), whatever app.server's static type says.
  const tlsTarget = deps.https ? (app.server as unknown as { setSecureContext(options: TlsOptions): void }) : null;
  const { operations } = config.http;
  if (operations.mode === 'admin-key') return { port: boundPort(app.server, config.http.port), operationsPort: null, tlsTarget, close: () => app.close() };
  try {
    const ops = await buildOperationsApp({ store: deps.store, logger: deps.logger, metrics: deps.metrics, api: app, channelHealth: deps.channelHealth, projectorLag: deps.projectorLag });
    await ops.listen({ host: operations.host, port: operations.port });
    return {
      port: boundPort(app.server, config.http.port),
      operationsPort: boundPort(ops.server, operations.port),
      tlsTarget,
      close: async () => {
        await ops.close();
        await app.close();
      },
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/**
 * Ids in production come from the operating system's generator; seeded simulations pass their own
 * Random. The words are drawn 1,024 at a time: one system call per 256 ids instead of four per id.
 */
function cryptoRandom(): Random {
  const pool = new Uint32Array(1024);
  let next = pool.length;
  return {
    nextUint32: () => {
      if (next === pool.length) {
        globalThis.crypto.getRandomValues(pool);
        next = 0;
      }
      const word = pool[next] ?? 0;
      next += 1;
      return word;
    },
  };
}
