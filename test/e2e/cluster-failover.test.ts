// Goal: three gateway nodes on one PostgreSQL database, with real processes, keep the money right
// when one node is SIGKILLed mid-run (and never restarted) and another is restarted: terminals move to
// their backup host and every sale still gets an answer (a sale caught on the dead node is taken over
// by the node the terminal reaches, not left to a 60 s wait), every sale told 00 is charged once and
// every other sale not at all, and the once-per-cluster work raised its events once.
// Method: `reswipe issuer-sim` with a few link faults and its ledger; three `reswipe serve` on a fresh
// database (created for the run, dropped after); six codec-built terminals, each with a primary and a
// backup node as CUPS terminals are configured, resending the same sale (same STAN and DE 7) on no
// answer. The terminal waits 6 s per try and the gateway's terminal timeout is 20 s: a sale whose
// original was on the dead node is answered only if the node it reaches takes it over (node lease 2 s).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { openStore } from '../../src/adapters/store/open-store.ts';
import { startTracked, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { adminQuery, postgresRequired, postgresUrl, probePostgres } from '../support/postgres-schema.ts';
import { readIssuerLedger } from '../support/issuer-ledger.ts';
import { loadTestPans, moneyProblems, type LedgerEntry, type ToldSale } from '../support/sale-money-check.ts';

const terminalsCount = 6;
const salesPerTerminal = 14;
const terminalWaitMs = 6_000;
const terminalTriesMax = 4;
const channelTimeoutMs = 1_500;
const pans = loadTestPans;

interface Sale extends ToldSale {
  /** The nodes (by index) the terminal sent this sale to, in order. */
  nodes: number[];
}

const unreachable = await probePostgres();
const dir = mkdtempSync(join(tmpdir(), 'reswipe-cluster-'));
const children = new Set<ChildProcess>();
const database = `reswipe_e2e_${randomBytes(4).toString('hex')}`;
const databaseUrl = postgresUrl.replace(/\/[^/]*$/, `/${database}`);

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  if (unreachable === null) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
});

function startJson(args: string[]): Promise<StartedReswipe> {
  return startTracked(args, dir, children);
}

