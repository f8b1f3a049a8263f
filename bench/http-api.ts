// Benchmark: sales per second through the HTTP API (keep-alive HTTP/1.1 over a real socket: auth
// lookup, schema validation, request hash, engine, serialisation, request log and metrics) against
// a baseline measured in the same run: the same sales through engine.authorize directly. Both use
// SQLite and a channel that approves at once, so the ratio is the cost of the HTTP layer.
// Usage: npm run bench:http [-- --sales 3000 --concurrency 64 --synchronous full|normal]
// The last line is JSON for scripts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request as httpRequest } from 'node:http';
import { openStore } from '../src/adapters/store/open-store.ts';
import type { Payments } from '../src/app/payments/payments.ts';
import { buildHttpApp } from '../src/adapters/http/http-app.ts';
import { generateApiKey } from '../src/adapters/http/auth.ts';
import { createMetrics } from '../src/adapters/metrics/metrics.ts';
import { CardNumber } from '../src/core/cards/pan.ts';
import { validateConfig } from '../src/core/config/config-schema.ts';
import type { Store } from '../src/core/ports/store.ts';
import { approvingEngine, panFor, percentile, runLanes, silentLogger } from './bench-helpers.ts';

const { values } = parseArgs({ options: { sales: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '64' }, synchronous: { type: 'string', default: 'full' } } });
const sales = Number(values.sales);
const concurrency = Number(values.concurrency);
if (!Number.isSafeInteger(sales) || sales < 1 || sales > 1_000_000) throw new Error('--sales must be 1..1000000');
if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be 1..1000');
const synchronous = values.synchronous === 'normal' ? 'normal' : 'full';
const merchantId = 'M00000000000001';
const panKey = 'bench-pan-key-0123456789';

async function engineOn(store: Store): Promise<Payments> {
  const nowMs = Date.now();
  await store.write(async (tx) => {
    await tx.upsertMerchant({ id: merchantId, name: 'Bench', mcc: '5411', accepts: ['debit', 'credit'], limits: {}, feePlan: 'standard', disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs });
  });
  return approvingEngine(store, panKey);
}

function post(agent: Agent, port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'reswipe-bench-http-'));
try {
  // Baseline: engine.authorize directly, the same sales and concurrency.
  const baselineStore = await openStore(`sqlite:${join(dir, 'baseline.db')}`, { synchronous });
  const baselineEngine = await engineOn(baselineStore);
  const baselineStartMs = performance.now();
  await runLanes(sales, concurrency, async (n) => {
    const result = await baselineEngine.authorize({
      intake: 'http', merchantId, terminalId: null, amountMinor: 1000 + (n % 100), currency: 'CNY',
      card: { number: new CardNumber(panFor(n)), expiry: '3012', entryMode: 'manual' }, capture: true, reference: null,
      idempotency: { scope: `http:${merchantId}`, key: `k${n}`, requestHash: `h${n}` },
    });
    if (result.kind !== 'completed') throw new Error(`baseline sale ${n}: ${result.kind}`);
  });
  const baselineMs = performance.now() - baselineStartMs;
  await baselineEngine.close();
  await baselineStore.close();

  // The HTTP API on a real socket.
  const store = await openStore(`sqlite:${join(dir, 'http.db')}`, { synchronous });
  const engine = await engineOn(store);
  const key = generateApiKey({ scope: 'merchant', merchantId }, 'bench', Date.now());
  await store.write((tx) => tx.insertApiKey(key.record));
  // The rate limits stay on (their counting is part of the cost measured) but high enough never to refuse the bench's sales.
  const config = validateConfig({ security: { panKey, developmentMode: true }, log: { level: 'silent' }, http: { rateLimit: { perKey: { max: 1_000_000 }, perAddress: { max: 1_000_000 } } } });
  const app = await buildHttpApp({ engine, store, clock: { nowMs: () => Date.now() }, logger: silentLogger, config, metrics: createMetrics({ collectDefault: false }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let approved = 0;
  const httpStartMs = performance.now();
  const latenciesMs = await runLanes(sales, concurrency, async (n) => {
    const body = JSON.stringify({ amountMinor: 1000 + (n % 100), currency: 'CNY', card: { number: panFor(n), expiry: '3012', entryMode: 'manual' } });
    const answer = await post(agent, port, '/v1/payments', { authorization: `Bearer ${key.key}`, 'idempotency-key': `k${n}` }, body);
    if (answer.status !== 201) throw new Error(`sale ${n}: HTTP ${answer.status} ${answer.body}`);
    if ((JSON.parse(answer.body) as { status: string }).status === 'approved') approved += 1;
  });
  const httpMs = performance.now() - httpStartMs;
  agent.destroy();
  await app.close();
  await engine.close();
  await store.close();

  const baselinePerSecond = (sales / baselineMs) * 1000;
  const httpPerSecond = (sales / httpMs) * 1000;
  console.log(`sales: ${sales}, ${concurrency} concurrent clients, SQLite synchronous=${synchronous}`);
  console.log(`baseline (engine.authorize directly): ${baselinePerSecond.toFixed(0)} sales/s`);
  console.log(`HTTP API (keep-alive socket): ${httpPerSecond.toFixed(0)} sales/s, ${approved} approved; latency p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(latenciesMs, 99).toFixed(1)} ms`);
  console.log(`HTTP / baseline: ${(httpPerSecond / baselinePerSecond).toFixed(2)}`);
  console.log(JSON.stringify({ sales, concurrency, synchronous, baselinePerSecond: Math.round(baselinePerSecond), httpPerSecond: Math.round(httpPerSecond), ratio: Number((httpPerSecond / baselinePerSecond).toFixed(3)), p50Ms: Number(percentile(latenciesMs, 50).toFixed(2)), p99Ms: Number(percentile(latenciesMs, 99).toFixed(2)) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
