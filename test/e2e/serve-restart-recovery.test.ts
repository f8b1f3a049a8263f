// Goal: a gateway killed while a charged sale waits for its reply leaves no money behind. Method:
// real processes: `issuer-sim` and `serve`; a sale the simulator charges but never answers (magic
// amount 888.02); SIGKILL the gateway once the charge is on the simulator's ledger; start it again
// on the same database; restart recovery must reverse the charge, and the terminal's resend must get
// the payment's final answer instead of a second charge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { startReswipeJson, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';

let dir = '';
let sim: ChildProcess | undefined;
const gateways: ChildProcess[] = [];
let adminPort = 0;

/** Starts a reswipe command in the test's folder; E2E_DEBUG=1 echoes its stderr while debugging. */
function startJson(args: string[]): Promise<StartedReswipe> {
  return startReswipeJson(args, {
    cwd: dir,
    onStderr: (text) => {
      if (process.env.E2E_DEBUG) process.stderr.write(text);
    },
  });
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return stopChild(child, { signal });
}

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  reversed: boolean;
}

async function ledger(): Promise<LedgerEntry[]> {
  return (await readIssuerLedger<LedgerEntry>(adminPort)).entries;
}

async function waitForLedger(what: string, predicate: (entries: LedgerEntry[]) => boolean, timeoutMs = 20_000): Promise<void> {
  await waitForIssuerLedger(adminPort, what, predicate, timeoutMs);
}

async function startGateway(): Promise<number> {
  const served = await startJson(['serve', '--config', join(dir, 'config.json'), '--json']);
  gateways.push(served.child);
  return Number((served.info.listeners as Record<string, number>).pos);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-restart-'));
  const started = await startJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json']);
  sim = started.child;
  adminPort = Number(started.info.adminPort);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}` },
      security: { panKey: 'e2e-restart-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 20_000, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 15_000, echoIntervalMs: 0 }],
      merchants: [{ id: 'M00000000000001', name: 'Restart shop', mcc: '5411', terminals: ['T0000001'] }],
    }),
  );
});

after(async () => {
  for (const gateway of gateways) await stop(gateway, 'SIGKILL');
  await stop(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL mid-sale: the restarted gateway reverses the charge and answers the resend from the store', async () => {
  const firstPort = await startGateway();
  const client = await TerminalClient.connect(firstPort);
  const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: '000001', 41: 'T0000001', 70: '001' } });
  assert.equal(signOn.fields[39], '00');
  const sale = saleMessage({ stan: '000002', pan: '6222020000000000018', amountMinor: 88_802 });
  const early = client.request(sale, 60_000).then((m) => `answered ${String(m.fields[39])}`, (e: Error) => e.message);
  await Promise.race([early.then((text) => { throw new Error(`unexpected: ${text}`); }), delay(2_000)]);
  await waitForLedger('the charge', (entries) => entries.some((entry) => entry.amountMinor === 88_802 && entry.kind === 'charge'));
  await stop(gateways[0], 'SIGKILL');
  client.close();

  const secondPort = await startGateway();
  await waitForLedger('the charge reversed after the restart', (entries) =>
    entries.filter((entry) => entry.amountMinor === 88_802 && entry.kind === 'charge').every((entry) => entry.reversed),
  );
  const again = await TerminalClient.connect(secondPort);
  try {
    const answer = await again.request(sale, 30_000);
    assert.equal(answer.fields[39], '98', 'the resend gets the payment outcome (reversed), never a new charge');
    assert.equal((await ledger()).filter((entry) => entry.amountMinor === 88_802 && entry.kind === 'charge').length, 1);
  } finally {
    again.close();
  }
});
