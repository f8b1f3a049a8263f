// The deterministic simulation harness: the gateway `reswipe serve` runs, built by the same
// composeGateway() (src/app/compose-gateway.ts) from a config, on a real SQLite file: router, circuit
// breaker (channel health monitor), fees, PIN translation and metrics wrappers, the sale use cases (Payments),
// FollowUps (voids and refunds of approved sales, refund advice forwarding), ReversalWorker,
// recovery sweeps and every background loop. Only time and the wires are virtual: the clock, the
// engine's sleeps and the background loops run on the VirtualScheduler, and the channel factory
// builds SimChannels, a seeded faulty network in front of the pure issuer rules (sim-network.ts).
// Seeded HTTP clients POST their sales to the gateway's own HTTP app (Fastify inject: routes, API key
// auth, validation, request hash, no socket) and send their voids and refunds to FollowUps.followUp;
// seeded terminals pack real ISO 8583 messages in the listener's dialect (iso87-ascii: 0800 sign-on
// per connection, 0200 sales and voids, 0220/0221 refund advices, 0400/0401 reversals) and hand their
// bytes to the gateway's own terminal listener (TerminalListener.handleFrame: unpack, MAC check (off),
// parse, handle, pack; no socket), reading DE 39, DE 44 and DE 37 back from the answer's bytes. The gateway is crashed at random store
// writes (its objects dropped mid-flight, nothing closed gracefully), the store is reopened from the
// same file and a new gateway is composed and started (seed, recovery, loops), as `reswipe serve`
// does; clients reach it only once start() is done. After the load the network heals, the clock
// runs forward so reversals drain, and the auditor (auditor.ts) compares what the clients were told,
// the issuer's ledger, the QR providers' books, the store and what the gateway logged. A fifth of the
// sales are QR (WeChat Pay, Alipay, by terminal and by HTTP): the REAL QR adapters, built by the
// production factory with an injected transport, reach the QR sandbox's providers on the same virtual
// time through a seeded faulty wire (sim-qr-providers.ts), and the gateway is also crashed right after a
// provider processed a pay. A tenth are UnionPay QR (a 19-digit code starting 62, by terminal in DE 2 or
// DE 48 `QRC=`, and by HTTP): the card engine sends them to the same simulated issuer on the host link
// (DE 22 03x), which lets a code pay once, and the gateway is also crashed right after the issuer charged
// one. Same seed, same run, byte for byte.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/adapters/store/open-store.ts';
import type { LoggerLike } from '../../src/adapters/channels/upstream-channel.ts';
import { generateApiKey } from '../../src/adapters/http/auth.ts';
import { createMetrics } from '../../src/adapters/http/metrics.ts';
import { redactForLog } from '../../src/adapters/log/logger.ts';
import { composeGateway, type Gateway } from '../../src/app/compose-gateway.ts';
import type { TerminalConnection } from '../../src/adapters/terminal-link/handle-terminal-request.ts';
import type { FollowUpRequest, FollowUpResult } from '../../src/core/ports/payments.ts';
import { validateConfig, type ReswipeConfig } from '../../src/core/config/config-schema.ts';
import { isReswipeError } from '../../src/core/errors/reswipe-error.ts';
import { getDialect, getText, packMessage, unpackMessage, type IsoMessage } from '../../src/core/iso8583/index.ts';
import type { IdempotencyRecord, Store, StoreTx } from '../../src/core/ports/store.ts';
import { transmissionDateTime } from '../../src/core/payments/upstream-request.ts';
import { isUnionPayQrSale } from '../../src/core/payments/unionpay-qr-request.ts';
import { nextIntInclusive, nextUnit, SeededRandom, type Random } from '../../src/core/time/random.ts';
import { auditRun, type AuditReport, type ClientAnswer, type SimFollowUp, type SimMethod, type SimPayment } from './auditor.ts';
import { BlindResendChannel, healthyNetwork, SimChannel, SimUpstream, type NetworkFaults, type NetworkStats } from './sim-network.ts';
import { healthyQrNetwork, SimQrProviders, type QrNetworkFaults, type QrNetworkStats } from './sim-qr-providers.ts';
import { BlindRepayQrChannel, TrustingQrChannel } from './broken-qr-channels.ts';
import { simQrCodeOf, simUnionPayQrCodeOf } from './sim-qr-codes.ts';
import { LogSecretScan } from './log-secret-scan.ts';
import { buildQrChannel } from '../../src/app/channels/qr-channel-factories.ts';
import { VirtualScheduler } from './virtual-scheduler.ts';

export const simMerchantId = 'M00000000000001';
/** 32 bytes in hex: a key `serve` accepts outside development mode. */
const panKey = '10526b699f800a95a97d5f92a247b271a180be65b492fb0bbf95db79efe9c836';
/** 2026-03-02 09:00 UTC: a fixed start so DE 7 and the issuer's expiry check replay. */
const startAtMs = Date.UTC(2026, 2, 2, 9, 0, 0);
/** The dialect of the simulated gateway's terminal listener; the ISO clients pack and read their messages in it. */
const simDialectName = 'iso87-ascii';
const simDialect = getDialect(simDialectName);

/** Cards the clients pay with: mostly approving, some that decline for different reasons. */
const approvingPans = [
  '6222020000000000018',
  '6225880000000019',
  '4111111111111111',
  '5555555555554444',
  '4319400000000018',
  '6258070000000017',
  '5200828282828210',
  '3530111333300000',
] as const;
const decliningPans = ['6222020000000000026', '6217000000000000012', '4111111111111103', '5555550000000010', '6225880000000035'] as const;
export const simPans: readonly string[] = [...approvingPans, ...decliningPans];

/** Faults on the terminal link (client <-> gateway), per message. */
export interface ClientLinkFaults {
  requestLost: number;
  answerLost: number;
  /** A second copy of the request is sent (a retransmission while the first is in flight). */
  duplicateSend: number;
  delayMsMax: number;
}

