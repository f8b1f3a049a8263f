// Goal: GET /v1/analytics/today, /failures, /terminals and /channels answer from the hourly rollup the
// analytics projector keeps, for real payments made through the engine of a composed gateway: counts,
// recovered (failover) and lost sales, CSV with BOM, compare=previous, merchant scoping, and 400 with a
// stable code and field on bad parameters.
// Method: composeGateway with fake channels and the HTTP app (inject, no sockets) on SQLite; sales of two
// merchants: approved, declined (51, 14), one approved after bank-a was down (failover to bank-b),
// one declined then approved again (rescued, not lost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeGateway } from '../../../src/app/compose-gateway.ts';
import { createMetrics } from '../../../src/adapters/http/metrics.ts';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { businessDateOf } from '../../../src/core/fees/business-date.ts';
import { FakeChannel, reply, sale, silentLogger, testPanKey } from '../payments/sale-fixture.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';

const shopA = 'M00000000000001';
const shopB = 'M00000000000002';
const okPan = '6222020000000000018';
const otherPan = '6225880000000019';

test('analytics over HTTP from the rollup of real payments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-analytics-'));
  // 51.00 yuan is declined for funds (51), 3.00 yuan as an invalid card number (14); the rest approved.
  const answer = (request: IsoMessage) => {
    const amount = Number(request.fields[4] ?? 0);
    return reply(request, amount === 5_100 ? '51' : amount === 300 ? '14' : '00');
  };
  const bankA = new FakeChannel('bank-a', (request) => answer(request));
  const bankB = new FakeChannel('bank-b', answer);
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'a.db')}`, synchronous: 'normal' },
    security: { panKey: testPanKey, developmentMode: true },
    log: { level: 'silent' },
    engine: { terminalTimeoutMs: 3_000, autoRetriesMax: 2 },
    listeners: [],
    channels: ['bank-a', 'bank-b'].map((name, index) => ({ name, host: '127.0.0.1', port: 1, priority: index + 1, timeoutMs: 1_000, acquirerId: '00000000001', echoIntervalMs: 0 })),
    merchants: [
      { id: shopA, name: 'Shop A', mcc: '5411', terminals: ['T0000001', 'T0000002'] },
      { id: shopB, name: 'Shop B', mcc: '5411', terminals: ['T0000009'] },
    ],
  });
  const gateway = await composeGateway(config, {
    clock: { nowMs: () => Date.now() },
    random: new SeededRandom(11),
    logger: silentLogger,
    channel: (channel) => (channel.name === 'bank-a' ? bankA : bankB),
    metrics: createMetrics({ collectDefault: false }),
    listen: false,
    engineSettings: { replyMarginMs: 200, attemptMinMs: 100, inFlightMax: 100, recoveryBatchMax: 1000, closeWaitMs: 2_000 },
    reversalWorker: { timeoutMs: 200, batchMax: 16, pollIntervalMs: 20 },
  });
  try {
    await gateway.start();
    const http = gateway.http;
    assert.ok(http !== null);
    await gateway.store.write(async (tx) => {
      for (const id of ['T0000001', 'T0000002', 'T0000009']) {
        const terminal = await tx.getTerminal(id);
        if (terminal !== null) await tx.upsertTerminal({ ...terminal, signedOn: true });
      }
    });
    const nowMs = Date.now();
    const admin = generateApiKey({ scope: 'admin' }, 'admin', nowMs);
    const merchantKey = generateApiKey({ scope: 'merchant', merchantId: shopB }, 'shop b', nowMs);
    await gateway.store.write(async (tx) => {
      await tx.insertApiKey(admin.record);
      await tx.insertApiKey(merchantKey.record);
    });
    const asAdmin = { authorization: `Bearer ${admin.key}` };
    const asShopB = { authorization: `Bearer ${merchantKey.key}` };

    const pay = async (merchantId: string, terminalId: string, amountMinor: number, pan = okPan) => {
      const request = sale({ merchantId, terminalId, amountMinor, pan, idempotency: { scope: `http:${merchantId}`, key: `k-${Math.random()}`, requestHash: 'h' } });
      const result = await gateway.engine.authorize(request);
      assert.ok('view' in result, 'the sale was answered');
      return result.view;
    };
    // Shop A, T0000001: 2 approved (100 + 200), 1 declined 51 (5100, lost), 1 declined 14 (invalid card number, lost).
    assert.equal((await pay(shopA, 'T0000001', 100)).status, 'approved');
    assert.equal((await pay(shopA, 'T0000001', 200)).status, 'approved');
    assert.equal((await pay(shopA, 'T0000001', 5_100)).status, 'declined');
    assert.equal((await pay(shopA, 'T0000001', 300)).status, 'declined');
    // T0000002: a 51 decline followed by an approval of the same card, amount and terminal: rescued, not lost.
    bankA.script = (request) => reply(request, '51');
    assert.equal((await pay(shopA, 'T0000002', 700, otherPan)).status, 'declined');
    bankA.script = answer;
    assert.equal((await pay(shopA, 'T0000002', 700, otherPan)).status, 'approved');
    // Shop B: bank-a down, failover to bank-b approves: recovered automatically.
    bankA.script = () => ({ kind: 'not_sent', reason: 'no_connection', detail: 'down' });
    const recovered = await pay(shopB, 'T0000009', 900);
    assert.equal(recovered.status, 'approved');
    assert.deepEqual(recovered.attempts.map((attempt: { channel: string }) => attempt.channel), ['bank-a', 'bank-b']);
    bankA.script = answer;
    await gateway.analyticsProjector.drain();

    const date = businessDateOf(Date.now(), 'Asia/Shanghai', '00:00');
    const todayAll = await http.inject({ method: 'GET', url: '/v1/analytics/today', headers: asAdmin });
    assert.equal(todayAll.statusCode, 200, todayAll.body);
    const today = todayAll.json();
    assert.equal(today.date, date);
    assert.deepEqual(today.sales, { count: 4, amountMinor: 100 + 200 + 700 + 900 });
    assert.deepEqual(today.failures, { count: 3, amountMinor: 5_100 + 300 + 700 });
    assert.equal(today.approvalRateBps, Math.round((4 * 10_000) / 7));
    assert.deepEqual(today.recovered, { count: 1, amountMinor: 900 });
    assert.deepEqual([today.lost.count, today.lost.amountMinor], [2, 5_100 + 300], 'the 700 decline was followed by an approval');
    assert.deepEqual(
      today.failuresByArticleCause.map((share: { name: string; failures: number }) => [share.name, share.failures]),
      [['card_data', 1], ['balance', 2], ['network', 0], ['merchant_permission', 0], ['card_status', 0], ['other', 0]],
    );
    assert.equal(today.trend.length, 24);
    assert.equal(today.trend.reduce((sum: number, hour: { sales: number }) => sum + hour.sales, 0), 4);
    assert.deepEqual(today.worst.terminals.map((entry: { id: string }) => entry.id), [], 'no terminal has 5 answered payments in the window');
    const lowBar = (await http.inject({ method: 'GET', url: '/v1/analytics/today?worstMinimum=2', headers: asAdmin })).json();
    assert.deepEqual(lowBar.worst.terminals.map((entry: { id: string; failureRateBps: number }) => [entry.id, entry.failureRateBps]), [['T0000001', 5_000], ['T0000002', 5_000]], 'equal rates: more failures first');

    // A merchant-bound key sees its merchant only, and nothing when it names another.
    const own = (await http.inject({ method: 'GET', url: '/v1/analytics/today', headers: asShopB })).json();
    assert.deepEqual([own.merchantId, own.sales.count, own.failures.count], [shopB, 1, 0]);
    const other = (await http.inject({ method: 'GET', url: `/v1/analytics/today?merchantId=${shopA}`, headers: asShopB })).json();
    assert.deepEqual([other.sales.count, other.failures.count], [0, 0]);
    assert.equal((await http.inject({ method: 'GET', url: '/v1/analytics/today' })).statusCode, 401);

    // Failures by cause, with the previous period and a drill-down into GET /v1/payments.
    const byCause = await http.inject({ method: 'GET', url: `/v1/analytics/failures?from=${date}&to=${date}&by=cause&interval=hour&compare=previous&merchantId=${shopA}`, headers: asAdmin });
    assert.equal(byCause.statusCode, 200, byCause.body);
    const breakdown = byCause.json();
    assert.deepEqual(
      breakdown.groups.map((group: { key: string; articleCause: string; totals: { failures: number } }) => [group.key, group.articleCause, group.totals.failures]),
      [['insufficient_funds', 'balance', 2], ['card_data', 'card_data', 1]],
    );
    assert.equal(breakdown.buckets.length, 24);
    assert.ok(breakdown.groups.every((group: { series: unknown[] }) => group.series.length === 24));
    assert.equal(breakdown.previous.totals.failures, 0);
    assert.equal(breakdown.groups[0].previous.failures, 0);
    assert.deepEqual(breakdown.cost, { lost: 2, lostMinor: 5_400, extraAttempts: 0, retryFeesMinor: 0 });
    const drill = breakdown.groups[0].drillDown;
    assert.equal(drill.exact, true);
    const listed = (await http.inject({ method: 'GET', url: `${drill.path}?${drill.query}`, headers: asAdmin })).json();
    assert.deepEqual(listed.data.map((payment: { amountMinor: number }) => payment.amountMinor).sort((a: number, b: number) => a - b), [700, 5_100]);

    // The filters the drill-down added to GET /v1/payments: card type, brand, amount range.
    const filtered = (await http.inject({ method: 'GET', url: '/v1/payments?cardType=debit&brand=unionpay&amountMin=5000&amountMax=6000', headers: asAdmin })).json();
    assert.deepEqual(filtered.data.map((payment: { amountMinor: number }) => payment.amountMinor), [5_100]);
    const credit = (await http.inject({ method: 'GET', url: '/v1/payments?cardType=credit', headers: asAdmin })).json();
    assert.deepEqual(credit.data.map((payment: { amountMinor: number }) => payment.amountMinor), [700, 700], 'the CMB credit card of the rescued sale');
    assert.equal((await http.inject({ method: 'GET', url: '/v1/payments?amountMin=-1', headers: asAdmin })).statusCode, 400);

    const byTerminal = (await http.inject({ method: 'GET', url: `/v1/analytics/failures?by=terminal`, headers: asAdmin })).json();
    assert.deepEqual(byTerminal.groups.map((group: { key: string; totals: { failures: number; payments: number } }) => [group.key, group.totals.failures, group.totals.payments]), [
      ['T0000001', 2, 4],
      ['T0000002', 1, 2],
      ['T0000009', 0, 1],
    ]);
    const limited = (await http.inject({ method: 'GET', url: `/v1/analytics/failures?by=terminal&groups=1`, headers: asAdmin })).json();
    assert.deepEqual([limited.groups.length, limited.groupsTotal, limited.truncated], [1, 3, true]);

    // CSV: BOM, header row, yuan with two decimals and minor units; by format=csv or Accept: text/csv.
    const csv = await http.inject({ method: 'GET', url: `/v1/analytics/failures?by=cause&format=csv&merchantId=${shopA}`, headers: asAdmin });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.equal(csv.rawPayload.subarray(0, 3).toString('hex'), 'efbbbf');
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.equal(lines[0]?.split(',')[0], 'by');
    const balanceTotal = lines.find((line) => line.startsWith('cause,insufficient_funds,balance,余额或额度不足,total,'));
    assert.ok(balanceTotal !== undefined, csv.body);
    assert.match(balanceTotal, /,58\.00,5800,/);
    const viaAccept = await http.inject({ method: 'GET', url: `/v1/analytics/failures?by=cause`, headers: { ...asAdmin, accept: 'text/csv' } });
    assert.match(String(viaAccept.headers['content-type']), /^text\/csv/);

    // Terminals and channels.
    const terminals = (await http.inject({ method: 'GET', url: '/v1/analytics/terminals', headers: asShopB })).json();
    assert.deepEqual(terminals.data.map((row: { terminalId: string; sales: number; signedOn: boolean }) => [row.terminalId, row.sales, row.signedOn]), [['T0000009', 1, true]]);
    const channels = (await http.inject({ method: 'GET', url: '/v1/analytics/channels', headers: asAdmin })).json();
    const channelB = channels.data.find((row: { channel: string }) => row.channel === 'bank-b');
    assert.deepEqual([channelB.sales, channelB.failovers, channelB.attempts, channelB.extraAttempts], [1, 1, 2, 1]);
    assert.equal(typeof channelB.latency.p50Ms, 'number');

    // Bad parameters: 400 with a stable code and the field.
    for (const [url, field] of [
      ['/v1/analytics/failures?by=colour', 'by'],
      ['/v1/analytics/failures?interval=month', 'interval'],
      ['/v1/analytics/failures?from=2026-02-30&to=2026-03-01', 'from'],
      ['/v1/analytics/failures?from=2026-03-02&to=2026-03-01', 'to'],
      ['/v1/analytics/failures?from=2026-01-01&to=2026-01-09&interval=hour', 'to'],
      ['/v1/analytics/failures?groups=101', 'groups'],
      ['/v1/analytics/today?date=yesterday', 'date'],
      ['/v1/analytics/terminals?limit=0', 'limit'],
    ] as const) {
      const bad: { statusCode: number; json(): { code: string; field: string } } = await http.inject({ method: 'GET', url, headers: asAdmin });
      assert.equal(bad.statusCode, 400, url);
      assert.deepEqual([bad.json().code, bad.json().field], ['RSW_HTTP_VALIDATION', field], url);
    }
  } finally {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
