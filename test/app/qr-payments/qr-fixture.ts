// A QR engine over a real SQLite file with scripted channels and a manual clock whose sleeps advance
// it: each test drives the use cases, crashes them (a new QrPayments over the same store) and checks
// the store and the fake provider's book.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { QrPayments } from '../../../src/app/qr-payments/qr-payments.ts';
import type { QrPaymentSettings } from '../../../src/app/qr-payments/qr-deps.ts';
import { fingerprintPan } from '../../../src/core/cards/pan.ts';
import { panKeyIdOf } from '../../../src/core/config/pan-key.ts';
import type { FollowUpFeeHooks } from '../../../src/core/ports/payments.ts';
import type { QrSaleRequest } from '../../../src/core/ports/qr-payments.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import { requestHashOf } from '../../../src/core/payments/request-hash.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { FakeQrChannel } from '../../support/fake-qr-channel.ts';
import { testQrCodeTables } from '../../support/qr-code-tables.ts';

export const merchantId = 'M00000000000001';
export const terminalId = 'T0000001';
export const wechatCode = '134567890123451234';
export const alipayCode = '2812345678901234';
const panKey = 'qr-test-pan-key-qr-test-pan-key-0123456789';
export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

export const qrTestSettings: QrPaymentSettings = {
  panKey,
  panKeyId: panKeyIdOf(panKey),
  httpTerminalId: 'HTTP0001',
  httpBudgetMs: 45_000,
  terminalBudgetMs: 60_000,
  replyMarginMs: 500,
  sale: { queryDelaysMs: [2000, 3000, 5000], cancelReserveMs: 12_000, queriesMax: 30, cancelsMax: 3, cancelAgainDelayMs: 1000, notSentPaysMax: 2 },
  followUp: { triesMax: 3, backoffMs: 1000, backoffMsMax: 10_000 },
  recoveryBatchMax: 1000,
  businessTimeZone: 'Asia/Shanghai',
};

export interface QrFixture {
  store: Store;
  clock: ManualClock;
  wechat: FakeQrChannel;
  alipay: FakeQrChannel;
  engine: QrPayments;
  /** A new engine over the same store and channels, as after a crash and restart. */
  restart(): QrPayments;
  sale(overrides?: Partial<QrSaleRequest>): QrSaleRequest;
  close(): Promise<void>;
}

export async function qrFixture(options: { fees?: FollowUpFeeHooks; accepts?: string[] } = {}): Promise<QrFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-qr-'));
  const store = await openStore(`sqlite:${join(dir, 'qr.db')}`);
  const clock = new ManualClock(Date.UTC(2026, 11, 6, 2, 0, 0));
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'QR shop', mcc: '5411', accepts: options.accepts ?? ['debit', 'credit', 'wechat', 'alipay'], limits: { perSaleMinor: 1_000_000 }, feePlan: 'standard', disabled: false, createdAtMs: clock.nowMs(), updatedAtMs: clock.nowMs() });
    await tx.upsertTerminal({ id: terminalId, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: clock.nowMs(), updatedAtMs: clock.nowMs() });
  });
  const wechat = new FakeQrChannel({ name: 'wx', method: 'wechat' });
  const alipay = new FakeQrChannel({ name: 'ali', method: 'alipay' });
  let seed = 1;
  const build = () =>
    new QrPayments({
      store,
      channels: [
        { port: wechat, priority: 1, disabled: false, timeoutMs: 5000 },
        { port: alipay, priority: 1, disabled: false, timeoutMs: 5000 },
      ],
      codeTables: testQrCodeTables(),
      clock,
      random: new SeededRandom(seed++),
      logger: silentLogger,
      settings: qrTestSettings,
      fees: options.fees,
      sleep: async (ms) => clock.advance(ms),
    });
  let keyNo = 0;
  return {
    store,
    clock,
    wechat,
    alipay,
    engine: build(),
    restart: build,
    sale(overrides = {}) {
      const method = overrides.method ?? 'wechat';
      const authCode = overrides.authCode ?? (method === 'wechat' ? wechatCode : alipayCode);
      const base: QrSaleRequest = {
        intake: 'http',
        merchantId,
        terminalId: null,
        amountMinor: 2500,
        currency: 'CNY',
        method,
        authCode,
        reference: null,
        idempotency: { scope: `http:${merchantId}`, key: `key-${++keyNo}`, requestHash: requestHashOf({ method, code: fingerprintPan(authCode, panKey), amountMinor: overrides.amountMinor ?? 2500 }) },
      };
      return { ...base, ...overrides, authCode, method };
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
