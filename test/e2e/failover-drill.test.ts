// Goal: a failover drill. Under steady load over two channels, the primary bank dies (its process stops),
// goes black (swallows every request), slows past the channel timeout, or its link flaps; sales keep being approved
// through the backup, every money invariant holds against the two banks' own books, and the failover
// window is measured and printed like a drill report (time until traffic moved, sales lost or delayed).
// Method: two in-process issuer simulators, the real gateway (composeGateway: channels, breaker, routing,
// reversal worker, HTTP API) on a temp SQLite file, eight closed-loop HTTP lanes with unique amounts so
// every sale can be found in the banks' ledgers; every wait is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIssuerServer, issuerServerDefaults, type RunningIssuerServer } from '../../src/sim/issuer/issuer-server.ts';
import { noFaults } from '../../src/sim/issuer/fault-plan.ts';
import { viewLedger } from '../../src/sim/issuer/issuer-book.ts';
import { createLogger } from '../../src/adapters/log/logger.ts';
import { generateApiKey } from '../../src/adapters/http/auth.ts';
import { validateConfig } from '../../src/core/config/config-schema.ts';
import { composeGateway } from '../../src/app/compose-gateway.ts';

const logger = createLogger({ level: process.env.DRILL_LOG_LEVEL ?? 'silent', name: 'drill', destination: 2 });
const merchantId = 'M00000000000001';
const terminals = Array.from({ length: 8 }, (_, index) => `T000000${index + 1}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Fault = 'dies' | 'black-hole' | 'slow' | 'flaps';

interface SaleRecord {
  amountMinor: number;
  startedAtMs: number;
  endedAtMs: number;
  paymentId: string | null;
  status: string;
  verdict: string | null;
  channels: string[];
}

/** A bank; with a ledger file its books survive a restart (the "dies" drill restarts the process). */
function startBank(port = 0, ledgerFile?: string): Promise<RunningIssuerServer> {
  return startIssuerServer({ ...issuerServerDefaults, port, adminPort: 0, seed: 7, faults: { ...noFaults, lateReplyMs: 3_000 }, ledgerFile, logger });
}

async function runDrill(fault: Fault): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `reswipe-drill-${fault}-`));
  const ledgerA = join(dir, 'bank-a.ledger');
  let bankA = await startBank(0, ledgerA);
  const bankB = await startBank();
  const portA = bankA.isoPort;
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'drill.db')}`, synchronous: 'normal' },
    // A drill in a test: development mode allows the development PAN key (docs/card-data.md).
    security: { developmentMode: true },
    log: { level: 'silent' },
    // A load drill: the API's rate limits (docs/http-api.md) are raised out of its way.
    http: { host: '127.0.0.1', port: 0, rateLimit: { perKey: { max: 1_000_000 }, perAddress: { max: 1_000_000 } } },
    listeners: [],
    engine: { terminalTimeoutMs: 4_000, autoRetriesMax: 2, reversal: { triesMax: 60, backoffMs: 100, backoffMsMax: 500 } },
    channels: [
      { name: 'bank-a', host: '127.0.0.1', port: portA, timeoutMs: 800, priority: 1, echoIntervalMs: 300, connections: 2 },
      { name: 'bank-b', host: '127.0.0.1', port: bankB.isoPort, timeoutMs: 800, priority: 2, echoIntervalMs: 300, connections: 2 },
    ],
    routing: { breaker: { failuresMax: 3, windowMs: 10_000, windowAttemptsMin: 10, failureRateMaxBps: 5_000, openMs: 1_500, halfOpenSuccessesMin: 2 }, healthPollIntervalMs: 100 },
    merchants: [{ id: merchantId, name: 'Drill shop', mcc: '5411', terminals }],
  });
  const gateway = await composeGateway(config, { logger });
  await gateway.start();
  const admin = generateApiKey({ scope: 'admin' }, 'drill', Date.now());
  await gateway.store.write((tx) => tx.insertApiKey(admin.record));
  const base = `http://127.0.0.1:${gateway.httpPort ?? 0}`;
  const headers = { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' };
  const sales: SaleRecord[] = [];
  let nextAmount = 1_001;
  let stopping = false;

  async function lane(terminalId: string): Promise<void> {
    for (let round = 0; round < 10_000 && !stopping; round++) {
      const amountMinor = nextAmount++;
      const startedAtMs = Date.now();
      const body = { merchantId, terminalId, amountMinor, currency: 'CNY', card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' }, capture: true };
      const response = await fetch(`${base}/v1/payments`, { method: 'POST', headers: { ...headers, 'idempotency-key': `drill-${fault}-${amountMinor}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      const view = (await response.json()) as { id?: string; status?: string; attempts?: Array<{ channel: string }>; decline?: { verdict: string } | null };
      sales.push({ amountMinor, startedAtMs, endedAtMs: Date.now(), paymentId: view.id ?? null, status: view.status ?? `http-${response.status}`, verdict: view.decline?.verdict ?? null, channels: (view.attempts ?? []).map((attempt) => attempt.channel) });
    }
  }

  try {
    const lanes = terminals.map((terminalId) => lane(terminalId));
    await sleep(1_500);
    const faultAtMs = Date.now();
    if (fault === 'dies') await bankA.close();
    else if (fault === 'black-hole') bankA.setFaults({ ...bankA.faults(), noReply: 1 });
    else if (fault === 'slow') bankA.setFaults({ ...bankA.faults(), lateReply: 1, lateReplyMs: 3_000 });
    if (fault === 'flaps') {
      // The link drops every connection for 500 ms, then works for 500 ms, and so on (reversals included).
      for (let flip = 0; flip < 8; flip++) {
        bankA.setFaults({ ...bankA.faults(), drop: flip % 2 === 0 ? 1 : 0 });
        await sleep(500);
      }
    } else {
      await sleep(4_000);
    }
    const restoreAtMs = Date.now();
    if (fault === 'dies') bankA = await startBank(portA, ledgerA);
    else bankA.setFaults({ ...noFaults, lateReplyMs: 3_000 });
    // Long enough for the channel's reconnect backoff (capped at 10 s in serve) and a half-open probe.
    await sleep(8_000);
    stopping = true;
    await Promise.all(lanes);

    // Drain: every payment final and the reversal queue empty (bounded).
    for (let waitedMs = 0; waitedMs < 30_000; waitedMs += 200) {
      const queue = await gateway.store.reversalQueueStats();
      const pending = await gateway.store.listPendingPayments(Date.now() + 1, 10);
      if (queue.pending === 0 && pending.length === 0) break;
      await sleep(200);
    }
    const queue = await gateway.store.reversalQueueStats();
    assert.equal(queue.pending, 0, 'every reversal settled');
    assert.equal(queue.dead, 0, 'no reversal needed manual handling');

    // Money: for every sale (unique amount), the charges still standing at the two banks.
    const standing = new Map<number, number>();
    for (const bank of [bankA, bankB]) {
      for (const entry of viewLedger(bank.book, 100_000).entries) {
        if (entry.kind === 'charge' && !entry.reversed) standing.set(entry.amountMinor, (standing.get(entry.amountMinor) ?? 0) + 1);
      }
    }
    for (const sale of sales) {
      const final = sale.paymentId === null ? null : await gateway.store.getPayment(sale.paymentId);
      const charges = standing.get(sale.amountMinor) ?? 0;
      if (sale.status === 'approved') assert.equal(charges, 1, `sale ${sale.amountMinor} told approved is charged exactly once`);
      else assert.equal(charges, 0, `sale ${sale.amountMinor} told ${sale.status}/${sale.verdict} is not charged once reversals settle`);
      if (final !== null && sale.status === 'approved') assert.equal(final.status, 'approved');
    }

    // The drill report.
    const before = sales.filter((sale) => sale.endedAtMs < faultAtMs);
    const caught = sales.filter((sale) => sale.startedAtMs < faultAtMs && sale.endedAtMs >= faultAtMs);
    const during = sales.filter((sale) => sale.startedAtMs >= faultAtMs && sale.startedAtMs < restoreAtMs);
    const after = sales.filter((sale) => sale.startedAtMs >= restoreAtMs);
    const latencies = before.map((sale) => sale.endedAtMs - sale.startedAtMs).sort((a, b) => a - b);
    const normalMs = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
    const firstDirect = during.find((sale) => sale.channels[0] === 'bank-b');
    const firstApprovedB = during.find((sale) => sale.status === 'approved' && sale.channels.at(-1) === 'bank-b');
    const lost = [...caught, ...during].filter((sale) => sale.status !== 'approved');
    const delayed = during.filter((sale) => sale.status === 'approved' && (sale.channels.length > 1 || sale.endedAtMs - sale.startedAtMs > Math.max(2 * normalMs, 100)));
    const backToA = after.find((sale) => sale.channels[0] === 'bank-a' && sale.status === 'approved');
    const events = await gateway.store.listEvents(0, 500, 'channel.opened');
    const channels = (await (await fetch(`${base}/v1/channels`, { headers })).json()) as { data: Array<{ name: string; monitoring?: { circuit: string; failovers: { from: number; to: number }; latencyMs: Record<string, number | null> } }> };
    const report = {
      fault,
      sales: { before: before.length, inFlightAtFault: caught.length, during: during.length, after: after.length },
      approvedDuring: during.filter((sale) => sale.status === 'approved').length,
      normalLatencyP99Ms: normalMs,
      trafficMovedAfterMs: firstDirect === undefined ? null : firstDirect.startedAtMs - faultAtMs,
      firstBackupApprovalAfterMs: firstApprovedB === undefined ? null : firstApprovedB.endedAtMs - faultAtMs,
      salesLost: lost.length,
      lostVerdicts: [...new Set(lost.map((sale) => `${sale.status}/${sale.verdict ?? ''}`))],
      salesDelayed: delayed.length,
      worstDelayMs: Math.max(0, ...[...caught, ...during].map((sale) => sale.endedAtMs - sale.startedAtMs)),
      circuitOpenedAfterMs: events[0] === undefined ? null : events[0].atMs - faultAtMs,
      primaryBackAfterRestoreMs: backToA === undefined ? null : backToA.startedAtMs - restoreAtMs,
      channels: channels.data.map((channel) => ({ name: channel.name, circuit: channel.monitoring?.circuit, failovers: channel.monitoring?.failovers })),
    };
    console.log(`DRILL ${JSON.stringify(report)}`);
    if (process.env.DRILL_DEBUG !== undefined) console.log(JSON.stringify((await gateway.store.listEvents(0, 500)).filter((event) => event.type.startsWith('channel.')).map((event) => [event.atMs - faultAtMs, event.type, event.subjectId, event.payload.reason])));
    if (process.env.DRILL_DEBUG !== undefined) console.log(JSON.stringify(sales.map((s) => [s.startedAtMs - faultAtMs, s.endedAtMs - s.startedAtMs, s.status, s.verdict, s.channels.join(">")])));

    assert.ok(before.length > 0 && before.every((sale) => sale.status === 'approved' && sale.channels[0] === 'bank-a'), 'before the fault every sale goes to the primary');
    assert.ok(report.approvedDuring > during.length / 2, 'most sales during the outage are approved through the backup');
    if (fault !== 'flaps') assert.ok(firstDirect !== undefined, 'traffic moved to the backup without trying the primary first');
    assert.ok(events.length >= 1 && events[0]?.subjectId === 'bank-a', 'channel.opened raised for the primary');
    assert.ok(backToA !== undefined, 'traffic returns to the primary once it is healthy again');
  } finally {
    stopping = true;
    await gateway.close();
    await bankA.close().catch(() => undefined);
    await bankB.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('drill: the primary bank dies under load', { timeout: 90_000 }, () => runDrill('dies'));
test('drill: the primary bank goes black (swallows every request, reversals included)', { timeout: 90_000 }, () => runDrill('black-hole'));
test('drill: the primary bank slows past the channel timeout', { timeout: 90_000 }, () => runDrill('slow'));
test('drill: the link to the primary bank flaps (connections dropped every other 500 ms)', { timeout: 90_000 }, () => runDrill('flaps'));
