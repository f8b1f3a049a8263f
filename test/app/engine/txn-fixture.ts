// Shared set-up for the transaction set tests: the real engine, TransactionSet, reversal worker (wired
// to both) and a SQLite store in a temp directory, one merchant with two signed-on terminals, and one
// scripted fake channel; the clock may be moved forward through `clockOffset`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { Payments } from '../../../src/app/payments/payments.ts';
import type { EngineSettings } from '../../../src/core/ports/payments.ts';
import { TransactionSet, defaultTransactionSettings, type FollowUpRequest } from '../../../src/app/engine/transaction-set.ts';
import { ReversalWorker } from '../../../src/app/reversals/reversal-worker.ts';
import { defaultBinTable } from '../../../src/core/cards/bin-table.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { FakeChannel, merchantId, silentLogger, terminalId, type Script } from '../payments/sale-fixture.ts';

export interface TxnFixture {
  store: Store;
  engine: Payments;
  txns: TransactionSet;
  channel: FakeChannel;
  close(): Promise<void>;
}

export async function createTxnFixture(script: Script, clockOffset: { ms: number } = { ms: 0 }, options: { reversalTriesMax?: number } = {}): Promise<TxnFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-txn-'));
  const store = await openStore(`sqlite:${join(dir, 'test.db')}`, { synchronous: 'normal', detectNestedWrites: true });
  const nowMs = Date.now();
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'Test shop', mcc: '5411', accepts: ['debit', 'credit', 'quasi-credit', 'prepaid'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.upsertTerminal({ id: terminalId, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
    await tx.upsertTerminal({ id: 'T0000002', merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  const channel = new FakeChannel('bank-a', script);
  const clock = { nowMs: () => Date.now() + clockOffset.ms };
  let engine: Payments | undefined;
  let txns: TransactionSet | undefined;
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
      await (engine as Payments).onReversalSettledInTx(tx, settled);
      await (txns as TransactionSet).onReversalSettledInTx(tx, settled);
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
  engine = new Payments({ store, channels: [channel], clock, random: new SeededRandom(7), logger: silentLogger, settings, binTable: defaultBinTable, reversalWorker: worker });
  txns = new TransactionSet({
    store,
    channels: [channel],
    clock,
    random: new SeededRandom(11),
    logger: silentLogger,
    reversalWorker: worker,
    settings: { ...defaultTransactionSettings, adviceRetryMs: 50, terminalTimeoutMs: 3_000, replyMarginMs: 200, httpTerminalId: 'RSWHTTP0', localOffsetMinutes: 480, panKey: 'test-pan-key-0123456789', channels },
  });
  worker.start();
  return {
    store,
    engine,
    txns,
    channel,
    async close() {
      await txns?.close();
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

