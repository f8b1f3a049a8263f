// Shared set-up for the follow-up tests: the gateway composeGateway() wires for `serve` (engine,
// FollowUps, reversal worker wired to both, fees) on a SQLite store in a temp directory, one
// merchant with two signed-on terminals, and one scripted fake channel; the clock may be moved forward
// through `clockOffset`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '../../../src/app/compose-gateway.ts';
import type { Payments } from '../../../src/app/payments/payments.ts';
import type { FollowUps } from '../../../src/app/follow-ups/follow-ups.ts';
import type { FollowUpRequest } from '../../../src/core/ports/payments.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import { FakeChannel, fixtureConfig, merchantId, startFixtureGateway, terminalId, type Script } from '../payments/sale-fixture.ts';

export interface FollowUpFixture {
  gateway: Gateway;
  store: Store;
  engine: Payments;
  followUps: FollowUps;
  channel: FakeChannel;
  close(): Promise<void>;
}

export async function createFollowUpFixture(script: Script, clockOffset: { ms: number } = { ms: 0 }, options: { reversalTriesMax?: number } = {}): Promise<FollowUpFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-follow-ups-'));
  const channel = new FakeChannel('bank-a', script);
  const config = fixtureConfig(dir, ['bank-a'], { terminals: [terminalId, 'T0000002'], autoRetriesMax: 0, reversalTriesMax: options.reversalTriesMax, channelTimeoutMs: 500 });
  const gateway = await startFixtureGateway(config, [channel], { clock: { nowMs: () => Date.now() + clockOffset.ms } });
  return {
    gateway,
    store: gateway.store,
    engine: gateway.engine,
    followUps: gateway.transactions,
    channel,
    async close() {
      await gateway.close();
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