if (unreachable !== null) {
  const reason = `PostgreSQL at ${postgresUrl} is unreachable (${unreachable}); set RESWIPE_TEST_POSTGRES_URL`;
  if (postgresRequired) test('cluster failover (RESWIPE_REQUIRE_POSTGRES=1)', () => assert.fail(reason));
  else test('cluster failover', { skip: reason }, () => undefined);
} else {
  test('three nodes, one SIGKILLed and one restarted mid-run: every sale answered, money right, each event once', { timeout: 150_000 }, async () => {
    await adminQuery(`CREATE DATABASE ${database}`);
    const sim = await startJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--seed', '1919', '--fault-no-reply', '0.03', '--fault-reply-lost', '0.03']);
    const adminPort = Number(sim.info.adminPort);
    const terminalIds = Array.from({ length: terminalsCount }, (_, i) => `T${String(i + 1).padStart(7, '0')}`);
    const configFile = (index: number): string => {
      const file = join(dir, `node-${index}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          database: { url: databaseUrl },
          node: { id: `node-${index}`, heartbeatIntervalMs: 500, leaseMs: 2000 },
          security: { panKey: 'cluster-test-pan-key-0123456789', developmentMode: true },
          http: { port: 0 },
          engine: { terminalTimeoutMs: 20_000, reversal: { triesMax: 8, backoffMs: 200, backoffMsMax: 1_000 } },
          listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
          channels: [{ name: 'sim', host: '127.0.0.1', port: Number(sim.info.isoPort), timeoutMs: channelTimeoutMs, echoIntervalMs: 0 }],
          merchants: [{ id: 'M00000000000001', name: 'Cluster shop', mcc: '5411', terminals: terminalIds }],
        }),
      );
      return file;
    };
    const nodes: Array<{ gateway: StartedReswipe | null; port: number; up: boolean }> = [];
    for (let index = 0; index < 3; index++) {
      const gateway = await startJson(['serve', '--config', configFile(index), '--json']);
      nodes.push({ gateway, port: Number((gateway.info.listeners as Record<string, number>).pos), up: true });
    }

    const sales: Sale[] = [];
    let amountMinor = 5_000;
    let stan = 0;

    // A terminal: one sale at a time, a primary and a backup node; on no answer it reconnects (to
    // whichever of the two answers) and resends the SAME message.
    const runTerminal = async (terminalId: string, index: number): Promise<void> => {
      const hosts = [index % 3, (index + 1) % 3];
      let client: { link: TerminalClient; node: number } | null = null;
      let preferred = 0;
      const connected = async (): Promise<{ link: TerminalClient; node: number } | null> => {
        if (client !== null && !client.link.closed) return client;
        client = null;
        // Long enough to outlast a restart of the backup while the primary is dead (both hosts down at once).
        for (let tries = 0; tries < 600; tries++) {
          const node = hosts[preferred % 2] ?? 0;
          const target = nodes[node];
          if (target?.up === true) {
            try {
              const fresh = await TerminalClient.connect(target.port);
              const signOn = await fresh.request({ mti: '0800', fields: { 7: de7(), 11: String(900_000 + (stan += 1)).slice(-6), 41: terminalId, 70: '001' } }, terminalWaitMs);
              if (signOn.fields[39] === '00') {
                client = { link: fresh, node };
                return client;
              }
              fresh.close();
            } catch {
              // Refused or dropped: the other host next.
            }
          }
          preferred += 1;
          await delay(100);
        }
        return null;
      };
      for (let n = 0; n < salesPerTerminal; n++) {
        amountMinor += 1;
        stan += 1;
        const sale: Sale = { terminalId, amountMinor, told: null, answers: [], nodes: [] };
        sales.push(sale);
        const message = saleMessage({ stan: String(stan % 900_000).padStart(6, '0'), pan: pans[(index + n) % pans.length] ?? pans[0]!, amountMinor, terminalId, transmittedAt: de7() });
        for (let tries = 0; tries < terminalTriesMax && sale.told === null; tries++) {
          const link = await connected();
          if (link === null) break;
          sale.nodes.push(link.node);
          try {
            const answer = await link.link.request(message, terminalWaitMs);
            const code = String(answer.fields[39] ?? '');
            sale.answers.push(code);
            sale.told = code;
          } catch {
            // No answer or the connection dropped: the backup host next, with the same sale.
            link.link.close();
            preferred += 1;
          }
        }
      }
      (client as { link: TerminalClient } | null)?.link.close();
    };

    const load = Promise.all(terminalIds.map((terminalId, index) => runTerminal(terminalId, index)));
    await delay(2_500);
    // Node 0 dies mid-run and never comes back.
    nodes[0]!.up = false;
    await stopChild(nodes[0]!.gateway?.child, { signal: 'SIGKILL' });
    await delay(2_500);
    // Node 1 is restarted (a rolling restart: a clean stop, then the same config again).
    nodes[1]!.up = false;
    await stopChild(nodes[1]!.gateway?.child, { killAfterMs: 15_000 });
    const restarted = await startJson(['serve', '--config', configFile(1), '--json']);
    nodes[1] = { gateway: restarted, port: Number((restarted.info.listeners as Record<string, number>).pos), up: true };
    await load;

    // Quiescence: faults off, then wait (bounded) until nothing is pending in the shared store.
    const healed = await fetch(`http://127.0.0.1:${adminPort}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ noReply: 0, replyLost: 0 }),
    });
    assert.equal(healed.status, 200);
    const store = await openStore(databaseUrl);
    try {
      let pending = -1;
      for (let waitedMs = 0; waitedMs < 40_000; waitedMs += 500) {
        await delay(500);
        const stats = await store.reversalQueueStats();
        pending = stats.pending + (await store.listPendingPayments(Number.MAX_SAFE_INTEGER, 10)).length;
        if (pending === 0) break;
      }
      assert.equal(pending, 0, 'reversals and payments still pending after the bounded drain');

      const ledger = (await readIssuerLedger<LedgerEntry>(adminPort)).entries;
      const manualAmounts = new Set<number>();
      for (const event of await store.listEvents(0, 500, 'reversal.dead_letter')) {
        const amount = event.payload.amountMinor;
        if (typeof amount === 'number') manualAmounts.add(amount);
      }
      const problems = moneyProblems(sales, ledger, manualAmounts);
      for (const sale of sales) if (sale.told === null) problems.push(`${sale.terminalId} ${sale.amountMinor}: never answered (nodes ${sale.nodes.join(',')})`);
      const known = new Set(sales.map((sale) => sale.amountMinor));
      for (const entry of ledger) if (entry.kind === 'charge' && !known.has(entry.amountMinor)) problems.push(`ledger entry ${entry.key} of ${entry.amountMinor} belongs to no sale`);
      assert.deepEqual(problems, []);

      // No reversal was ever sent twice at once: two receipts of one original less than the channel
      // timeout apart would mean a second sender while the first could still be waiting for its reply.
      const received = ((await (await fetch(`http://127.0.0.1:${adminPort}/reversals`)).json()) as { data: Array<{ original: string; connection: number; atMs: number; stan: string }> }).data;
      const overlaps: string[] = [];
      const byOriginal = new Map<string, typeof received>();
      for (const receipt of received) byOriginal.set(receipt.original, [...(byOriginal.get(receipt.original) ?? []), receipt]);
      for (const [original, receipts] of byOriginal) {
        for (let i = 1; i < receipts.length; i++) {
          const earlier = receipts[i - 1]!;
          const later = receipts[i]!;
          if (later.atMs - earlier.atMs < channelTimeoutMs) overlaps.push(`${original}: connection ${earlier.connection} then ${later.connection} ${later.atMs - earlier.atMs} ms apart`);
        }
      }
      assert.deepEqual(overlaps, [], 'a reversal sent by two senders at once');

      // Each event once: the projector's payment.completed per payment, each reversal completed once.
      const completed = await store.listEvents(0, 500, 'payment.completed');
      const completedTwice = completed.map((event) => event.subjectId).filter((id, i, all) => all.indexOf(id) !== i);
      assert.deepEqual(completedTwice, [], 'payment.completed raised once per payment');
      const reversalsCompleted = (await store.listEvents(0, 500, 'reversal.completed')).map((event) => String(event.payload.reversalId));
      assert.deepEqual(reversalsCompleted.filter((id, i, all) => all.indexOf(id) !== i), [], 'each reversal completed once');
      // The dead node's sales were all finished by the others; the dead node is known dead.
      const members = await store.listNodes();
      assert.equal(members.find((node) => node.id === 'node-0')?.leaseExpiresAtMs !== undefined && members.find((node) => node.id === 'node-0')!.leaseExpiresAtMs < Date.now(), true, 'node-0 is dead');
      const elections = await store.listEvents(0, 500, 'cluster.leader_elected');
      assert.ok(elections.length >= 1, 'a leader was elected');
      const movedSales = sales.filter((sale) => new Set(sale.nodes).size > 1).length;
      // Sales node-0 took (its idempotency records keep the first owner) that another node finished: taken over.
      const takenOver = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM idempotency_records i JOIN payments p ON p.id = i.payment_id WHERE i.owner_node = 'node-0' AND p.owner_node IS DISTINCT FROM 'node-0'`,
        [],
        databaseUrl,
      );
      const stillOwnedByDead = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM payments WHERE owner_node = 'node-0' AND status = 'pending'`, [], databaseUrl);
      assert.equal(Number(stillOwnedByDead[0]?.n), 0, 'no sale of the dead node is left pending');
      const told = (code: string) => sales.filter((sale) => sale.told === code).length;
      assert.ok(told('00') > sales.length / 3, `only ${told('00')} approvals`);
      console.log(
        `cluster: ${sales.length} sales, ${told('00')} told 00, ${sales.length - told('00')} other, ${movedSales} moved to a backup node, ${Number(takenOver[0]?.n)} taken over from the dead node, ${elections.length} leader elections, ${received.length} reversals received, ${manualAmounts.size} manual, ledger ${ledger.length} entries`,
      );
    } finally {
      await store.close();
      for (const node of nodes) await stopChild(node.gateway?.child, { killAfterMs: 15_000 });
      await stopChild(sim.child);
    }
  });
}