export interface SimulationOptions {
  seed: number;
  payments: number;
  isoTerminals: number;
  httpClients: number;
  network: NetworkFaults;
  link: ClientLinkFaults;
  /** How many times the gateway is crashed during the load. */
  crashes: number;
  /** Virtual downtime after a crash before the gateway is up again. */
  downtimeMsMax: number;
  /** Probability that an ISO terminal which got no answer after its tries reverses the sale itself (0400), as many POS do. */
  terminalReversals: number;
  /** Tries of one sale (the first send and its resends) before a client gives up. */
  clientTriesMax: number;
  /** An upstream black hole this long early in the load (every request or reply lost): unknown outcomes whose reversals run out of tries and are dead-lettered. */
  outageMs: number;
  /** Share of the sales paid by a QR code (half WeChat Pay, half Alipay), the rest by card. */
  qrShare: number;
  /** Faults between the gateway's QR adapters and the providers, per request. */
  qrNetwork: QrNetworkFaults;
  /** How many times the gateway is crashed the instant a provider has processed a pay, before its answer (between pay and query). */
  qrCrashes: number;
  /**
   * Share of ALL sales paid by a UnionPay QR code on the host link, taken from the card sales (each card
   * sale becomes one with probability unionPayQrShare / (1 - qrShare)), so the WeChat Pay and Alipay sales
   * of a seed stay what they were.
   */
  unionPayQrShare: number;
  /** How many times the gateway is crashed the instant the issuer has charged a UnionPay QR sale, before its reply leaves. */
  unionPayQrCrashes: number;
  /** Test the auditor: the channels resend an unanswered UnionPay QR sale as a new request (new STAN), presenting a spent code again. */
  brokenUnionPayQrResend?: boolean;
  /** Test the auditor: the QR channels pay an unanswered pay AGAIN as a new order (a new out_trade_no). */
  brokenQrBlindRepay?: boolean;
  /** Test the auditor: the QR channels read a pay that got no answer as paid. */
  brokenQrTrustNoAnswer?: boolean;
  /** Test the auditor: wrap the channels in the blind-resend bug. */
  brokenBlindResend?: boolean;
  /** Test the auditor: the channels resend an unanswered refund advice as a new one (new STAN), crediting twice. */
  brokenBlindAdvice?: boolean;
  /** Test the auditor: a store that never finds an idempotency key, so every resend is a new payment. */
  brokenForgetfulIdempotency?: boolean;
  /**
   * Test the auditor: the engine is told an unknown attempt's reversal settled the moment it is queued, so its
   * retry-after-reversal path sends the new attempt BEFORE the reversal is confirmed.
   */
  brokenRetryBeforeReversal?: boolean;
  /** Upstream channels to the one issuer: 2 by default; 1 shows recovery on the only channel. */
  channelCount?: 1 | 2;
  /** Keep the SQLite file afterwards (for debugging a seed). */
  keepFiles?: boolean;
  /** Audit the known gaps as violations too (RESWIPE_SIM_STRICT=1). */
  strict?: boolean;
}

/**
 * The simulated gateway's config: timeouts short enough to run fast in virtual time, in the same
 * ratios as production; everything else is the shipped default. Channel hosts are never dialled
 * (the channel factory builds SimChannels). One terminal listener (never opened: `listen: false`),
 * whose request handling the ISO clients reach without a socket; MACs off, as on a development listener.
 */
function simConfig(dbPath: string, channels: readonly string[], isoTerminals: number, qrChannels: ReadonlyArray<Record<string, unknown>>): ReswipeConfig {
  return validateConfig({
    database: { url: `sqlite:${dbPath}`, synchronous: 'normal' },
    security: { panKey },
    log: { level: 'error' },
    // The rate limits stay on but never refuse a simulated client.
    http: { rateLimit: { perKey: { max: 1_000_000 }, perAddress: { max: 1_000_000 } } },
    engine: {
      terminalTimeoutMs: 6_000,
      autoRetriesMax: 2,
      inFlightPerTerminalMax: 1,
      queuePerTerminalMax: 8,
      reversal: { triesMax: 6, backoffMs: 1_000, backoffMsMax: 8_000 },
      // An HTTP QR sale gets the terminal's budget (the shortest allowed), inside the client's 8 s wait.
      qr: { budgetMs: 6_000, queryDelaysMs: [400, 600, 1_000], followUp: { triesMax: 6, backoffMs: 1_000, backoffMsMax: 8_000 } },
    },
    listeners: [{ name: 'terminals', port: 0, dialect: simDialectName, language: 'en', security: { mac: 'off' } }],
    channels: [...channels.map((name, index) => ({ name, host: '127.0.0.1', port: 1, timeoutMs: 1_500, priority: index + 1, acquirerId: acquirerIdOf(name), echoIntervalMs: 0 })), ...qrChannels],
    merchants: [{ id: simMerchantId, name: 'Sim shop', mcc: '5411', accepts: simAccepts, terminals: Array.from({ length: isoTerminals }, (_, t) => terminalIdOf(t)) }],
  });
}
const channelNames = ['bank-a', 'bank-b'] as const;
/** What the simulated shop accepts: cards, both QR providers' codes and UnionPay QR codes. */
const simAccepts = ['debit', 'credit', 'quasi-credit', 'prepaid', 'wechat', 'alipay', 'unionpay-qr'];
/** Share of approved sales whose client then voids it (same day) or refunds part of it, one or two times. */
const followUpShare = 0.12;
/** The same for QR sales, UnionPay QR included (higher: fewer of them, and only HTTP clients name a WeChat Pay or Alipay sale to void or refund). */
const qrFollowUpShare = 0.3;
/** Each channel has its own DE 32, so their STAN sequences never collide at the issuer. */
function acquirerIdOf(channel: string): string {
  return channel === 'bank-a' ? '00000000001' : '00000000002';
}
const clientTimeoutMs = 8_000;
/** After the load: the network heals and the clock runs this long so every reversal settles or dies. */
const drainMs = 10 * 60_000;
/** Hard bound on the load phase in virtual time. */
const loadMsMax = 24 * 3_600_000;

/** Derives a swarm member from a seed: which faults are on and how hard, how many crashes. */
export function swarmOptions(seed: number, payments: number): SimulationOptions {
  const random = new SeededRandom(seed ^ 0x5eed);
  const rate = (max: number): number => (nextUnit(random) < 0.5 ? 0 : Math.round(nextUnit(random) * max * 1000) / 1000);
  return {
    seed,
    payments,
    isoTerminals: nextIntInclusive(random, 1, 6),
    httpClients: nextIntInclusive(random, 0, 4),
    network: {
      notSent: rate(0.1),
      requestLost: rate(0.1),
      replyLost: rate(0.1),
      connectionLost: rate(0.08),
      malformedReply: rate(0.05),
      duplicateReply: rate(0.1),
      lateReply: rate(0.1),
      delayMsMax: nextIntInclusive(random, 5, 800),
    },
    link: { requestLost: rate(0.05), answerLost: rate(0.08), duplicateSend: rate(0.15), delayMsMax: nextIntInclusive(random, 1, 300) },
    crashes: nextIntInclusive(random, 0, 3),
    downtimeMsMax: 5_000,
    terminalReversals: nextUnit(random) < 0.5 ? 0 : 1,
    clientTriesMax: nextIntInclusive(random, 1, 3),
    outageMs: nextUnit(random) < 0.25 ? 90_000 : 0,
    // Drawn last, so the card mix of a seed stays what it was before QR joined.
    qrShare: 0.2,
    qrNetwork: { notSent: rate(0.05), requestLost: rate(0.08), answerLost: rate(0.1), slowAnswer: rate(0.08), badSignature: rate(0.03), delayMsMax: nextIntInclusive(random, 5, 600) },
    qrCrashes: nextIntInclusive(random, 0, 2),
    // Drawn last again, so every draw above stays what it was before UnionPay QR joined.
    unionPayQrShare: 0.1,
    unionPayQrCrashes: nextIntInclusive(random, 0, 2),
  };
}

