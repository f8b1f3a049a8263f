// Shared set-up for the engine tests: the gateway composeGateway() wires for `serve` (engine, reversal
// worker, router and breaker, fees, transaction set) on a real SQLite store in a temp directory, one
// merchant and one signed-on terminal, with scripted fake channels in place of the TCP channels and
// no port bound.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelHealth, ChannelSendResult, LoggerLike, UnmatchedReplyInfo } from '../../../src/adapters/channels/upstream-channel.ts';
import { createMetrics } from '../../../src/adapters/http/metrics.ts';
import { composeGateway, type Gateway, type GatewayChannel, type RunEvery } from '../../../src/app/compose-gateway.ts';
import type { Payments } from '../../../src/app/payments/payments.ts';
import type { EngineSettings, SaleRequest } from '../../../src/core/ports/payments.ts';
import type { ReversalWorker } from '../../../src/app/reversals/reversal-worker.ts';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import { validateConfig, type ReswipeConfig } from '../../../src/core/config/config-schema.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import type { Clock } from '../../../src/core/time/clock.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';

export const merchantId = 'M00000000000001';
export const terminalId = 'T0000001';
export const okPan = '6222020000000000018';

export const silentLogger: LoggerLike = { info() {}, warn() {}, error(o, m) { if (process.env.ENGINE_TEST_DEBUG) console.error('ERROR', m, JSON.stringify(o)); }, debug() {} };

export type Script = (request: IsoMessage) => Promise<ChannelSendResult> | ChannelSendResult;

/** A channel whose answers are scripted per request; it records every request it gets. */
export class FakeChannel implements GatewayChannel {
  readonly sent: IsoMessage[] = [];
  /** The gateway's handler of replies no request waits for (late or duplicate), for tests that deliver one. */
  unmatchedReply: ((message: IsoMessage, info: UnmatchedReplyInfo) => void) | null = null;
  constructor(readonly name: string, public script: Script) {}
  async send(request: IsoMessage): Promise<ChannelSendResult> {
    this.sent.push(request);
    return this.script(request);
  }
  health(): ChannelHealth {
    return { name: this.name, connected: 1, connections: 1, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 0 };
  }
  onUnmatchedReply(handler: (message: IsoMessage, info: UnmatchedReplyInfo) => void): void {
    this.unmatchedReply = handler;
  }
  start(): void {}
  async close(): Promise<void> {}
  sales(): IsoMessage[] {
    return this.sent.filter((message) => message.mti === '0200' || message.mti === '0100');
  }
  reversals(): IsoMessage[] {
    return this.sent.filter((message) => message.mti.startsWith('04'));
  }
}

export function reply(request: IsoMessage, code: string, extra: Record<number, string> = {}): ChannelSendResult {
  const mti = request.mti.startsWith('04') ? '0410' : request.mti === '0100' ? '0110' : '0210';
  return {
    kind: 'reply',
    message: { mti, fields: replyFields(request, code, extra) },
    sentAtMs: Date.now(),
    latencyMs: 3,
  };
}

function replyFields(request: IsoMessage, code: string, extra: Record<number, string>): IsoMessage['fields'] {
  const fields: IsoMessage['fields'] = { ...request.fields, 39: code, 37: '000000000123', ...extra };
  if (code === '00') fields[38] = 'A1B2C3';
  return fields;
}

/** Approves sales, confirms reversals. */
export const approveAll: Script = (request) => reply(request, '00');

export interface Fixture {
  gateway: Gateway;
  store: Store;
  engine: Payments;
  worker: ReversalWorker;
  channels: FakeChannel[];
  close(): Promise<void>;
}

export const testPanKey = 'test-pan-key-0123456789';

/** The config of the test gateway: one channel per script (bank-a, bank-b, ...), short timeouts, a fast reversal queue. */
export function fixtureConfig(
  dir: string,
  channelNames: readonly string[],
  options: { terminals?: readonly string[]; autoRetriesMax?: number; reversalTriesMax?: number | undefined; channelTimeoutMs?: number; adviceRetryMs?: number; breaker?: Record<string, number> | undefined } = {},
): ReswipeConfig {
  return validateConfig({
    database: { url: `sqlite:${join(dir, 'test.db')}`, synchronous: 'normal' },
    security: { panKey: testPanKey, developmentMode: true },
    log: { level: 'silent' },
    engine: {
      terminalTimeoutMs: 3_000,
      autoRetriesMax: options.autoRetriesMax ?? 2,
      queuePerTerminalMax: 4,
      reversal: { triesMax: options.reversalTriesMax ?? 3, backoffMs: 20, backoffMsMax: 50 },
      transactions: { adviceRetryMs: options.adviceRetryMs ?? 30_000 },
    },
    listeners: [],
    ...(options.breaker === undefined ? {} : { routing: { breaker: options.breaker } }),
    channels: channelNames.map((name, index) => ({ name, host: '127.0.0.1', port: 1, priority: index + 1, timeoutMs: options.channelTimeoutMs ?? 1_000, acquirerId: '00000000001', echoIntervalMs: 0 })),
    merchants: [{ id: merchantId, name: 'Test shop', mcc: '5411', terminals: [...(options.terminals ?? [terminalId])] }],
  });
}

