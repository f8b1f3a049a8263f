// Shared set-up for the follow-up tests: the real engine, FollowUps, reversal worker (wired
// to both) and a SQLite store in a temp directory, one merchant with two signed-on terminals, and one
// scripted fake channel; the clock may be moved forward through `clockOffset`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { AuthorizationEngine, type EngineSettings } from '../../../src/app/engine/authorization-engine.ts';
import { FollowUps } from '../../../src/app/follow-ups/follow-ups.ts';
import { defaultFollowUpSettings } from '../../../src/app/follow-ups/follow-up-settings.ts';
import type { FollowUpRequest } from '../../../src/core/ports/payments.ts';
import { ReversalWorker } from '../../../src/app/reversals/reversal-worker.ts';
import { defaultBinTable } from '../../../src/core/cards/bin-table.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { FakeChannel, merchantId, silentLogger, terminalId, type Script } from '../engine/engine-fixture.ts';

export interface FollowUpFixture {
  store: Store;
  engine: AuthorizationEngine;
  followUps: FollowUps;
  channel: FakeChannel;
  close(): Promise<void>;
}

export async function createFollowUpFixture(script: Script, clockOffset: { ms: number } = { ms: 0 }, options: { reversalTriesMax?: number } = {}): Promise<FollowUpFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-follow-ups-'));
  const store = await openStore(`sqlite:${join(dir, 'test.db')}`, { synchronous: 'normal', detectNestedWrites: true });
  const nowMs = Date.now();
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'Test shop', mcc: '5411', accepts: ['debit', 'credit', 'quasi-credit', 'prepaid'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.upsertTerminal({ id: terminalId, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.upsertTerminal({ id: 'T0000002', merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  const channel = new FakeChannel('bank-a', script);
  const clock = { nowMs: () => Date.now() + clockOffset.ms };
  let engine: AuthorizationEngine | undefined;
  let followUps: FollowUps | undefined;
  const worker = new ReversalWorker({
    store,
    channels: () => channel as never,
    clock,
    logger: silentLogger,
    triesMax: options.reversalTriesMax ?? 3,
    backoffMs: 20,
    backoffMsMax: 50,
    timeoutMs: 200,
    batchMax: 16,
    pollIntervalMs: 20,
    acquirerIdFor: () => '00000000001',
    onSettledInTx: async (tx, settled) => {
      await (engine as AuthorizationEngine).onReversalSettledInTx(tx, settled);
      await (followUps as FollowUps).onReversalSettledInTx(tx, settled);
    },
    onSettled: (settled) => engine?.onReversalSettled(settled),
  });
  const channels = [{ name: 'bank-a', priority: 1, disabled: false, acquirerId: '00000000001', timeoutMs: 500 }];
  const settings: EngineSettings = {
    terminalTimeoutMs: 3_000,
    replyMarginMs: 200,
    autoRetriesMax: 0,
    inFlightPerTerminalMax: 1,
    queuePerTerminalMax: 4,
    inFlightMax: 100,
    attemptMinMs: 100,
    strictLuhn: false,
    strictBin: false,
    panKey: 'test-pan-key-0123456789',
    httpTerminalId: 'RSWHTTP0',
    localOffsetMinutes: 480,
    channels,
    recoveryBatchMax: 1000,
    closeWaitMs: 2_000,
  };
  engine = new AuthorizationEngine({ store, channels: [channel], clock, random: new SeededRandom(7), logger: silentLogger, settings, binTable: defaultBinTable, reversalWorker: worker });
  followUps = new FollowUps({
    store,
    channels: [channel],
    clock,
    random: new SeededRandom(11),
    logger: silentLogger,
    reversalWorker: worker,
    settings: { ...defaultFollowUpSettings, adviceRetryMs: 50, terminalTimeoutMs: 3_000, replyMarginMs: 200, httpTerminalId: 'RSWHTTP0', localOffsetMinutes: 480, panKey: 'test-pan-key-0123456789', channels },
  });
  worker.start();
  return {
    store,
    engine,
    followUps,
    channel,
    async close() {
      await followUps?.close();
      await engine?.close();
      await worker.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let keyCounter = 0;
export function followUp(operation: FollowUpRequest['operation'], originalPaymentId: string, overrides: Partial<FollowUpRequest> = {}): FollowUpRequest {
  keyCounter += 1;
  return {
    operation,
    intake: 'http',
    merchantId,
    originalPaymentId,
    terminalId: null,
    amountMinor: null,
    currency: null,
    reference: null,
    idempotency: { scope: `http:${merchantId}`, key: `txn-${keyCounter}`, requestHash: `h-${keyCounter}` },
    ...overrides,
  };
}