/** What a run left: the audit, counts, and the numbers that show the faults really happened. */
export interface SimulationResult {
  options: SimulationOptions;
  report: AuditReport;
  stats: {
    virtualMs: number;
    tasks: number;
    writes: number;
    crashes: number;
    /** Of those, crashes the instant the issuer charged a UnionPay QR sale. */
    unionPayQrCrashes: number;
    /** Lines the gateway logged (all levels), each scanned for card numbers and QR codes. */
    logLines: number;
    network: NetworkStats;
    qrNetwork: QrNetworkStats;
    clientsGaveUp: number;
    engineErrors: string[];
  };
}

interface Generation {
  epoch: number;
  alive: boolean;
  /** start() is done: the listeners would be open now, so clients reach this generation. */
  serving: boolean;
  raw: Store;
  gateway: Gateway;
  /** Per terminal id, its connection to this generation, signed on at its first message (null: the sign-on failed, try again). */
  connections: Map<string, Promise<TerminalConnection | null>>;
}

class Crashed extends Error {
  constructor() {
    super('simulated crash');
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * The store as one gateway generation sees it: counted (so the scheduler knows when batches are
 * done), and fenced: once the generation is dead nothing it asks for is answered, a unit that had
 * not run yet rolls back, and the crash plan can kill it right before or right after a write.
 */
/** The engine's view of the store in the broken variant: a queued reversal reads as done (confirmed) at once. */
function reversalsSettledAtOnce(inner: Store): Store {
  return new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'getReversal') {
        return async (id: string) => {
          const reversal = await target.getReversal(id);
          return reversal?.state === 'pending' ? { ...reversal, state: 'done' as const } : reversal;
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function fenceStore(inner: Store, generation: () => Generation, run: RunState, forgetful: boolean): Store {
  let forgotten = 0;
  const forgetfulTx = (tx: StoreTx): StoreTx =>
    new Proxy(tx, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (property === 'getIdempotency') return async () => null;
        if (property === 'insertIdempotency') return (record: IdempotencyRecord) => target.insertIdempotency({ ...record, key: `${record.key}#${(forgotten += 1)}` });
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'write') {
        return (unit: Parameters<Store['write']>[0]) => {
          const gen = generation();
          if (!gen.alive) return never();
          run.writes += 1;
          const crashHere = run.crashPlan[0] === run.writes ? run.crashModes.shift() ?? 'after' : null;
          if (crashHere !== null) run.crashPlan.shift();
          run.scheduler.pendingWrites += 1;
          const written = target.write(async (tx) => {
            if (!gen.alive) throw new Crashed();
            if (crashHere === 'before') {
              run.crash(gen);
              throw new Crashed();
            }
            return unit(forgetful ? forgetfulTx(tx) : tx);
          });
          return written
            .finally(() => {
              run.scheduler.pendingWrites -= 1;
            })
            .then(
              (result) => {
                if (crashHere === 'after') run.crash(gen);
                return gen.alive ? result : never();
              },
              (error: unknown) => (gen.alive ? Promise.reject(error) : never()),
            );
        };
      }
      if (forgetful && property === 'getIdempotency') return async () => null;
      // Set once while the gateway is composed, before any generation runs; it touches no data.
      if (property === 'setNodeId') return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        const gen = generation();
        if (!gen.alive) return never();
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (resolved: unknown) => (gen.alive ? resolved : never()),
          (error: unknown) => (gen.alive ? Promise.reject(error) : never()),
        );
      };
    },
  });
}

interface RunState {
  scheduler: VirtualScheduler;
  writes: number;
  crashPlan: number[];
  crashModes: Array<'before' | 'after'>;
  crash(gen: Generation): void;
}

