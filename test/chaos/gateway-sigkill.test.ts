// Goal: with real processes, a gateway killed with SIGKILL twice mid-load never charges a card
// twice nor keeps money it told a terminal it did not take. Method: `reswipe issuer-sim` with
// random faults and a ledger file, `reswipe serve` on a temp SQLite file (synchronous=FULL), six
// codec-built terminals sending concurrent sales and resending on timeout with the same STAN and
// DE 7 as real terminals do; the gateway is SIGKILLed twice and restarted on the same file. After
// the load the faults stop and the reversals drain (bounded wait); then every sale told 00 must be
// charged exactly once in the issuer's ledger and every other sale not at all (a reversal that
// ran out of tries is allowed only with its dead-letter event, i.e. flagged for manual handling).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { de7, saleMessage } from '../e2e/terminal-client.ts';
import { chaosProcesses, runResendingTerminal } from './resending-terminal.ts';
import { openStore } from '../../src/adapters/store/open-store.ts';
import { stopChild } from '../support/reswipe-process.ts';
import { loadTestPans, moneyProblems, type LedgerEntry, type ToldSale } from '../support/sale-money-check.ts';

const terminalsCount = 6;
const salesPerTerminal = 20;
const terminalWaitMs = 6_000;
const terminalTriesMax = 4;
const pans = loadTestPans;

type Sale = ToldSale;

const { dir, startJson, cleanUp } = chaosProcesses('reswipe-chaos-');
after(cleanUp);

function killHard(child: ChildProcess): Promise<void> {
  return stopChild(child, { signal: 'SIGKILL' });
}

function stopGracefully(child: ChildProcess): Promise<void> {
  return stopChild(child, { killAfterMs: 15_000 });
}