/** Composes and starts the test gateway with `channels` for its channels, then signs its terminals on. */
export async function startFixtureGateway(
  config: ReswipeConfig,
  channels: readonly FakeChannel[],
  options: { settings?: Partial<EngineSettings>; reversalTimeoutMs?: number; clock?: Clock; store?: Store; every?: RunEvery } = {},
): Promise<Gateway> {
  const gateway = await composeGateway(config, {
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.every === undefined ? {} : { every: options.every }),
    clock: options.clock ?? { nowMs: () => Date.now() },
    random: new SeededRandom(7),
    logger: silentLogger,
    channel: (channel) => channels.find((candidate) => candidate.name === channel.name) ?? new FakeChannel(channel.name, approveAll),
    metrics: createMetrics({ collectDefault: false }),
    http: false,
    listen: false,
    engineSettings: { replyMarginMs: 200, attemptMinMs: 100, inFlightMax: 100, recoveryBatchMax: 1000, closeWaitMs: 2_000, ...options.settings },
    reversalWorker: { timeoutMs: options.reversalTimeoutMs ?? 200, batchMax: 16, pollIntervalMs: 20 },
  });
  try {
    await gateway.start();
    // Signed on, as after a terminal's 0800 (the listener's job; no listener here).
    await gateway.store.write(async (tx) => {
      for (const merchant of config.merchants) {
        for (const id of merchant.terminals) {
          const terminal = await tx.getTerminal(id);
          if (terminal !== null) await tx.upsertTerminal({ ...terminal, signedOn: true });
        }
      }
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

export async function createFixture(
  options: { scripts?: Script[]; settings?: Partial<EngineSettings>; reversalTimeoutMs?: number; clock?: Clock; breaker?: Record<string, number>; store?: Store; every?: RunEvery } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-engine-'));
  const scripts = options.scripts ?? [approveAll];
  const channels = scripts.map((script, index) => new FakeChannel(`bank-${String.fromCharCode(97 + index)}`, script));
  const gateway = await startFixtureGateway(fixtureConfig(dir, channels.map((channel) => channel.name), { breaker: options.breaker }), channels, options);
  return {
    gateway,
    store: gateway.store,
    engine: gateway.engine,
    worker: gateway.reversalWorker,
    channels,
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let keyCounter = 0;

export function sale(overrides: Partial<SaleRequest> & { pan?: string } = {}): SaleRequest {
  keyCounter += 1;
  const { pan, ...rest } = overrides;
  return {
    intake: 'http',
    merchantId,
    terminalId,
    amountMinor: 10_000,
    currency: 'CNY',
    card: { number: new CardNumber(pan ?? okPan), expiry: '3012', cvv: '123', entryMode: 'chip' },
    capture: true,
    reference: null,
    idempotency: { scope: `http:${merchantId}`, key: `key-${keyCounter}`, requestHash: `hash-${keyCounter}` },
    ...rest,
  };
}

/** A sale left by a crash between sending and recording: payment and attempt both still pending, 10 s old. */
export async function seedCrashedSale(store: Store, nowMs: number): Promise<void> {
  await store.write(async (tx) => {
    await tx.insertPayment({
      id: 'pay_crashed', kind: 'sale', status: 'pending', intake: 'http', merchantId, terminalId, amountMinor: 500, currency: 'CNY',
      panFingerprint: 'f', panMasked: '622202*********0018', cardBrand: 'unionpay', cardType: 'debit', cardIssuer: null, entryMode: 'chip',
      terminalStan: null, terminalTransmittedAt: null, reference: null, originalPaymentId: null, responseCode: null, authCode: null, rrn: null, decline: null,
      createdAtMs: nowMs - 10_000, updatedAtMs: nowMs - 10_000, version: 1,
    });
    await tx.insertAttempt({
      id: 'att_crashed', paymentId: 'pay_crashed', seq: 1, channel: 'bank-a', mti: '0200', stan: '000777', transmittedAt: '1125120000', processingCode: '000000',
      upstreamTerminalId: terminalId, outcome: 'pending', responseCode: null, authCode: null, rrn: null, latencyMs: null, sentAtMs: nowMs - 9_000, completedAtMs: null, createdAtMs: nowMs - 9_000,
    });
  });
}
