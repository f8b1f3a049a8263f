// The composition root of `reswipe serve`: the only place that wires adapters into the core.
// Order matters for money safety: the store is open and migrated, and the reversal queue is
// running (with restart recovery done), BEFORE any terminal or HTTP client can start a payment.
// Stopping goes the other way: stop taking requests, finish those in flight (bounded), then stop
// the workers and close the store.
import { requirePanKey, type ReswipeConfig } from '../core/config/config-schema.ts';
import type { Store } from '../core/ports/store.ts';
import { buildChannelRecord, buildMerchantRecord, buildTerminalRecord } from '../core/ports/defined-records.ts';
import type { Clock } from '../core/time/clock.ts';
import { ReswipeError } from '../core/errors/reswipe-error.ts';
import type { Random } from '../core/time/random.ts';
import { openStore } from '../adapters/store/open-store.ts';
import { createLogger } from '../adapters/log/logger.ts';
import { UpstreamChannel, type LoggerLike } from '../adapters/channels/upstream-channel.ts';
import { loadBinTable } from '../adapters/declines/bin-table-file.ts';
import { TerminalServer } from '../adapters/terminal-link/terminal-server.ts';
import { TerminalKeyVault } from '../adapters/crypto/terminal-key-vault.ts';
import { resolveMacMode } from '../core/crypto/terminal-mac.ts';
import { WorkingKeys } from './terminal-keys/working-keys.ts';
import { buildHttpApp, buildOperationsApp, type HttpAppDeps } from '../adapters/http/http-app.ts';
import { ReversalWorker } from './reversals/reversal-worker.ts';
import { Payments } from './payments/payments.ts';
import { engineSettingsFromConfig } from '../core/payments/engine-settings-from-config.ts';
import { feeSettingsFromConfig } from './fees/fee-settings.ts';
import { createPaymentFeeHooks } from './fees/payment-fee-hooks.ts';
import { TransactionSet, transactionSettingsFromConfig, type FollowUpFeeHooks } from './engine/transaction-set.ts';
import type { IsoMessage } from '../core/iso8583/index.ts';
import { createMetrics, instrumentChannel } from '../adapters/metrics/metrics.ts';
import { loadRoutingRules } from '../adapters/routing/routing-rules-file.ts';
import { ChannelHealthMonitor, monitorChannel } from './channels/channel-health-monitor.ts';
import { createChannelRouter } from './channels/channel-router.ts';
import { TerminalMonitor } from './monitoring/terminal-monitor.ts';
import { readTlsFromConfig, reloadChannelTls } from './tls/tls-from-config.ts';
import { TlsCertificateReloader } from '../adapters/tls/tls-certificate-reloader.ts';
import type { TlsOptions } from 'node:tls';
import { SoftwareHsm } from '../adapters/hsm/software-hsm.ts';
import { pinTranslatingChannel } from './channels/pin-translating-channel.ts';
import { terminalPinKeySource } from './terminal-keys/terminal-pin-key-source.ts';
import { checkValuesAgree, loadZonePinKeys, openChannelMacKeys } from './terminal-keys/zone-pin-keys.ts';
import type { HsmPort } from '../core/ports/hsm.ts';

export interface GatewayOptions {
  logger?: LoggerLike;
  clock?: Clock;
  random?: Random;
  /** Skip the HTTP API (tests of the terminal link alone). */
  withoutHttp?: boolean;
  /** The HSM that translates PIN blocks (docs/security.md); by default a software HSM that reads terminal PIN keys from the key store and holds no zone PIN key. */
  hsm?: HsmPort;
}

export interface Gateway {
  /** The HTTP port, or null when the HTTP API was skipped (GatewayOptions.withoutHttp). */
  httpPort: number | null;
  /** The operations listener's port (http.operations.mode `listener`), else null. */
  operationsPort: number | null;
  /** Bound port of each terminal listener, by listener name. */
  terminalPorts: Record<string, number>;
  engine: Payments;
  store: Store;
  /** Reads every TLS file again (HTTP API, terminal listeners, channel client certificates); false when one could not be used (that one stays as it was). `serve` calls it on SIGHUP. */
  reloadTls(): boolean;
  stop(): Promise<void>;
}

