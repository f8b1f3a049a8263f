// Benchmark: QR sales per second through the gateway (the QR use cases, the real WeChat Pay v2 channel
// over HTTP to the QR sandbox in the same process: signed XML both ways, the query loop for the
// codes that are still paying) against a baseline measured in the same run and the same gateway: card
// sales through engine.authorize on a channel that approves at once. One QR sale in `--paying-every`
// answers USERPAYING and is paid at its first query (after engine.qr.queryDelaysMs[0], 100 ms here).
// Usage: npm run bench:qr [-- --sales 2000 --concurrency 64 --paying-every 10 --synchronous full|normal]
// Prints peak RSS; the last line is JSON for scripts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CardNumber } from '../src/core/cards/pan.ts';
import { startQrSandbox } from '../src/sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../src/sim/qr/wechatpay-sandbox.ts';
import { wechatMagicCode } from '../src/sim/qr/wechatpay-magic-codes.ts';
import { approvingGateway, panFor, percentile, runLanes } from './bench-helpers.ts';

const { values } = parseArgs({ options: { sales: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '64' }, 'paying-every': { type: 'string', default: '10' }, synchronous: { type: 'string', default: 'full' } } });
const sales = Number(values.sales);
const concurrency = Number(values.concurrency);
const payingEvery = Number(values['paying-every']);
if (!Number.isSafeInteger(sales) || sales < 1 || sales > 1_000_000) throw new Error('--sales must be 1..1000000');
if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1_000) throw new Error('--concurrency must be 1..1000');
if (!Number.isSafeInteger(payingEvery) || payingEvery < 1 || payingEvery > 1_000_000) throw new Error('--paying-every must be 1..1000000');
const synchronous = values.synchronous === 'normal' ? 'normal' : 'full';
const merchantId = 'M00000000000001';
const panKey = 'bench-pan-key-0123456789';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-bench-qr-'));
const wechat = new WechatPaySandbox({ ...wechatSandboxDefaults, tradesMax: sales + 10 });
const sandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, seed: 1, providers: [wechat] });
try {
  const gateway = await approvingGateway({
    databaseUrl: `sqlite:${join(dir, 'qr.db')}`,
    synchronous,
    panKey,
    merchantId,
    extraConfig: {
      engine: { qr: { budgetMs: 30_000, queryDelaysMs: [100, 200, 300] } },
      channels: [
        { name: 'bank', host: '127.0.0.1', port: 1, timeoutMs: 10_000, echoIntervalMs: 0 },
        { name: 'wx', protocol: 'wechatpay-v2', baseUrl: sandbox.url, ...wechatSandboxDefaults, timeoutMs: 5_000 },
      ],
      merchants: [{ id: merchantId, name: 'Bench', mcc: '5411', accepts: ['debit', 'credit', 'wechat'] }],
    },
  });
  try {
    // Baseline: card sales through the same gateway's engine, the same concurrency.
    const baselineStartMs = performance.now();
    await runLanes(sales, concurrency, async (n) => {
      const result = await gateway.engine.authorize({
        intake: 'http', merchantId, terminalId: null, amountMinor: 1000 + (n % 100), currency: 'CNY',
        card: { number: new CardNumber(panFor(n)), expiry: '3012', entryMode: 'manual' }, capture: true, reference: null,
        idempotency: { scope: `http:${merchantId}`, key: `card${n}`, requestHash: `h${n}` },
      });
      if (result.kind !== 'completed') throw new Error(`card sale ${n}: ${result.kind}`);
    });
    const baselineMs = performance.now() - baselineStartMs;

    let approved = 0;
    const qrStartMs = performance.now();
    const latenciesMs = await runLanes(sales, concurrency, async (n) => {
      // Fresh codes: the serial makes each one unique; every `payingEvery`-th is paying, paid at the first query.
      const authCode = wechatMagicCode(n % payingEvery === 0 ? '131001' : '130000', n + 1);
      const result = await gateway.qrPayments.takeQrPayment({
        intake: 'http', merchantId, terminalId: null, amountMinor: 1000 + (n % 100), currency: 'CNY', method: 'wechat', authCode, reference: null,
        idempotency: { scope: `http:${merchantId}`, key: `qr${n}`, requestHash: `q${n}` },
      });
      if (result.kind !== 'completed') throw new Error(`QR sale ${n}: ${result.kind}`);
      if (result.view.status === 'approved') approved += 1;
    });
    const qrMs = performance.now() - qrStartMs;

    const baselinePerSecond = (sales / baselineMs) * 1000;
    const qrPerSecond = (sales / qrMs) * 1000;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const paidInBook = wechat.book.view().totals.paidFee;
    console.log(`sales: ${sales}, ${concurrency} concurrent, 1 in ${payingEvery} paying then paid, SQLite synchronous=${synchronous}`);
    console.log(`baseline (card sales, engine.authorize, approving channel): ${baselinePerSecond.toFixed(0)} sales/s`);
    console.log(`QR sales (WeChat Pay v2 channel over HTTP to the sandbox): ${qrPerSecond.toFixed(0)} sales/s, ${approved} approved; latency p50 ${percentile(latenciesMs, 50).toFixed(1)} ms, p99 ${percentile(latenciesMs, 99).toFixed(1)} ms; sandbox book paid ${paidInBook} fen`);
    console.log(`QR / baseline: ${(qrPerSecond / baselinePerSecond).toFixed(2)}; peak RSS ${peakRssMb.toFixed(0)} MB`);
    console.log(JSON.stringify({ sales, concurrency, payingEvery, synchronous, baselinePerSecond: Math.round(baselinePerSecond), qrPerSecond: Math.round(qrPerSecond), ratio: Number((qrPerSecond / baselinePerSecond).toFixed(3)), p50Ms: Number(percentile(latenciesMs, 50).toFixed(2)), p99Ms: Number(percentile(latenciesMs, 99).toFixed(2)), approved, peakRssMb: Math.round(peakRssMb) }));
  } finally {
    await gateway.close();
  }
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
