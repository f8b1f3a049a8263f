// Goal: three gateway nodes on one PostgreSQL database, with real processes, keep the money right
// when one node is SIGKILLed mid-run (and never restarted) and another is restarted: terminals move to
// their backup host and every sale still gets an answer (a sale caught on the dead node is taken over
// by the node the terminal reaches, not left to a 60 s wait), every sale told 00 is charged once and
// every other sale not at all, and the once-per-cluster work raised its events once: a real alarm (a
// terminal gone quiet, its `terminal-unhealthy` alert) raised on the leader before the leader is
// SIGKILLed is neither raised again by the new leader nor left open: its recovery and the alert's
// resolution are raised once, by whichever node leads then.
// Method: `reswipe issuer-sim` with a few link faults and its ledger; three `reswipe serve` on a fresh
// database (created for the run, dropped after); six codec-built terminals, each with a primary and a
// backup node as CUPS terminals are configured, resending the same sale (same STAN and DE 7) on no
// answer. The terminal waits 6 s per try and the gateway's terminal timeout is 20 s: a sale whose
// original was on the dead node is answered only if the node it reaches takes it over (node lease 2 s).
// A seventh terminal makes one sale, then stays silent past `monitoring.quietAfterMs` (3 s) until its
// alert fired; the node that leads then is the one SIGKILLed; the terminal sells again at the end.
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
import type { EventRecord } from '../../src/core/ports/store.ts';
import { startTracked, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { adminQuery, postgresRequired, postgresUrl, probePostgres } from '../support/postgres-schema.ts';
import { readIssuerLedger } from '../support/issuer-ledger.ts';
import { loadTestPans, moneyProblems, type LedgerEntry, type ToldSale } from '../support/sale-money-check.ts';

const terminalsCount = 6;
/** The terminal that goes quiet before the leader dies and comes back at the end. */
const quietTerminalId = 'T0000009';
const quietAfterMs = 3_000;
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
  test('three nodes, one SIGKILLed and one restarted mid-run: every sale answered, money right, each event once', { timeout: 240_000 }, async () => {
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
          monitoring: { checkIntervalMs: 1_000, quietAfterMs },
          alerts: { evaluateIntervalMs: 1_000 },
          listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
          channels: [{ name: 'sim', host: '127.0.0.1', port: Number(sim.info.isoPort), timeoutMs: channelTimeoutMs, echoIntervalMs: 0 }],
          merchants: [{ id: 'M00000000000001', name: 'Cluster shop', mcc: '5411', terminals: [...terminalIds, quietTerminalId] }],
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
    const runTerminal = async (terminalId: string, index: number, salesCount = salesPerTerminal): Promise<void> => {
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
      for (let n = 0; n < salesCount; n++) {
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

    const store = await openStore(databaseUrl);
    try {
      const eventsOf = async (type: string): Promise<EventRecord[]> => {
        const events: EventRecord[] = [];
        for (let after = 0; ; ) {
          const page = await store.listEvents(after, 500, type);
          events.push(...page);
          if (page.length < 500) return events;
          after = page[page.length - 1]!.seq;
        }
      };
      const quietAlertEvents = async (status: 'firing' | 'resolved'): Promise<EventRecord[]> =>
        (await eventsOf(`alert.${status}`)).filter((event) => (event.payload.labels as Record<string, string> | undefined)?.terminalId === quietTerminalId);
      const waitUntil = async (what: string, done: () => Promise<boolean>): Promise<void> => {
        for (let waitedMs = 0; !(await done()); waitedMs += 250) {
          if (waitedMs > 30_000) assert.fail(`${what}: not within 30 s`);
          await delay(250);
        }
      };

      // The quiet terminal sells once, then stays silent until its alert fired on the leader.
      await runTerminal(quietTerminalId, terminalsCount, 1);
      await waitUntil('the quiet terminal alert fired', async () => (await quietAlertEvents('firing')).length > 0);
      const elected = await eventsOf('cluster.leader_elected');
      const doomed = Number(String(elected.at(-1)?.subjectId).replace('node-', ''));
      assert.ok(doomed >= 0 && doomed < 3, `the leader is one of the three nodes: ${elected.at(-1)?.subjectId}`);
      const restartedIndex = (doomed + 1) % 3;

      const load = Promise.all(terminalIds.map((terminalId, index) => runTerminal(terminalId, index)));
      await delay(2_500);
      // The leader dies mid-run, with the quiet terminal's alarm and alert open, and never comes back.
      nodes[doomed]!.up = false;
      await stopChild(nodes[doomed]!.gateway?.child, { signal: 'SIGKILL' });
      await delay(2_500);
      // Another node is restarted (a rolling restart: a clean stop, then the same config again).
      nodes[restartedIndex]!.up = false;
      await stopChild(nodes[restartedIndex]!.gateway?.child, { killAfterMs: 15_000 });
      const restarted = await startJson(['serve', '--config', configFile(restartedIndex), '--json']);
      nodes[restartedIndex] = { gateway: restarted, port: Number((restarted.info.listeners as Record<string, number>).pos), up: true };
      await load;
      // The quiet terminal comes back: its alarm ends and its alert resolves, once, on whichever node leads now.
      await runTerminal(quietTerminalId, terminalsCount, 1);
      await waitUntil('the quiet terminal alert resolved', async () => (await quietAlertEvents('resolved')).length > 0);

      // Quiescence: faults off, then wait (bounded) until nothing is pending in the shared store.
      const healed = await fetch(`http://127.0.0.1:${adminPort}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ noReply: 0, replyLost: 0 }),
      });
      assert.equal(healed.status, 200);
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
      const dead = members.find((node) => node.id === `node-${doomed}`);
      assert.ok(dead !== undefined && dead.leaseExpiresAtMs < Date.now(), `node-${doomed} is dead`);
      const elections = await store.listEvents(0, 500, 'cluster.leader_elected');
      assert.ok(elections.length >= 1, 'a leader was elected');
      const movedSales = sales.filter((sale) => new Set(sale.nodes).size > 1).length;
      // Sales node-0 took (its idempotency records keep the first owner) that another node finished: taken over.
      const takenOver = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM idempotency_records i JOIN payments p ON p.id = i.payment_id WHERE i.owner_node = $1 AND p.owner_node IS DISTINCT FROM $1`,
        [`node-${doomed}`],
        databaseUrl,
      );
      const stillOwnedByDead = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM payments WHERE owner_node = $1 AND status = 'pending'`, [`node-${doomed}`], databaseUrl);
      assert.equal(Number(stillOwnedByDead[0]?.n), 0, 'no sale of the dead node is left pending');

      // Each alarm raised once. The quiet terminal's: one terminal.quiet (by the leader that died) until
      // its terminal.recovered (by a later leader), one alert fired and resolved once.
      const terminalAlarms = [...(await eventsOf('terminal.quiet')), ...(await eventsOf('terminal.unhealthy')), ...(await eventsOf('terminal.recovered'))].sort((x, y) => x.seq - y.seq);
      const quietTerminalAlarms = terminalAlarms.filter((event) => event.subjectId === quietTerminalId).map((event) => `${event.type} ${event.node}`);
      assert.equal(quietTerminalAlarms[0], `terminal.quiet node-${doomed}`, 'quiet raised by the leader that was then SIGKILLed');
      const [recoveredType, recoveredBy] = (quietTerminalAlarms[1] ?? '').split(' ');
      assert.equal(recoveredType, 'terminal.recovered', `quiet raised once, then its recovery: ${quietTerminalAlarms.join(', ')}`);
      assert.notEqual(recoveredBy, `node-${doomed}`, 'recovered by a node that led after the SIGKILL');
      // (It may go quiet again while the run drains: a new episode, a new alert.)
      const firings = await quietAlertEvents('firing');
      const fired = firings[0];
      assert.equal(fired?.node, `node-${doomed}`, 'fired by the leader that was then SIGKILLed');
      assert.equal(firings.filter((event) => event.subjectId === fired.subjectId).length, 1, 'the quiet terminal alert fired once');
      assert.equal((await quietAlertEvents('resolved')).filter((event) => event.subjectId === fired.subjectId).length, 1, 'and resolved once');
      // Every terminal: a quiet or unhealthy alarm is never raised twice within one episode (between two recoveries).
      const episodeProblems: string[] = [];
      const open = new Map<string, Set<string>>();
      for (const event of terminalAlarms) {
        const terminal = event.subjectId ?? '';
        const raised = open.get(terminal) ?? new Set<string>();
        if (event.type === 'terminal.recovered') {
          if (raised.size === 0) episodeProblems.push(`${terminal}: recovered with nothing raised (seq ${event.seq})`);
          open.delete(terminal);
          continue;
        }
        const kinds = event.type === 'terminal.quiet' ? ['quiet'] : (event.payload.alarms as Array<{ kind: string }>).map((alarm) => alarm.kind);
        for (const kind of kinds) {
          if (raised.has(kind)) episodeProblems.push(`${terminal}: ${kind} raised again by ${event.node} (seq ${event.seq})`);
          raised.add(kind);
        }
        open.set(terminal, raised);
      }
      assert.deepEqual(episodeProblems, [], 'each terminal alarm raised once per episode');
      // Every alert: fired once (repeats aside) and resolved at most once, whichever node led.
      const alertProblems: string[] = [];
      for (const status of ['firing', 'resolved'] as const) {
        const ids = (await eventsOf(`alert.${status}`)).filter((event) => event.payload.repeat !== true).map((event) => event.subjectId);
        for (const [i, id] of ids.entries()) if (ids.indexOf(id) !== i) alertProblems.push(`${id} ${status} twice`);
      }
      assert.deepEqual(alertProblems, [], 'each alert raised and resolved once');

      const told = (code: string) => sales.filter((sale) => sale.told === code).length;
      assert.ok(told('00') > sales.length / 3, `only ${told('00')} approvals`);
      console.log(
        `cluster: ${sales.length} sales, ${told('00')} told 00, ${sales.length - told('00')} other, ${movedSales} moved to a backup node, ${Number(takenOver[0]?.n)} taken over from the dead node, ${elections.length} leader elections, ${received.length} reversals received, ${manualAmounts.size} manual, ledger ${ledger.length} entries, ${terminalAlarms.length} terminal alarm events, ${(await eventsOf('alert.firing')).length} alerts fired`,
      );
    } finally {
      await store.close();
      for (const node of nodes) await stopChild(node.gateway?.child, { killAfterMs: 15_000 });
      await stopChild(sim.child);
    }
  });
}
