// Shared set-up for the engine tests: a real SQLite store in a temp directory, one merchant and one
// signed-on terminal, scripted fake channels, and the real reversal worker wired to the engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import type { ChannelSendResult, LoggerLike } from '../../../src/adapters/channels/upstream-channel.ts';
import { Payments } from '../../../src/app/payments/payments.ts';
import type { ChannelPort } from '../../../src/core/ports/channel.ts';
import type { EngineSettings, SaleRequest } from '../../../src/core/ports/payments.ts';
import { ReversalWorker } from '../../../src/app/reversals/reversal-worker.ts';
import { defaultBinTable } from '../../../src/core/cards/bin-table.ts';
import { CardNumber } from '../../../src/core/cards/pan.ts';
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
export class FakeChannel implements ChannelPort {
  readonly sent: IsoMessage[] = [];
  constructor(readonly name: string, public script: Script) {}
  async send(request: IsoMessage): Promise<ChannelSendResult> {
    this.sent.push(request);
    return this.script(request);
  }
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
  store: Store;
  engine: Payments;
  worker: ReversalWorker;
  channels: FakeChannel[];
  close(): Promise<void>;
}

export async function createFixture(options: { scripts?: Script[]; settings?: Partial<EngineSettings>; reversalTimeoutMs?: number; clock?: Clock } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-engine-'));
  const store = await openStore(`sqlite:${join(dir, 'test.db')}`, { synchronous: 'normal', detectNestedWrites: true });
  const nowMs = Date.now();
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'Test shop', mcc: '5411', accepts: ['debit', 'credit', 'quasi-credit', 'prepaid'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.upsertTerminal({ id: terminalId, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  const scripts = options.scripts ?? [approveAll];
  const channels = scripts.map((script, index) => new FakeChannel(`bank-${String.fromCharCode(97 + index)}`, script));
  const clock: Clock = options.clock ?? { nowMs: () => Date.now() };
  let engine: Payments | undefined;
  const worker = new ReversalWorker({
    store,
    channels: (name) => channels.find((channel) => channel.name === name) as never,
    clock,
    logger: silentLogger,
    triesMax: 3,
    backoffMs: 20,
    backoffMsMax: 50,
    timeoutMs: options.reversalTimeoutMs ?? 200,
    batchMax: 16,
    pollIntervalMs: 20,
    acquirerIdFor: () => '00000000001',
    onSettledInTx: (tx, settled) => (engine as Payments).onReversalSettledInTx(tx, settled),
    onSettled: (settled) => engine?.onReversalSettled(settled),
  });
  const settings: EngineSettings = {
    terminalTimeoutMs: 3_000,
    replyMarginMs: 200,
    autoRetriesMax: 2,
    inFlightPerTerminalMax: 1,
    queuePerTerminalMax: 4,
    inFlightMax: 100,
    attemptMinMs: 100,
    strictLuhn: false,
    strictBin: false,
    panKey: 'test-pan-key-0123456789',
    httpTerminalId: 'RSWHTTP0',
    localOffsetMinutes: 480,
    channels: channels.map((channel, index) => ({ name: channel.name, priority: index + 1, disabled: false, acquirerId: '00000000001', timeoutMs: 1_000 })),
    recoveryBatchMax: 1000,
    closeWaitMs: 2_000,
    ...options.settings,
  };
  engine = new Payments({ store, channels, clock, random: new SeededRandom(7), logger: silentLogger, settings, binTable: defaultBinTable, reversalWorker: worker });
  worker.start();
  return {
    store,
    engine,
    worker,
    channels,
    async close() {
      await engine?.close();
      await worker.stop();
      await store.close();
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
