// Benchmark: sales per second through the engine of the gateway `serve` runs (composeGateway: routing,
// breaker, fees, metrics; idempotency + payment insert, local checks, attempt insert, send, outcome
// write, answer) on SQLite, against a baseline measured in the same run: the same three store writes
// per sale done directly, without the engine. The channel approves at once, so the figure is the
// gateway's own cost plus durable writes.
// Usage: npm run bench:engine [-- --sales 3000 --terminals 300 --synchronous full|normal]
// The last line is JSON for scripts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/adapters/store/open-store.ts';
import { CardNumber, fingerprintPan } from '../src/core/cards/pan.ts';
import type { Store } from '../src/core/ports/store.ts';
import { approvingGateway, panFor, percentile, runLanes } from './bench-helpers.ts';

const { values } = parseArgs({ options: { sales: { type: 'string', default: '3000' }, terminals: { type: 'string', default: '300' }, synchronous: { type: 'string', default: 'full' } } });
const sales = Number(values.sales);
const terminals = Number(values.terminals);
if (!Number.isSafeInteger(sales) || sales < 1 || sales > 1_000_000) throw new Error('--sales must be 1..1000000');
if (!Number.isSafeInteger(terminals) || terminals < 1 || terminals > 10_000) throw new Error('--terminals must be 1..10000');
const synchronous = values.synchronous === 'normal' ? 'normal' : 'full';
const merchantId = 'M00000000000001';
const terminalIds = Array.from({ length: terminals }, (_, index) => `T${String(index).padStart(7, '0')}`);
const pan = '6222020000000000018';

async function freshStore(dir: string, name: string): Promise<Store> {
  const store = await openStore(`sqlite:${join(dir, `${name}.db`)}`, { synchronous });
  const nowMs = Date.now();
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'Bench', mcc: '5411', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
    for (const id of terminalIds) await tx.upsertTerminal({ id, merchantId, state: 'active', signedOn: true, batchNo: '000001', limits: {}, lastSeenAtMs: null, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  return store;
}

const dir = mkdtempSync(join(tmpdir(), 'reswipe-bench-engine-'));
try {
  // Baseline: the three writes of a sale, straight to the store.
  const baselineStore = await freshStore(dir, 'baseline');
  const fingerprint = fingerprintPan(pan, 'bench-pan-key');
  const baselineStartMs = performance.now();
  // One lane per terminal, as the engine admits them.
  await runLanes(sales, terminals, async (n) => {
    const id = `pay_${n}`;
    const nowMs = Date.now();
    const terminalId = terminalIds[n % terminals] ?? null;
    const payment = {
      id, kind: 'sale' as const, status: 'pending' as const, intake: 'iso' as const, merchantId, terminalId, amountMinor: 1000, currency: 'CNY', panFingerprint: fingerprint,
      panMasked: '622202*********0018', cardBrand: 'unionpay' as const, cardType: 'debit' as const, cardIssuer: null, entryMode: 'chip', terminalStan: null, terminalTransmittedAt: null,
      reference: null, originalPaymentId: null, responseCode: null, authCode: null, rrn: null, decline: null, createdAtMs: nowMs, updatedAtMs: nowMs, version: 1,
    };
    await baselineStore.write(async (tx) => {
      await tx.insertIdempotency({ scope: 'bench', key: id, requestHash: 'h', paymentId: id, state: 'in_progress', responseStatus: null, responseBody: null, createdAtMs: nowMs, updatedAtMs: nowMs });
      await tx.insertPayment(payment);
    });
    const attempt = {
      id: `att_${n}`, paymentId: id, seq: 1, channel: 'bank', mti: '0200', stan: '', transmittedAt: '1125120000', processingCode: '000000', upstreamTerminalId: terminalId ?? '',
      outcome: 'pending' as const, responseCode: null, authCode: null, rrn: null, latencyMs: null, sentAtMs: null, completedAtMs: null, createdAtMs: nowMs,
    };
    await baselineStore.write(async (tx) => tx.insertAttempt({ ...attempt, stan: await tx.nextStan('bank') }));
    await baselineStore.write(async (tx) => {
      await tx.updatePayment(payment, { ...payment, status: 'approved' });
      await tx.updateIdempotency('bench', id, { paymentId: id, state: 'done', responseStatus: 201, responseBody: '{}', updatedAtMs: nowMs });
    });
  });
  const baselineMs = performance.now() - baselineStartMs;
  await baselineStore.close();

  // The gateway's engine.
  const gateway = await approvingGateway({ databaseUrl: `sqlite:${join(dir, 'engine.db')}`, synchronous, panKey: 'bench-pan-key-0123456789', merchantId, terminals: terminalIds });
  const engine = gateway.engine;
  const engineStartMs = performance.now();
  let approved = 0;
  const latenciesMs = await runLanes(sales, terminals, async (n) => {
    const result = await engine.authorize({
      intake: 'iso', merchantId, terminalId: terminalIds[n % terminals] ?? null, amountMinor: 1000 + (n % 100), currency: 'CNY',
      card: { number: new CardNumber(panFor(n)), expiry: '3012', entryMode: 'chip' }, capture: true, reference: null,
      idempotency: { scope: 'bench', key: `k${n}`, requestHash: 'h' },
    });
    if (result.kind === 'completed' && result.view.status === 'approved') approved += 1;
  });
  const engineMs = performance.now() - engineStartMs;
  await gateway.close();

  const baselinePerSecond = (sales / baselineMs) * 1000;
  const enginePerSecond = (sales / engineMs) * 1000;
  console.log(`sales: ${sales} over ${terminals} terminals, SQLite synchronous=${synchronous}`);
  console.log(`baseline (3 direct writes per sale): ${baselinePerSecond.toFixed(0)} sales/s`);
  console.log(`engine: ${enginePerSecond.toFixed(0)} sales/s, ${approved} approved; latency p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(latenciesMs, 99).toFixed(1)} ms`);
  console.log(`engine / baseline: ${(enginePerSecond / baselinePerSecond).toFixed(2)}`);
  console.log(JSON.stringify({ sales, terminals, synchronous, baselinePerSecond: Math.round(baselinePerSecond), enginePerSecond: Math.round(enginePerSecond), ratio: Number((enginePerSecond / baselinePerSecond).toFixed(3)), p50Ms: Number(percentile(latenciesMs, 50).toFixed(2)), p99Ms: Number(percentile(latenciesMs, 99).toFixed(2)) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
