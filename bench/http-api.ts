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
import { Agent } from 'node:http';
import { generateApiKey } from '../src/adapters/http/auth.ts';
import { CardNumber } from '../src/core/cards/pan.ts';
import { approvingGateway, panFor, percentile, postJson, runLanes } from './bench-helpers.ts';

const { values } = parseArgs({ options: { sales: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '64' }, synchronous: { type: 'string', default: 'full' } } });
const sales = Number(values.sales);
const concurrency = Number(values.concurrency);
if (!Number.isSafeInteger(sales) || sales < 1 || sales > 1_000_000) throw new Error('--sales must be 1..1000000');
if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be 1..1000');
const synchronous = values.synchronous === 'normal' ? 'normal' : 'full';
const merchantId = 'M00000000000001';
const panKey = 'bench-pan-key-0123456789';


const dir = mkdtempSync(join(tmpdir(), 'reswipe-bench-http-'));
try {
  // Baseline: engine.authorize directly, the same sales and concurrency.
  const baseline = await approvingGateway({ databaseUrl: `sqlite:${join(dir, 'baseline.db')}`, synchronous, panKey, merchantId });
  const baselineEngine = baseline.engine;
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
  await baseline.close();

  // The HTTP API on a real socket.
  // The rate limits stay on (their counting is part of the cost measured) but high enough never to refuse the bench's sales.
  const gateway = await approvingGateway({ databaseUrl: `sqlite:${join(dir, 'http.db')}`, synchronous, panKey, merchantId, http: true });
  const key = generateApiKey({ scope: 'merchant', merchantId }, 'bench', Date.now());
  await gateway.store.write((tx) => tx.insertApiKey(key.record));
  const port = gateway.httpPort ?? 0;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let approved = 0;
  const httpStartMs = performance.now();
  const latenciesMs = await runLanes(sales, concurrency, async (n) => {
    const body = JSON.stringify({ amountMinor: 1000 + (n % 100), currency: 'CNY', card: { number: panFor(n), expiry: '3012', entryMode: 'manual' } });
    const answer = await postJson(agent, port, '/v1/payments', { authorization: `Bearer ${key.key}`, 'idempotency-key': `k${n}` }, body);
    if (answer.status !== 201) throw new Error(`sale ${n}: HTTP ${answer.status} ${answer.body}`);
    if ((JSON.parse(answer.body) as { status: string }).status === 'approved') approved += 1;
  });
  const httpMs = performance.now() - httpStartMs;
  agent.destroy();
  await gateway.close();

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