test('two SIGKILLs mid-load: told approved is charged exactly once, everything else not at all', { timeout: 120_000 }, async () => {
  const sim = await startJson([
    'issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--seed', '4242',
    '--ledger-file', join(dir, 'issuer-ledger.jsonl'),
    '--fault-no-reply', '0.03', '--fault-reply-lost', '0.04', '--fault-late-reply', '0.03', '--late-reply-ms', '2500',
    '--fault-drop', '0.02', '--fault-drop-after-processing', '0.02', '--fault-duplicate-reply', '0.03', '--fault-malformed-reply', '0.02',
  ]);
  const adminPort = Number(sim.info.adminPort);
  const terminalIds = Array.from({ length: terminalsCount }, (_, i) => `T${String(i + 1).padStart(7, '0')}`);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'full' },
    security: { panKey: 'chaos-test-pan-key-0123456789', developmentMode: true },
    http: { port: 0 },
    engine: { terminalTimeoutMs: 5_000, reversal: { triesMax: 8, backoffMs: 200, backoffMsMax: 1_000 } },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
    channels: [{ name: 'sim', host: '127.0.0.1', port: Number(sim.info.isoPort), timeoutMs: 1_500, echoIntervalMs: 0 }],
    merchants: [{ id: 'M00000000000001', name: 'Chaos shop', mcc: '5411', terminals: terminalIds }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const serveArgs = ['serve', '--config', join(dir, 'config.json'), '--json'];
  let gateway = await startJson(serveArgs);
  let gatewayPort = Number((gateway.info.listeners as Record<string, number>).pos);
  let gatewayUp = true;

  const sales: Sale[] = [];
  let amountMinor = 3_000;
  let stan = 0;

  // A terminal: one sale at a time; on no answer it reconnects if needed and resends the SAME message.
  const runTerminal = (terminalId: string, index: number): Promise<void> =>
    runResendingTerminal({
      terminalId,
      salesCount: salesPerTerminal,
      waitMs: terminalWaitMs,
      triesMax: terminalTriesMax,
      gateway: () => ({ up: gatewayUp, port: gatewayPort }),
      nextStan: () => (stan += 1),
      saleAt: (n) => {
        amountMinor += 1;
        stan += 1;
        const sale: Sale = { terminalId, amountMinor, told: null, answers: [] };
        sales.push(sale);
        return { sale, message: saleMessage({ stan: String(stan % 900_000).padStart(6, '0'), pan: pans[(index + n) % pans.length] ?? pans[0]!, amountMinor, terminalId, transmittedAt: de7() }) };
      },
    });

  const load = Promise.all(terminalIds.map((terminalId, index) => runTerminal(terminalId, index)));
  // Two hard kills while the terminals are busy, each followed by a restart on the same file.
  for (const afterMs of [2_500, 4_000]) {
    await delay(afterMs);
    gatewayUp = false;
    await killHard(gateway.child);
    await delay(300);
    gateway = await startJson(serveArgs);
    gatewayPort = Number((gateway.info.listeners as Record<string, number>).pos);
    gatewayUp = true;
  }
  await load;

  // Quiescence: faults off, then wait (bounded) until no reversal is pending in the store.
  const healed = await fetch(`http://127.0.0.1:${adminPort}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ noReply: 0, replyLost: 0, lateReply: 0, drop: 0, dropAfterProcessing: 0, malformedReply: 0, duplicateReply: 0 }),
  });
  assert.equal(healed.status, 200);
  await delay(3_000); // late replies already scheduled land and get their reversals queued
  await stopGracefully(gateway.child);
  gateway = await startJson(serveArgs);
  let queue = { pending: -1, dead: 0 };
  for (let waitedMs = 0; waitedMs < 40_000; waitedMs += 500) {
    await delay(500);
    const store = await openStore(`sqlite:${join(dir, 'gateway.db')}`);
    try {
      const stats = await store.reversalQueueStats();
      const pendingPayments = await store.listPendingPayments(Number.MAX_SAFE_INTEGER, 10);
      queue = { pending: stats.pending + pendingPayments.length, dead: stats.dead };
    } finally {
      await store.close();
    }
    if (queue.pending === 0) break;
  }
  await stopGracefully(gateway.child);
  assert.equal(queue.pending, 0, 'reversals and payments still pending after the bounded drain');

  const response = await fetch(`http://127.0.0.1:${adminPort}/ledger?entries=10000`);
  const ledger = ((await response.json()) as { entries: LedgerEntry[] }).entries;
  await stopGracefully(sim.child);

  // Dead-lettered payments are flagged for manual handling: their money is excused, and counted.
  const store = await openStore(`sqlite:${join(dir, 'gateway.db')}`);
  const manualAmounts = new Set<number>();
  try {
    for (const event of await store.listEvents(0, 10_000, 'reversal.dead_letter')) {
      const amount = event.payload.amountMinor;
      if (typeof amount === 'number') manualAmounts.add(amount);
    }
  } finally {
    await store.close();
  }

  const problems = moneyProblems(sales, ledger, manualAmounts);
  for (const sale of sales) {
    if (manualAmounts.has(sale.amountMinor)) continue;
    if (sale.answers.includes('00') && sale.answers.some((code) => code !== '00' && code !== '98')) problems.push(`${sale.terminalId} ${sale.amountMinor}: told ${sale.answers.join(',')}`);
  }
  const known = new Set(sales.map((sale) => sale.amountMinor));
  for (const entry of ledger) if (!known.has(entry.amountMinor)) problems.push(`ledger entry ${entry.key} of ${entry.amountMinor} belongs to no sale`);
  assert.deepEqual(problems, []);

  const told = (code: string) => sales.filter((sale) => sale.told === code).length;
  // The run must have exercised the interesting paths: approvals, and sales that met a fault or a kill.
  assert.equal(sales.length, terminalsCount * salesPerTerminal);
  assert.ok(told('00') > sales.length / 3, `only ${told('00')} approvals`);
  console.log(`chaos: ${sales.length} sales, ${told('00')} told 00, ${told('98')} told 98, ${sales.filter((s) => s.told === null).length} unanswered, ${manualAmounts.size} manual, ledger ${ledger.length} entries`);
});