/** Runs one seeded simulation to quiescence and audits it. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-sim-'));
  const dbPath = join(dir, 'gateway.db');
  const scheduler = new VirtualScheduler(startAtMs);
  const random = new SeededRandom(options.seed);
  // Independent streams, so adding a draw in one concern does not reshuffle the others.
  const networkRandom = new SeededRandom(random.nextUint32());
  const issuerRandom = new SeededRandom(random.nextUint32());
  const clientRandom = new SeededRandom(random.nextUint32());
  const crashRandom = new SeededRandom(random.nextUint32());
  const idSeed = random.nextUint32();
  // Drawn last, so the streams above (and the sales they make) stay as they were before follow-ups.
  const followUpRandom = new SeededRandom(random.nextUint32());
  // Drawn after all the above: which sales are QR and with what code, the QR network, the QR crash plan.
  const qrRandom = new SeededRandom(random.nextUint32());
  const qrNetworkRandom = new SeededRandom(random.nextUint32());
  // Drawn after all the above: which card sales become UnionPay QR sales, their codes and crash plan.
  const unionPayQrRandom = new SeededRandom(random.nextUint32());
  const upstream = new SimUpstream(scheduler, networkRandom, issuerRandom, options.network);
  const qrProviders = new SimQrProviders(scheduler, qrNetworkRandom, options.qrNetwork);
  const qrChannelConfigs = qrProviders.channelConfigs(dir, 1_500);
  // The HTTP clients' key (its secret is random; nothing of the run depends on it).
  const apiKey = generateApiKey({ scope: 'merchant', merchantId: simMerchantId }, 'sim', startAtMs);
  const engineErrors: string[] = [];
  // Every line the gateway logs, rendered as its production logger writes it, is scanned for card numbers and codes.
  const logScan = new LogSecretScan();
  logScan.watch(simPans);
  let crashes = 0;
  let unionPayQrCrashes = 0;
  let current: Generation | null = null;

  const expectedWrites = Math.max(10, options.payments * 4);
  const crashPlan = Array.from({ length: options.crashes }, () => nextIntInclusive(crashRandom, 1, expectedWrites)).sort((a, b) => a - b);
  const run: RunState = {
    scheduler,
    writes: 0,
    crashPlan: [...new Set(crashPlan)],
    crashModes: crashPlan.map(() => (nextUnit(crashRandom) < 0.5 ? 'before' : 'after')),
    crash(gen) {
      if (!gen.alive) return;
      gen.alive = false;
      crashes += 1;
      scheduler.epoch += 1;
      const downtimeMs = nextIntInclusive(crashRandom, 0, options.downtimeMsMax);
      scheduler.after(downtimeMs, () => restart(gen));
    },
  };

  // Crashes the instant a provider has processed the n-th pay, before its answer: recovery must query and cancel.
  const qrPaysExpected = Math.max(1, Math.round(options.payments * options.qrShare));
  const qrCrashAt = new Set(Array.from({ length: options.qrCrashes }, () => nextIntInclusive(qrRandom, 1, qrPaysExpected)));
  let qrPaysProcessed = 0;
  const afterQrPay = (epoch: number) => (): void => {
    qrPaysProcessed += 1;
    const gen = current;
    if (qrCrashAt.has(qrPaysProcessed) && gen !== null && gen.epoch === epoch) run.crash(gen);
  };

  const logger = (epoch: number): LoggerLike => ({
    info(fields: unknown, message?: string) {
      logScan.scan(redactForLog(fields), redactForLog(message));
    },
    debug(fields: unknown, message?: string) {
      logScan.scan(redactForLog(fields), redactForLog(message));
    },
    warn(fields: unknown, message?: string) {
      logScan.scan(redactForLog(fields), redactForLog(message));
    },
    error(fields: unknown, message?: string) {
      logScan.scan(redactForLog(fields), redactForLog(message));
      // Expected: dead-lettered reversals and QR cancels, QR answers whose signature the network broke. Anything else is kept for the report.
      if (message !== undefined && /manual handling|dead-lettered|reversal try failed|signature does not verify/.test(message)) return;
      if (engineErrors.length < 50) engineErrors.push(`gen ${epoch}: ${message ?? ''} ${JSON.stringify(fields)}`);
    },
  });

  const start = async (epoch: number): Promise<Generation> => {
    const raw = await openStore(`sqlite:${dbPath}`, { synchronous: 'normal', detectNestedWrites: true });
    const log = logger(epoch);
    const holder: { gen: Generation | null } = { gen: null };
    const fenced = fenceStore(raw, () => holder.gen as Generation, run, options.brokenForgetfulIdempotency === true);
    const usedChannelNames = channelNames.slice(0, options.channelCount ?? channelNames.length);
    const qrTransport = qrProviders.transportFor(epoch, afterQrPay(epoch));
    const gateway = await composeGateway(simConfig(dbPath, usedChannelNames, options.isoTerminals, qrChannelConfigs), {
      store: options.brokenRetryBeforeReversal === true ? reversalsSettledAtOnce(fenced) : fenced,
      clock: scheduler.clock,
      random: new SeededRandom((idSeed + epoch * 0x9e37) >>> 0),
      logger: log,
      sleep: scheduler.sleepFor(epoch),
      every: scheduler.everyFor(epoch),
      channel: (channel) => {
        const wire = new SimChannel(channel.name, upstream, epoch);
        if (options.brokenBlindResend === true) return new BlindResendChannel(wire);
        if (options.brokenBlindAdvice === true) return new BlindResendChannel(wire, ['0220', '0221']);
        if (options.brokenUnionPayQrResend === true) return new BlindResendChannel(wire, ['0200'], isUnionPayQrSale);
        return wire;
      },
      // The real WeChat Pay v2 and Alipay adapters, their requests delivered to the simulated providers.
      qrChannel: (qrConfig, context) => {
        const port = buildQrChannel(qrConfig, { ...context, transport: qrTransport, nowMs: () => scheduler.nowMs() });
        if (options.brokenQrBlindRepay === true) return new BlindRepayQrChannel(port);
        if (options.brokenQrTrustNoAnswer === true) return new TrustingQrChannel(port);
        return port;
      },
      metrics: createMetrics({ collectDefault: false }),
      listen: false,
    });
    const gen: Generation = { epoch, alive: true, serving: false, raw, gateway, connections: new Map() };
    holder.gen = gen;
    // As serve does: seed, start the loops, recover what the generation before left, then serve. Not
    // awaited: a crash during start leaves it unresolved forever, like a dead process.
    gateway.start().then(
      () => {
        gen.serving = true;
      },
      (error: unknown) => engineErrors.push(`gen ${epoch}: start failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    return gen;
  };

  const restart = async (dead: Generation): Promise<void> => {
    // The dead generation's queued units roll back (fenced); closing only frees its connections.
    await dead.raw.close().catch(() => undefined);
    current = await start(scheduler.epoch);
  };

  // The terminals signed on before the run (the merchant and the channels are seeded by every start,
  // from the config; sign-on state survives it), then start generation 0.
  {
    const seedStore = await openStore(`sqlite:${dbPath}`, { synchronous: 'normal', detectNestedWrites: true });
    await seedStore.write(async (tx) => {
      const nowMs = scheduler.nowMs();
      await tx.upsertMerchant({ id: simMerchantId, name: 'Sim shop', mcc: '5411', accepts: simAccepts, limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
      for (let t = 0; t < options.isoTerminals; t++) {
        await tx.upsertTerminal({ id: terminalIdOf(t), merchantId: simMerchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
      }
    });
    await seedStore.write((tx) => tx.insertApiKey(apiKey.record));
    await seedStore.close();
  }
  current = await start(0);

  // The payments, each with a unique amount: the issuer's ledger maps back to a payment by DE 4 alone.
  const clientsCount = Math.max(1, options.isoTerminals + options.httpClients);
  const payments: SimPayment[] = [];
  const unionPayQrCodes: string[] = [];
  const cardToUnionPayQr = options.qrShare >= 1 ? 0 : Math.min(1, options.unionPayQrShare / (1 - options.qrShare));
  let amountMinor = 1_000;
  for (let index = 0; index < options.payments; index++) {
    amountMinor += 1;
    while ((amountMinor >= 88_800 && amountMinor <= 88_899) || (amountMinor >= 99_900 && amountMinor <= 99_999)) amountMinor += 1;
    const client = index % clientsCount;
    const iso = client < options.isoTerminals || options.isoTerminals + options.httpClients === 0;
    const pan = nextUnit(clientRandom) < 0.85 ? approvingPans[nextIntInclusive(clientRandom, 0, approvingPans.length - 1)]! : decliningPans[nextIntInclusive(clientRandom, 0, decliningPans.length - 1)]!;
    // The card is drawn for every sale, so the card stream stays the same whoever pays by QR.
    const drawn: SimMethod = nextUnit(qrRandom) >= options.qrShare ? 'card' : nextUnit(qrRandom) < 0.5 ? 'wechat' : 'alipay';
    const qrCode = drawn === 'card' ? null : simQrCodeOf(drawn, index, qrRandom);
    // A card sale may become a UnionPay QR sale, drawn from its own stream: the WeChat Pay and Alipay draws above never move.
    const method: SimMethod = drawn === 'card' && nextUnit(unionPayQrRandom) < cardToUnionPayQr ? 'unionpay-qr' : drawn;
    if (method === 'unionpay-qr') unionPayQrCodes.push(simUnionPayQrCodeOf(index, unionPayQrRandom));
    payments.push({
      index,
      client,
      intake: iso ? 'iso' : 'http',
      terminalId: iso ? terminalIdOf(client) : null,
      method,
      pan: method === 'card' ? pan : '',
      authCode: method === 'unionpay-qr' ? (unionPayQrCodes.at(-1) ?? null) : qrCode,
      amountMinor,
      stan: null,
      transmittedAt: null,
      answers: [],
      told: null,
      sends: 0,
      gaveUp: false,
      reversalSent: false,
      reversalCode: null,
      followUps: [],
    });
  }

  logScan.watch(payments.flatMap((payment) => (payment.authCode === null ? [] : [payment.authCode])));
  // Crashes the instant the issuer charged the n-th UnionPay QR sale, before its reply: recovery must reverse it, never send the code again.
  const unionPayQrCrashAt = new Set(Array.from({ length: options.unionPayQrCrashes }, () => nextIntInclusive(unionPayQrRandom, 1, Math.max(1, unionPayQrCodes.length))));
  let unionPayQrCharges = 0;
  upstream.afterUnionPayQrCharge = () => {
    unionPayQrCharges += 1;
    const gen = current;
    if (!unionPayQrCrashAt.has(unionPayQrCharges) || gen === null || !gen.alive) return;
    unionPayQrCrashes += 1;
    run.crash(gen);
  };

  // ---- clients ------------------------------------------------------------------------------
  let clientsDone = 0;
  let clientsGaveUp = 0;
  const stanOf = new Map<number, number>();
  const linkDelay = (): number => nextIntInclusive(clientRandom, 0, options.link.delayMsMax);

  /** An HTTP client's sale: POST /v1/payments to the gateway's own HTTP app (Fastify inject: routes, auth, validation, no socket). */
  const handleHttpSale = async (gen: Generation, payment: SimPayment): Promise<ClientAnswer | null> => {
    const app = gen.gateway.http;
    if (app === null) throw new Error('simulation gateway built without its HTTP app');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { authorization: `Bearer ${apiKey.key}`, 'idempotency-key': `sim-${payment.index}` },
      payload:
        payment.method === 'card'
          ? { amountMinor: payment.amountMinor, currency: 'CNY', card: { number: payment.pan, expiry: '3012', cvv: '123', entryMode: 'manual' }, reference: `order-${payment.index}` }
          : { amountMinor: payment.amountMinor, currency: 'CNY', method: payment.method, authCode: payment.authCode, reference: `order-${payment.index}` },
    });
    const atMs = scheduler.nowMs();
    if (response.statusCode === 200 || response.statusCode === 201) {
      const view = response.json<{ id: string; status: string; responseCode: string | null; decline: { code: string; verdict: string } | null }>();
      // A resend gets the first answer again (201 or 200 alike); the auditor does not tell the two apart.
      const kind = 'completed';
      if (view.status === 'approved') return { atMs, kind, code: '00', verdict: 'done', paymentId: view.id, status: view.status };
      if (view.status === 'pending') return { atMs, kind, code: '98', verdict: 'wait', paymentId: view.id, status: view.status };
      return { atMs, kind, code: view.decline?.code ?? view.responseCode ?? '05', verdict: view.decline?.verdict ?? 'fix', paymentId: view.id, status: view.status };
    }
    // 409: still in progress, the client asks again later; 422: the key was used with another body.
    if (response.statusCode === 409) return { atMs, kind: 'in_progress', code: null, verdict: null, paymentId: null, status: null };
    if (response.statusCode === 422) return { atMs, kind: 'mismatch', code: '94', verdict: 'fix', paymentId: null, status: null };
    if (response.statusCode >= 500) return { atMs, kind: 'error', code: '96', verdict: 'later', paymentId: null, status: null };
    engineErrors.push(`POST /v1/payments answered ${response.statusCode} for payment ${payment.index}: ${response.body.slice(0, 200)}`);
    return null;
  };

  /**
   * One ISO message through the gateway's own terminal listener without a socket: packed in the
   * listener's dialect, then unpacked, MAC-checked (off here), parsed, handled and answered by the
   * listener's per-frame path (TerminalListener.handleFrame); the answer's bytes are read back.
   */
  const exchange = async (gen: Generation, connection: TerminalConnection, message: IsoMessage): Promise<IsoMessage | null> => {
    const listener = gen.gateway.terminalListeners[0];
    if (listener === undefined) throw new Error('simulation gateway built without its terminal listener');
    try {
      const answer = await listener.handleFrame(packMessage(simDialect, message), connection);
      return answer === null ? null : unpackMessage(simDialect, answer);
    } catch (error) {
      // The listener logs such a request and answers nothing; the terminal hears nothing.
      engineErrors.push(`terminal listener failed on ${message.mti} from ${getText(message, 41) ?? ''}: ${isReswipeError(error) ? error.code : error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };

  /** The terminal's connection to this generation: opened and signed on (0800, network code 001) before its first message, as a POS does after the gateway restarts. */
  const connectionOf = (gen: Generation, terminalId: string): Promise<TerminalConnection | null> => {
    let connection = gen.connections.get(terminalId);
    if (connection === undefined) {
      const listener = gen.gateway.terminalListeners[0];
      if (listener === undefined) throw new Error('simulation gateway built without its terminal listener');
      const opened = listener.newConnection();
      connection = exchange(gen, opened, { mti: '0800', fields: { 7: transmissionDateTime(scheduler.nowMs()), 11: '000000', 41: terminalId, 42: simMerchantId, 70: '001' } }).then((answer) => {
        if (getText(answer ?? { mti: '', fields: {} }, 39) === '00') return opened;
        gen.connections.delete(terminalId);
        if (answer !== null) engineErrors.push(`sign-on of ${terminalId} answered ${getText(answer, 39) ?? 'no DE 39'}`);
        return null;
      });
      gen.connections.set(terminalId, connection);
    }
    return connection;
  };

  /** An ISO request from the payment's terminal, on its signed-on connection; null when no answer comes back. */
  const sendIso = async (gen: Generation, payment: SimPayment, message: IsoMessage): Promise<IsoMessage | null> => {
    const connection = await connectionOf(gen, payment.terminalId ?? '');
    return connection === null ? null : exchange(gen, connection, message);
  };

  const handleSale = async (gen: Generation, payment: SimPayment): Promise<ClientAnswer | null> => {
    if (payment.intake === 'http') return handleHttpSale(gen, payment);
    const answer = await sendIso(gen, payment, saleMessageOf(payment));
    return answer === null ? null : clientViewOf(answer, scheduler.nowMs());
  };

  const handleReversal = async (gen: Generation, payment: SimPayment, repeat: boolean): Promise<string | null> => {
    const answer = await sendIso(gen, payment, reversalMessageOf(payment, repeat));
    return answer === null ? null : (getText(answer, 39) ?? null);
  };

  /** The terminal's own 0400 for a sale it got no answer to; repeated (0401) until it gets an answer. */
  const reverse = (payment: SimPayment, done: () => void): void => {
    let tries = 0;
    let answered = false;
    const send = (): void => {
      tries += 1;
      const thisTry = tries;
      if (nextUnit(clientRandom) >= options.link.requestLost) {
        scheduler.after(linkDelay(), () => {
          const gen = current;
          if (gen === null || !gen.alive || !gen.serving) return;
          void handleReversal(gen, payment, thisTry > 1).then((code) => {
            if (code === null || !gen.alive || nextUnit(clientRandom) < options.link.answerLost) return;
            scheduler.after(linkDelay(), () => {
              if (answered) return;
              answered = true;
              payment.reversalCode = code;
              done();
            });
          });
        });
      }
      scheduler.after(clientTimeoutMs, () => {
        if (answered || tries !== thisTry) return;
        if (tries < 3) send();
        else {
          answered = true;
          done();
        }
      });
    };
    payment.reversalSent = true;
    send();
  };

  const deliver = (payment: SimPayment, tryNumber: number, onAnswer: (answer: ClientAnswer) => void): void => {
    if (nextUnit(clientRandom) < options.link.requestLost) return;
    scheduler.after(linkDelay(), () => {
      const gen = current;
      if (gen === null || !gen.alive || !gen.serving) return; // connection refused while the gateway is down
      void handleSale(gen, payment).then((answer) => {
        if (answer === null || !gen.alive) return; // a dead process answers nobody
        if (nextUnit(clientRandom) < options.link.answerLost) return;
        scheduler.after(linkDelay(), () => onAnswer({ ...answer, tryNumber }));
      });
    });
  };

  /** An HTTP client's void or refund: FollowUps.followUp, as the HTTP route calls it (ISO follow-ups go through the terminal listener). */
  const handleFollowUp = async (gen: Generation, payment: SimPayment, followUp: SimFollowUp, request: FollowUpRequest): Promise<ClientAnswer | null> => {
    try {
      // A WeChat Pay or Alipay sale's void or refund goes to its provider, as the HTTP route sends it; a UnionPay QR sale's follows the card rules.
      const useCases = isProviderQr(payment.method) ? gen.gateway.qrPayments : gen.gateway.transactions;
      const result: FollowUpResult = await useCases.followUp({ ...request, deadlineMs: scheduler.nowMs() + gen.gateway.engine.settings.terminalTimeoutMs });
      const atMs = scheduler.nowMs();
      switch (result.kind) {
        case 'completed':
          return { atMs, kind: 'completed', code: result.diagnosis.code, verdict: result.diagnosis.verdict, paymentId: result.view.id, status: result.view.status };
        case 'replayed': {
          // The stored answer: approved (00), still unknown (wait), or the refusal it was.
          const status = result.view.status;
          if (status === 'pending') return { atMs, kind: 'replayed', code: null, verdict: null, paymentId: result.view.id, status };
          return { atMs, kind: 'replayed', code: status === 'approved' ? '00' : (result.view.responseCode ?? '05'), verdict: status === 'approved' ? 'done' : 'refused', paymentId: result.view.id, status };
        }
        case 'refused':
          return { atMs, kind: 'refused', code: result.refusal.isoResponseCode, verdict: 'refused', paymentId: null, status: null };
        case 'in_progress':
          return { atMs, kind: 'in_progress', code: null, verdict: null, paymentId: null, status: null };
        case 'idempotency_mismatch':
          return { atMs, kind: 'mismatch', code: '94', verdict: 'fix', paymentId: null, status: null };
      }
    } catch (error) {
      if (isReswipeError(error)) return { atMs: scheduler.nowMs(), kind: 'error', code: error.isoResponseCode ?? '96', verdict: 'later', paymentId: null, status: null };
      engineErrors.push(`followUp threw for payment ${payment.index} (${followUp.operation}): ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };

  /** One void or refund of the client's own approved sale: sent, resent on no answer (same key), up to the client's tries. */
  const sendFollowUp = (client: number, payment: SimPayment, followUp: SimFollowUp, done: () => void): void => {
    // HTTP: FollowUps.followUp naming the sale by the id the client was told, under its own key.
    const saleId = payment.told?.paymentId ?? '';
    const request: FollowUpRequest = {
      operation: followUp.operation,
      intake: 'http',
      merchantId: simMerchantId,
      originalPaymentId: saleId,
      terminalId: null,
      amountMinor: followUp.operation === 'void' ? null : followUp.amountMinor,
      currency: null,
      reference: null,
      idempotency: { scope: `http:${simMerchantId}`, key: `sim-${payment.index}-${followUp.operation}-${followUp.amountMinor}`, requestHash: `${followUp.operation}:${saleId}:${followUp.amountMinor}` },
    };
    // ISO: a 0200 void or 0220 refund advice (resent as 0221) naming the sale by DE 90 and its RRN, with its own STAN and DE 7.
    let isoStan = '';
    let isoTransmittedAt = '';
    if (payment.intake === 'iso') {
      const stan = (stanOf.get(client) ?? 0) + 1;
      stanOf.set(client, stan);
      isoStan = String(stan).padStart(6, '0');
      isoTransmittedAt = transmissionDateTime(scheduler.nowMs());
    }
    let tries = 0;
    let finished = false;
    const onAnswer = (answer: ClientAnswer): void => {
      followUp.answers.push({ ...answer, afterGiveUp: followUp.gaveUp });
      if (finished || answer.code === null) return;
      finished = true;
      followUp.told = answer;
      scheduler.after(nextIntInclusive(followUpRandom, 0, 500), done);
    };
    const deliverFollowUp = (tryNumber: number): void => {
      if (nextUnit(followUpRandom) < options.link.requestLost) return;
      scheduler.after(nextIntInclusive(followUpRandom, 0, options.link.delayMsMax), () => {
        const gen = current;
        if (gen === null || !gen.alive || !gen.serving) return;
        const answered =
          payment.intake === 'iso'
            ? sendIso(gen, payment, followUpMessageOf(payment, followUp, isoStan, isoTransmittedAt, tryNumber > 1)).then((answer) => (answer === null ? null : clientViewOf(answer, scheduler.nowMs())))
            : handleFollowUp(gen, payment, followUp, request);
        void answered.then((answer) => {
          if (answer === null || !gen.alive) return;
          if (nextUnit(followUpRandom) < options.link.answerLost) return;
          scheduler.after(nextIntInclusive(followUpRandom, 0, options.link.delayMsMax), () => onAnswer({ ...answer, tryNumber }));
        });
      });
    };
    const send = (): void => {
      tries += 1;
      followUp.sends += 1;
      const thisTry = tries;
      deliverFollowUp(thisTry);
      if (nextUnit(followUpRandom) < options.link.duplicateSend) scheduler.after(nextIntInclusive(followUpRandom, 0, 2_000), () => deliverFollowUp(thisTry));
      scheduler.after(clientTimeoutMs, () => {
        if (finished || tries !== thisTry) return;
        if (tries < options.clientTriesMax) {
          send();
          return;
        }
        finished = true;
        followUp.gaveUp = true;
        scheduler.after(0, done);
      });
    };
    send();
  };

  /** A share of approved sales: the client voids it, or refunds part of it once or twice (distinct amounts, each below the sale's). */
  const planFollowUps = (payment: SimPayment): SimFollowUp[] => {
    // An HTTP client names the sale by the id it was told; a terminal by its STAN, DE 7 and RRN.
    if (payment.told?.code !== '00' || (payment.intake === 'http' && payment.told.paymentId === null) || nextUnit(followUpRandom) >= (payment.method === 'card' ? followUpShare : qrFollowUpShare)) return [];
    // A terminal voids or refunds its WeChat Pay and Alipay sales through the HTTP API, not the terminal link
    // (docs/qr-payments.md); a UnionPay QR sale by a card void or refund advice (docs/qr-unionpay.md).
    if (payment.intake === 'iso' && isProviderQr(payment.method)) return [];
    const make = (operation: SimFollowUp['operation'], amountMinor: number): SimFollowUp => ({ operation, amountMinor, answers: [], told: null, sends: 0, gaveUp: false });
    if (nextUnit(followUpRandom) < 0.5) return [make('void', payment.amountMinor)];
    const firstMax = Math.max(1, Math.floor(payment.amountMinor * 0.4));
    const refunds = [make('refund', nextIntInclusive(followUpRandom, 1, firstMax))];
    if (nextUnit(followUpRandom) < 0.5) refunds.push(make('refund', nextIntInclusive(followUpRandom, firstMax + 1, Math.floor(payment.amountMinor * 0.8))));
    return refunds;
  };

  const runFollowUps = (client: number, payment: SimPayment, then: () => void): void => {
    const planned = planFollowUps(payment);
    payment.followUps.push(...planned);
    const step = (index: number): void => {
      const followUp = planned[index];
      if (followUp === undefined) {
        then();
        return;
      }
      scheduler.after(nextIntInclusive(followUpRandom, 0, 2_000), () => sendFollowUp(client, payment, followUp, () => step(index + 1)));
    };
    step(0);
  };

  const runClient = (client: number, queue: SimPayment[]): void => {
    const next = (): void => {
      const payment = queue.shift();
      if (payment === undefined) {
        clientsDone += 1;
        return;
      }
      const stan = (stanOf.get(client) ?? 0) + 1;
      stanOf.set(client, stan);
      payment.stan = String(stan).padStart(6, '0');
      payment.transmittedAt = transmissionDateTime(scheduler.nowMs());
      let tries = 0;
      let finished = false;
      const onAnswer = (answer: ClientAnswer): void => {
        payment.answers.push({ ...answer, afterGiveUp: payment.gaveUp });
        if (finished || answer.code === null) return;
        finished = true;
        payment.told = answer;
        const pauseMs = nextIntInclusive(clientRandom, 0, 500);
        runFollowUps(client, payment, () => scheduler.after(pauseMs, next));
      };
      const send = (): void => {
        tries += 1;
        payment.sends += 1;
        const thisTry = tries;
        deliver(payment, thisTry, onAnswer);
        if (nextUnit(clientRandom) < options.link.duplicateSend) scheduler.after(nextIntInclusive(clientRandom, 0, 2_000), () => deliver(payment, thisTry, onAnswer));
        scheduler.after(clientTimeoutMs, () => {
          if (finished || tries !== thisTry) return;
          if (tries < options.clientTriesMax) {
            send();
            return;
          }
          finished = true;
          payment.gaveUp = true;
          clientsGaveUp += 1;
          if (payment.intake === 'iso' && nextUnit(clientRandom) < options.terminalReversals) reverse(payment, () => scheduler.after(0, next));
          else scheduler.after(0, next);
        });
      };
      send();
    };
    scheduler.after(nextIntInclusive(clientRandom, 0, 1_000), next);
  };
  for (let client = 0; client < clientsCount; client++) runClient(client, payments.filter((payment) => payment.client === client));

  // ---- load, then heal and drain --------------------------------------------------------------
  if (options.outageMs > 0) {
    // A black hole upstream: requests or their replies vanish, so sales end unknown and every
    // reversal try fails until its budget is spent (dead letter, manual handling).
    scheduler.after(nextIntInclusive(crashRandom, 5_000, 30_000), () => {
      upstream.faults = { ...options.network, notSent: 0, requestLost: 0.5, replyLost: 0.5, connectionLost: 0, malformedReply: 0, duplicateReply: 0, lateReply: 0 };
      qrProviders.faults = { ...options.qrNetwork, notSent: 0, requestLost: 0.5, answerLost: 0.5, slowAnswer: 0, badSignature: 0 };
      scheduler.after(options.outageMs, () => {
        upstream.faults = options.network;
        qrProviders.faults = options.qrNetwork;
      });
    });
  }
  const loadUntilMs = scheduler.nowMs() + loadMsMax;
  while (clientsDone < clientsCount && scheduler.nowMs() < loadUntilMs) {
    const ran = await scheduler.runUntil(scheduler.nowMs() + 60_000);
    if (ran === 0 && scheduler.nextAtMs() === null) break;
  }
  if (clientsDone < clientsCount) engineErrors.push(`clients did not finish within ${loadMsMax} ms of virtual time (${clientsDone}/${clientsCount})`);
  // No more crashes; the network heals; the clock runs so every reversal settles or runs out of tries.
  run.crashPlan = [];
  qrCrashAt.clear();
  unionPayQrCrashAt.clear();
  upstream.faults = { ...healthyNetwork };
  qrProviders.faults = { ...healthyQrNetwork };
  await scheduler.runUntil(scheduler.nowMs() + drainMs);
  // Let the current run finish its last writes, then stop the generation where it stands.
  const last = current as Generation | null;
  if (last === null) throw new Error('simulation ended without a running gateway');
  last.alive = false;
  scheduler.epoch += 1;
  await scheduler.settle();

  const dbBytes = readDatabaseBytes(dbPath);
  await last.raw.close();
  const dbBytesAfterClose = readDatabaseBytes(dbPath);
  const auditStore = await openStore(`sqlite:${dbPath}`, { synchronous: 'normal', detectNestedWrites: true });
  let report: AuditReport;
  try {
    report = await auditRun({
      payments,
      book: upstream.book,
      qr: { trades: qrProviders.ledger(), pays: qrProviders.pays },
      unionPayQr: upstream.unionPayQrPresentations,
      loggedSecrets: logScan.found,
      store: auditStore,
      pans: [...simPans, ...payments.flatMap((payment) => (payment.authCode === null ? [] : [payment.authCode]))],
      goodPans: approvingPans,
      databaseBytes: [...dbBytes, ...dbBytesAfterClose],
      engineErrors,
      strict: options.strict === true,
    });
  } finally {
    await auditStore.close();
    if (options.keepFiles !== true) rmSync(dir, { recursive: true, force: true });
  }
  return {
    options,
    report,
    stats: { virtualMs: scheduler.nowMs() - startAtMs, tasks: scheduler.tasksRun, writes: run.writes, crashes, unionPayQrCrashes, logLines: logScan.lines, network: upstream.stats, qrNetwork: qrProviders.stats, clientsGaveUp, engineErrors },
  };
}

/** WeChat Pay and Alipay: paid through a provider's HTTP API, audited against its book. UnionPay QR travels the host link like a card. */
function isProviderQr(method: SimMethod): method is 'wechat' | 'alipay' {
  return method === 'wechat' || method === 'alipay';
}

function terminalIdOf(index: number): string {
  return `T${String(index + 1).padStart(7, '0')}`;
}

/**
 * The terminal's 0200 sale, as a POS packs it: chip entry, the card's expiry, its own STAN and DE 7; a QR
 * sale carries the scanned code in DE 48 (`QRC=`, entry mode 031) instead of a card. Every other UnionPay QR
 * sale carries its code in DE 2 instead, as `reswipe terminal --auth-code` sends one (docs/qr-unionpay.md).
 */
function saleMessageOf(payment: SimPayment): IsoMessage {
  if (payment.authCode !== null && payment.method === 'unionpay-qr' && payment.index % 2 === 1) {
    return {
      mti: '0200',
      fields: { 2: payment.authCode, 3: '000000', 4: amountText(payment.amountMinor), 7: payment.transmittedAt ?? '', 11: payment.stan ?? '', 22: '031', 25: '00', 41: payment.terminalId ?? '', 42: simMerchantId, 49: '156' },
    };
  }
  if (payment.authCode !== null) {
    return {
      mti: '0200',
      fields: { 3: '000000', 4: amountText(payment.amountMinor), 7: payment.transmittedAt ?? '', 11: payment.stan ?? '', 22: '031', 25: '00', 41: payment.terminalId ?? '', 42: simMerchantId, 48: `QRC=${payment.authCode}`, 49: '156' },
    };
  }
  return {
    mti: '0200',
    fields: {
      2: payment.pan,
      3: '000000',
      4: amountText(payment.amountMinor),
      7: payment.transmittedAt ?? '',
      11: payment.stan ?? '',
      14: '3012',
      22: '051',
      25: '00',
      41: payment.terminalId ?? '',
      42: simMerchantId,
      49: '156',
    },
  };
}

/** DE 90 naming the terminal's sale: its MTI, STAN and DE 7 (the acquirer and forwarder ids are zeros). */
function originalDataOf(payment: SimPayment): string {
  return `0200${payment.stan ?? ''}${payment.transmittedAt ?? ''}`.padEnd(42, '0');
}

/** The terminal's own reversal of a sale it got no answer to (0400, repeated as 0401), reason 98 (no answer). */
function reversalMessageOf(payment: SimPayment, repeat: boolean): IsoMessage {
  return {
    mti: repeat ? '0401' : '0400',
    fields: { 3: '000000', 4: amountText(payment.amountMinor), 7: payment.transmittedAt ?? '', 11: payment.stan ?? '', 39: '98', 41: payment.terminalId ?? '', 42: simMerchantId, 49: '156', 90: originalDataOf(payment) },
  };
}

/** A void (0200 `200000`, the sale's amount) or refund advice (0220 `200000`, repeated as 0221) of the terminal's approved sale. */
function followUpMessageOf(payment: SimPayment, followUp: SimFollowUp, stan: string, transmittedAt: string, repeat: boolean): IsoMessage {
  const mti = followUp.operation === 'void' ? '0200' : repeat ? '0221' : '0220';
  const rrn = payment.told?.rrn ?? null;
  const fields: IsoMessage['fields'] = {
      3: '200000',
      4: amountText(followUp.amountMinor),
      7: transmittedAt,
      11: stan,
      25: '00',
      41: payment.terminalId ?? '',
      42: simMerchantId,
      49: '156',
      90: originalDataOf(payment),
  };
  if (rrn !== null) fields[37] = rrn.padEnd(12, ' ');
  return { mti, fields };
}

/** What the terminal reads from an answer: DE 39, the DE 44 retry verdict (`LATER:30` -> `later`), the DE 37 RRN. The payment id never reaches a terminal. */
function clientViewOf(answer: IsoMessage, atMs: number): ClientAnswer {
  const code = getText(answer, 39) ?? null;
  const verdictText = getText(answer, 44);
  const verdict = verdictText === undefined ? null : (verdictText.split(':')[0] ?? '').toLowerCase();
  const rrn = getText(answer, 37)?.trim() ?? '';
  return { atMs, kind: verdict === 'wait' ? 'in_progress' : 'completed', code, verdict, paymentId: null, status: null, rrn: rrn === '' ? null : rrn };
}

function amountText(amountMinor: number): string {
  return String(amountMinor).padStart(12, '0');
}

function readDatabaseBytes(dbPath: string): Array<{ file: string; bytes: Buffer }> {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((file) => existsSync(file)).map((file) => ({ file, bytes: readFileSync(file) }));
}

/** The command that replays one seed. */
export function replayCommand(seed: number, payments: number): string {
  return `RESWIPE_SIM_SEED=${seed} RESWIPE_SIM_PAYMENTS=${payments} npm test -- test/simulation/simulation.test.ts`;
}

export type { Random };