/** Starts the gateway for a validated config; resolves once every listener is accepting. */
export async function startGateway(config: ReswipeConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger: LoggerLike = options.logger ?? createLogger({ level: config.log.level, name: 'serve', destination: 2 });
  const clock: Clock = options.clock ?? { nowMs: () => Date.now() };
  const random: Random = options.random ?? cryptoRandom();
  // Before anything is opened: no database file, no port, without a real card-fingerprint key (docs/card-data.md).
  requirePanKey(config);
  if (config.security.panKeyIsDefault) logger.warn({}, 'security.panKey is not set: development mode uses the public development key; never do this in production');
  const metrics = createMetrics();

  // Everything that can fail on bad data files fails here, before a port or the database is opened.
  const binTable = loadBinTable(config.declines.binTableFile);
  const feeSettings = feeSettingsFromConfig(config);
  const routingRules = loadRoutingRules(config);
  const tls = readTlsFromConfig(config, { withHttp: options.withoutHttp !== true });
  const tlsReloaders: TlsCertificateReloader[] = [];
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
  // Replaced when PUT /v1/fee-plans/{name} changes a plan, so the next approval is priced by the new plan (in memory: the plans file is not rewritten).
  let feePlans = feeSettings.plans;

  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  const cleanups: Array<() => Promise<void>> = [() => store.close()];
  const unwind = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await seedFromConfig(store, config, clock.nowMs());

    // The software HSM finds each terminal's PIN key in the key store (sealed under the local master key).
    const hsm = options.hsm ?? softwareHsmFor(config, keyVault, store);
    await checkZonePinKeys(config, hsm, logger);
    // Host-link MAC keys (docs/channels.md) are held in memory, like terminal working keys; a sealed key needs the local master key.
    const channelMacKeys = config.channels.some((channel) => channel.mac !== undefined && !channel.disabled) ? openChannelMacKeys(config, keyVault ?? TerminalKeyVault.fromSettings(config.security)) : new Map();
    const channels = new Map<string, UpstreamChannel>();
    for (const channelConfig of config.channels) {
      if (channelConfig.disabled) continue;
      channels.set(
        channelConfig.name,
        new UpstreamChannel({
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
          logger,
          tls: tls.channels.get(channelConfig.name),
          mac: channelMacKeys.get(channelConfig.name),
          onMacRejected: (reason) => metrics.recordChannelMacRejected(channelConfig.name, reason),
        }),
      );
    }
    cleanups.push(async () => {
      for (const channel of channels.values()) await channel.close();
    });

    let engine: Payments | undefined;
    let transactions: TransactionSet | undefined;
    const reversalTimeoutMs = Math.max(1_000, ...config.channels.map((channel) => channel.timeoutMs));
    const worker = new ReversalWorker({
      store,
      channels,
      clock,
      logger,
      triesMax: config.engine.reversal.triesMax,
      backoffMs: config.engine.reversal.backoffMs,
      backoffMsMax: config.engine.reversal.backoffMsMax,
      timeoutMs: reversalTimeoutMs,
      batchMax: 64,
      pollIntervalMs: 1_000,
      acquirerIdFor: (name) => config.channels.find((channel) => channel.name === name)?.acquirerId ?? '00000000001',
      onSettledInTx: async (tx, settled) => {
        if (engine !== undefined) await engine.onReversalSettledInTx(tx, settled);
        // A reversed void or cancel reopens its original, in the same transaction.
        if (transactions !== undefined) await transactions.onReversalSettledInTx(tx, settled);
      },
      onSettled: (settled) => engine?.onReversalSettled(settled),
    });

    // One set of fee hooks serves sales (engine), follow-ups (transaction set) and manual resolutions (HTTP).
    const fees: FollowUpFeeHooks = createPaymentFeeHooks({ plans: () => feePlans, settings: feeSettings, clock, logger });

    // Channel health: every attempt result, echo and connection state feeds a circuit breaker per channel;
    // routing skips open circuits. Circuit changes go to the event stream.
    const healthMonitor = new ChannelHealthMonitor({
      channelNames: [...channels.keys()],
      settings: config.routing.breaker,
      clock,
      logger,
      store,
      healthOf: () => [...channels.values()].map((channel) => channel.health()),
    });
    healthMonitor.start(config.routing.healthPollIntervalMs);
    cleanups.push(() => healthMonitor.stop());
    const router = createChannelRouter({ rules: routingRules, channels: config.channels, random, monitor: healthMonitor });

    engine = new Payments({
      store,
      // Every sale attempt is counted by outcome, code and channel on its way back from the channel.
      // PIN translation sits outside the health monitor: a PIN block that cannot be translated never reaches the channel, so it says nothing of the channel's health.
      channels: [...channels].map(([name, channel]) =>
        pinTranslatingChannel(instrumentChannel(monitorChannel({ name, send: (request, sendOptions) => channel.send(request, sendOptions) }, healthMonitor), metrics, clock.nowMs), {
          hsm,
          zonePinKeyRef: config.channels.find((candidate) => candidate.name === name)?.zonePinKey?.keyRef,
          logger,
        }),
      ),
      router,
      clock,
      random,
      logger,
      settings: engineSettingsFromConfig(config),
      binTable,
      reversalWorker: worker,
      fees,
    });
    const running = engine;
    // The transaction set (void, refund, completion, cancel, balance, settlement) follows up on the engine's sales.
    transactions = new TransactionSet({
      store,
      channels: [...channels].map(([name, channel]) => ({ name, send: (request: IsoMessage, sendOptions: { timeoutMs: number }) => channel.send(request, sendOptions) })),
      clock,
      random,
      logger,
      settings: transactionSettingsFromConfig(config, running.settings),
      reversalWorker: worker,
      fees,
    });
    const followUps = transactions;
    followUps.startAdviceForwarding(Math.min(config.engine.transactions.adviceRetryMs, 10_000));
    cleanups.push(() => followUps.close());
    for (const [name, channel] of channels) {
      channel.onUnmatchedReply((message, info) => {
        running.handleUnmatchedReply(name, message, info).catch((error: unknown) => {
          logger.error({ channel: name, error: error instanceof Error ? error.message : 'unknown' }, 'late reply handling failed');
        });
      });
      channel.start();
    }
    worker.start();
    cleanups.push(() => worker.stop());
    // One SQLite file has one gateway process, so everything pending now was left by the last run. On
    // PostgreSQL other nodes may be mid-payment: only what is older than any legitimate payment is taken.
    const recoveryAgeMs = store.kind === 'sqlite' ? 0 : 2 * config.engine.terminalTimeoutMs;
    await running.recoverAfterRestart({ createdBeforeMs: clock.nowMs() - recoveryAgeMs });
    running.startRecoverySweeps(config.engine.terminalTimeoutMs);

    const terminalMonitor = new TerminalMonitor({ store, clock, logger, settings: config.monitoring, localOffsetMinutes: running.settings.localOffsetMinutes });
    terminalMonitor.start(config.monitoring.checkIntervalMs);
    cleanups.push(() => terminalMonitor.stop());

    const terminalPorts: Record<string, number> = {};
    const servers: TerminalServer[] = [];
    // Terminal sales are counted in reswipe_payments_total here; HTTP sales are counted by the HTTP app.
    const countingEngine: Pick<Payments, 'authorize' | 'waitUntilAnswered' | 'reverseByTerminal' | 'settings'> = {
      async authorize(request) {
        const result = await running.authorize(request);
        if (result.kind === 'completed') metrics.recordPayment(result.view.status);
        return result;
      },
      waitUntilAnswered: (scope, key, untilMs) => running.waitUntilAnswered(scope, key, untilMs),
      reverseByTerminal: (input) => running.reverseByTerminal(input),
      get settings() {
        return running.settings;
      },
    };
    metrics.setSources({
      reversalQueueStats: () => store.reversalQueueStats(),
      terminalConnections: () => servers.reduce((sum, server) => sum + server.connections, 0),
      nowMs: () => clock.nowMs(),
      engineRecovery: () => running.recoveryStats(),
    });
    cleanups.push(async () => {
      await running.close();
    });
    const workingKeys = keyVault === null ? undefined : new WorkingKeys({ store, vault: keyVault, clock });
    for (const [index, listener] of config.listeners.entries()) {
      const server = new TerminalServer({
        listener,
        engine: countingEngine,
        transactions: followUps,
        store,
        clock,
        logger,
        macMode: macModes[index] ?? 'required',
        ...(workingKeys === undefined ? {} : { keys: workingKeys }),
        onMacRejected: (reason) => metrics.recordTerminalMacRejected(listener.name, reason),
        tls: tls.listeners.get(listener.name),
      });
      if (listener.tls !== undefined) tlsReloaders.push(new TlsCertificateReloader({ field: `listeners[${index}].tls`, files: listener.tls, target: server, logger, checkIntervalMs: 0 }));
      terminalPorts[listener.name] = await server.start();
      servers.push(server);
      cleanups.push(() => server.close(Math.min(config.engine.terminalTimeoutMs, 30_000)));
    }

    let httpPort: number | null = null;
    let operationsPort: number | null = null;
    if (options.withoutHttp !== true) {
      const http = await startHttp(config, {
        engine: running,
        transactions: followUps,
        store,
        logger,
        clock,
        metrics,
        plans: feePlans,
        onPlansChange: (next: typeof feePlans) => {
          feePlans = next;
        },
        // Connection state plus the breaker's verdict: a connected channel with an open circuit takes no sales,
        // unless it answered sales within the breaker's window: then it is still probed by trial sales as the
        // last reachable channel of its route (docs/routing.md), so it still counts as usable.
        channelHealth: () => {
          const circuits = healthMonitor.view();
          return [...channels.values()].map((channel) => {
            const health = channel.health();
            const circuit = circuits.find((view) => view.name === health.name);
            const available = circuit === undefined || circuit.available || circuit.window.results > circuit.window.failures;
            return { ...health, available };
          });
        },
        manualHandling: { fees, kickReversals: () => worker.kick() },
        monitoring: {
          terminalCached: (id) => terminalMonitor.cached(id),
          terminal: (id) => terminalMonitor.terminal(id),
          channel: (name) => healthMonitor.view().find((view) => view.name === name) ?? null,
        },
        https: tls.http,
      });
      httpPort = http.port;
      operationsPort = http.operationsPort;
      cleanups.push(http.close);
      if (config.http.tls !== undefined && http.tlsTarget !== null) {
        const reloader = new TlsCertificateReloader({ field: 'http.tls', files: config.http.tls, target: http.tlsTarget, logger, checkIntervalMs: config.http.tls.reloadCheckIntervalMs });
        reloader.start();
        cleanups.push(async () => reloader.stop());
        tlsReloaders.push(reloader);
      }
    }

    let stopped = false;
    return {
      httpPort,
      operationsPort,
      terminalPorts,
      engine: running,
      store,
      reloadTls() {
        // Every reloader runs even when one fails, so one bad file does not hold back the others' renewals.
        const served = tlsReloaders.map((reloader) => reloader.reload('signal')).every(Boolean);
        return reloadChannelTls(config, channels, logger) && served;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await unwind();
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
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

/** Writes merchants, their terminals and the channels of the config to the store; sign-on state and batch numbers survive restarts. */
export async function seedFromConfig(store: Store, config: ReswipeConfig, nowMs: number): Promise<void> {
  await store.write(async (tx) => {
    for (const merchant of config.merchants) {
      await tx.upsertMerchant(buildMerchantRecord(merchant, await tx.getMerchant(merchant.id), nowMs));
      for (const terminalId of merchant.terminals) {
        await tx.upsertTerminal(buildTerminalRecord(terminalId, merchant.id, await tx.getTerminal(terminalId), nowMs));
      }
    }
    for (const channel of config.channels) {
      await tx.upsertChannel(buildChannelRecord(channel, await tx.getChannel(channel.name), nowMs));
    }
  });
}

interface HttpHandle {
  port: number;
  operationsPort: number | null;
  /** The https server, which takes a renewed certificate; null for plain HTTP. */
  tlsTarget: { setSecureContext(options: TlsOptions): void } | null;
  close(): Promise<void>;
}

/** Builds and starts the HTTP API on http.host/http.port, and the operations listener when configured; resolves with the bound ports. */
async function startHttp(config: ReswipeConfig, deps: Omit<HttpAppDeps, 'config'> & { metrics: NonNullable<HttpAppDeps['metrics']> }): Promise<HttpHandle> {
  const app = await buildHttpApp({ ...deps, config });
  const boundPort = (server: typeof app.server, fallback: number): number => {
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : fallback;
  };
  await app.listen({ host: config.http.host, port: config.http.port });
  // With deps.https Fastify built an https.Server (a tls.Server), whatever app.server's static type says.
  const tlsTarget = deps.https === undefined ? null : (app.server as unknown as { setSecureContext(options: TlsOptions): void });
  const { operations } = config.http;
  if (operations.mode === 'admin-key') return { port: boundPort(app.server, config.http.port), operationsPort: null, tlsTarget, close: () => app.close() };
  try {
    const ops = await buildOperationsApp({ store: deps.store, logger: deps.logger, metrics: deps.metrics, api: app, ...(deps.channelHealth === undefined ? {} : { channelHealth: deps.channelHealth }) });
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
