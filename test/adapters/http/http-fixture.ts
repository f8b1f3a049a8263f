// Shared set-up for the HTTP API tests: the real Fastify app over the real engine, a real SQLite
// store in a temp directory (through the engine fixture) and scripted fake channels, with one admin
// key and one key per merchant stored the way `reswipe keys create` stores them (hash only).
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { createMetrics, instrumentChannel, type Metrics } from '../../../src/adapters/http/metrics.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { standingOfMerchant } from '../../../src/app/standing/load-merchant-standing.ts';
import type { LoggerLike } from '../../../src/adapters/channels/upstream-channel.ts';
import { createFixture, merchantId, terminalId, silentLogger, reply, type Fixture, type Script } from '../../app/payments/sale-fixture.ts';

export { merchantId, terminalId };
export const otherMerchantId = 'M00000000000002';
export const panKey = 'test-pan-key-0123456789';

export interface HttpFixture {
  app: FastifyInstance;
  engine: Fixture;
  metrics: Metrics;
  adminKey: string;
  merchantKey: string;
  otherMerchantKey: string;
  close(): Promise<void>;
}

/** Amount (DE 4) → response code, like the issuer simulator's magic amounts: 51 insufficient funds, 05 do not honour. */
export const magicScript: Script = (request) => {
  const amount = Number(request.fields[4] ?? '0');
  if (request.mti.startsWith('04')) return reply(request, '00');
  if (amount === 5100) return reply(request, '51');
  if (amount === 500) return reply(request, '05');
  return reply(request, '00');
};

export async function createHttpFixture(options: { script?: Script; logger?: LoggerLike } = {}): Promise<HttpFixture> {
  const metrics = createMetrics({ collectDefault: false });
  const engineFixture = await createFixture({ scripts: [options.script ?? magicScript], settings: { panKey } });
  // Count attempts the way serve does: the engine's channels go through instrumentChannel.
  for (const channel of engineFixture.channels) {
    const original = channel.script;
    const counted = instrumentChannel({ name: channel.name, send: async (request) => original(request) }, metrics);
    channel.script = (request) => counted.send(request, { timeoutMs: 1_000 });
  }
  const nowMs = Date.now();
  await engineFixture.store.write(async (tx) => {
    await tx.upsertMerchant({ id: otherMerchantId, name: 'Other shop', mcc: '5812', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  const admin = generateApiKey({ scope: 'admin' }, 'test admin', nowMs);
  const merchant = generateApiKey({ scope: 'merchant', merchantId }, 'test merchant', nowMs);
  const other = generateApiKey({ scope: 'merchant', merchantId: otherMerchantId }, 'other merchant', nowMs);
  await engineFixture.store.write(async (tx) => {
    for (const key of [admin, merchant, other]) await tx.insertApiKey(key.record);
  });
  const config = validateConfig({ security: { panKey, developmentMode: true }, engine: { terminalTimeoutMs: 3_000 }, log: { level: 'silent' } });
  metrics.setSources({ reversalQueueStats: () => engineFixture.store.reversalQueueStats() });
  const clock = { nowMs: () => Date.now() };
  const logger = options.logger ?? silentLogger;
  const standingOf = standingOfMerchant(engineFixture.store, clock, config.standing, { timeZone: config.fees.settlementTimeZone });
  const app = await buildHttpApp({ engine: engineFixture.engine, store: engineFixture.store, clock, logger, config, metrics, standingOf, ...createHttpUseCases({ store: engineFixture.store, clock, logger, config }) });
  return {
    app,
    engine: engineFixture,
    metrics,
    adminKey: admin.key,
    merchantKey: merchant.key,
    otherMerchantKey: other.key,
    async close() {
      await app.close();
      await engineFixture.close();
    },
  };
}

let idempotencyCounter = 0;

/** A fresh Idempotency-Key per call. */
export function newIdempotencyKey(): string {
  idempotencyCounter += 1;
  return `test-${process.pid}-${idempotencyCounter}-${Math.floor(Math.random() * 1e9)}`;
}

export function saleBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    merchantId,
    terminalId,
    amountMinor: 12_345,
    currency: 'CNY',
    card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' },
    capture: true,
    reference: 'order-778',
    ...overrides,
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
