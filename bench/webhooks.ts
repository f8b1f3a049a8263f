// Benchmark: does a dead webhook receiver slow a sale? The same sales through the composed gateway's
// engine.authorize on SQLite, measured in the same run three ways: with no webhook endpoint; with 4 endpoints at a live
// receiver that answers 200 at once; and with 4 endpoints at a dead receiver that accepts connections
// and never answers (the worst kind of dead: every try holds a delivery slot for the whole timeout).
// The outbox worker fans every payment.completed event out and delivers it. dead / live isolates what
// a dead receiver costs a sale; live / none is the cost of webhooks themselves (the fan-out's writes
// share the store's one writer). The runs alternate twice and the figures are the means of the two.
// Usage: npm run bench:webhooks [-- --sales 1500 --concurrency 16]
// The last line is JSON for scripts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { parseArgs } from 'node:util';
import { CardNumber } from '../src/core/cards/pan.ts';
import { TerminalKeyVault } from '../src/adapters/crypto/terminal-key-vault.ts';
import { createWebhookEndpoint } from '../src/app/webhooks/create-webhook-endpoint.ts';
import { validateConfig } from '../src/core/config/config-schema.ts';
import { approvingGateway, panFor, percentile, runLanes } from './bench-helpers.ts';

const { values } = parseArgs({ options: { sales: { type: 'string', default: '1500' }, concurrency: { type: 'string', default: '16' } } });
const sales = Number(values.sales);
const concurrency = Number(values.concurrency);
if (!Number.isSafeInteger(sales) || sales < 1 || sales > 1_000_000) throw new Error('--sales must be 1..1000000');
if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be 1..1000');
const merchantId = 'M00000000000001';
const panKey = 'bench-pan-key-0123456789';
const clock = { nowMs: () => Date.now() };

// The dead receiver: accepts, reads, never answers.
const held = new Set<Socket>();
const blackhole = createServer((socket) => {
  held.add(socket);
  socket.on('data', () => undefined);
  socket.on('close', () => held.delete(socket));
});
await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
const deadPort = (blackhole.address() as { port: number }).port;
// The live receiver: answers 200 to everything at once.
const live = createHttpServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(200).end('ok'));
});
await new Promise<void>((resolve) => live.listen(0, '127.0.0.1', resolve));
const livePort = (live.address() as { port: number }).port;

interface RunResult {
  salesPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  deliveriesQueued: number;
}

async function run(dir: string, name: string, endpoints: number, port: number): Promise<RunResult> {
  // The composed gateway (the one serve runs) with its own outbox worker; an approving channel stands in for the bank.
  const webhooks = { pollIntervalMs: 100, deliveryTimeoutMs: 10_000, concurrency: 8 };
  const gateway = await approvingGateway({ databaseUrl: `sqlite:${join(dir, `${name}.db`)}`, synchronous: 'full', panKey, merchantId, extraConfig: { webhooks, alerts: { enabled: false } } });
  const store = gateway.store;
  const config = validateConfig({ security: { panKey, developmentMode: true }, webhooks });
  const vault = TerminalKeyVault.fromSettings({ developmentMode: true });
  for (let n = 0; n < endpoints; n += 1) {
    await createWebhookEndpoint({ store, clock, vault, settings: config.webhooks, developmentMode: true }, { url: `http://127.0.0.1:${port}/hook${n}`, eventTypes: ['payment.completed'], audit: async () => undefined });
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // the fan-out cursor starts at the stream's end
  const engine = gateway.engine;
  const startedMs = performance.now();
  const latenciesMs = await runLanes(sales, concurrency, async (n) => {
    const result = await engine.authorize({
      intake: 'http', merchantId, terminalId: null, amountMinor: 1000 + (n % 100), currency: 'CNY',
      card: { number: new CardNumber(panFor(n)), expiry: '3012', entryMode: 'manual' }, capture: true, reference: null,
      idempotency: { scope: `http:${merchantId}`, key: `k${n}`, requestHash: `h${n}` },
    });
    if (result.kind !== 'completed') throw new Error(`sale ${n}: ${result.kind}`);
  });
  const elapsedMs = performance.now() - startedMs;
  // Let the fan-out catch up, to show it kept pace with the sales despite the dead receiver.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const queued = (await store.outboxStats()).pending;
  for (const socket of held) socket.destroy();
  await gateway.close();
  return { salesPerSecond: (sales / elapsedMs) * 1000, p50Ms: percentile(latenciesMs, 50), p95Ms: percentile(latenciesMs, 95), deliveriesQueued: queued };
}

const mean = (a: RunResult, b: RunResult) => ({ salesPerSecond: (a.salesPerSecond + b.salesPerSecond) / 2, p50Ms: (a.p50Ms + b.p50Ms) / 2, p95Ms: (a.p95Ms + b.p95Ms) / 2 });
const dir = mkdtempSync(join(tmpdir(), 'reswipe-bench-webhooks-'));
try {
  const runs: Record<'none' | 'live' | 'dead', RunResult[]> = { none: [], live: [], dead: [] };
  for (let round = 0; round < 2; round += 1) {
    runs.none.push(await run(dir, `none${round}`, 0, 0));
    runs.live.push(await run(dir, `live${round}`, 4, livePort));
    runs.dead.push(await run(dir, `dead${round}`, 4, deadPort));
  }
  const [none, liveRun, dead] = (['none', 'live', 'dead'] as const).map((kind) => mean(runs[kind][0] as RunResult, runs[kind][1] as RunResult)) as [ReturnType<typeof mean>, ReturnType<typeof mean>, ReturnType<typeof mean>];
  const line = (label: string, r: ReturnType<typeof mean>) => `${label} ${r.salesPerSecond.toFixed(0)} sales/s, p50 ${r.p50Ms.toFixed(2)} ms, p95 ${r.p95Ms.toFixed(2)} ms`;
  console.log(`sales: ${sales} per run, ${concurrency} concurrent, SQLite synchronous=full, runs alternated none/live/dead twice`);
  console.log(line('no endpoint:                ', none));
  console.log(line('4 endpoints, live receiver: ', liveRun));
  console.log(`${line('4 endpoints, dead receiver: ', dead)} (deliveries queued: ${runs.dead.map((r) => r.deliveriesQueued).join(', ')} of ${4 * sales})`);
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  console.log(`dead / live: p50 ${ratio(dead.p50Ms, liveRun.p50Ms)}, p95 ${ratio(dead.p95Ms, liveRun.p95Ms)}, throughput ${ratio(dead.salesPerSecond, liveRun.salesPerSecond)}`);
  console.log(`live / none: p50 ${ratio(liveRun.p50Ms, none.p50Ms)}, p95 ${ratio(liveRun.p95Ms, none.p95Ms)}, throughput ${ratio(liveRun.salesPerSecond, none.salesPerSecond)}`);
  console.log(JSON.stringify({ sales, concurrency, none, live: liveRun, dead, deadVsLive: { p50: ratio(dead.p50Ms, liveRun.p50Ms), p95: ratio(dead.p95Ms, liveRun.p95Ms), throughput: ratio(dead.salesPerSecond, liveRun.salesPerSecond) }, liveVsNone: { p50: ratio(liveRun.p50Ms, none.p50Ms), p95: ratio(liveRun.p95Ms, none.p95Ms), throughput: ratio(liveRun.salesPerSecond, none.salesPerSecond) } }));
} finally {
  blackhole.close();
  live.close();
  rmSync(dir, { recursive: true, force: true });
}
