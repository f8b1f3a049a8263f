// Goal: the gateway keeps its money promises over real TCP between real processes. Method: start
// `reswipe issuer-sim` and `reswipe serve` as child processes (port 0 everywhere, a config file
// pointing at the simulator), drive them with a test terminal built on the codec, and check every
// answer against the simulator's ledger: approvals charged once, declines and reversals not at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { getText } from '../../src/core/iso8583/index.ts';
import { startReswipeJson, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';

const okPan = '6222020000000000018';
const lowBalancePan = '6217000000000000012';

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
}

let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let adminPort = 0;
let terminalPort = 0;
let stanCounter = 100;

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

/** Starts a reswipe command in the test's folder and reads the JSON line it prints once it listens. */
function startJson(args: string[], env: NodeJS.ProcessEnv = {}): Promise<StartedReswipe> {
  return startReswipeJson(args, { cwd: dir, env });
}

async function ledger(): Promise<LedgerEntry[]> {
  return (await readIssuerLedger<LedgerEntry>(adminPort)).entries;
}

function waitForLedger(what: string, predicate: (entries: LedgerEntry[]) => boolean, timeoutMs = 15_000): Promise<LedgerEntry[]> {
  return waitForIssuerLedger(adminPort, what, predicate, timeoutMs);
}

async function signedOnClient(): Promise<TerminalClient> {
  const client = await TerminalClient.connect(terminalPort);
  const answer = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000001', 70: '001' } });
  assert.equal(answer.fields[39], '00');
  return client;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-e2e-'));
  const started = await startJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--late-reply-ms', '3500']);
  sim = started.child;
  adminPort = Number(started.info.adminPort);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
    security: { panKey: 'e2e-test-pan-key-0123456789', developmentMode: true },
    http: { port: 0 },
    engine: { terminalTimeoutMs: 9_000, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
    channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
    merchants: [{ id: 'M00000000000001', name: 'E2E shop', mcc: '5411', terminals: ['T0000001'] }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const served = await startJson(['serve', '--config', join(dir, 'config.json'), '--json']);
  gateway = served.child;
  terminalPort = Number((served.info.listeners as Record<string, number>).pos);
  assert.ok(terminalPort > 0);
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('sign-on, echo and an unknown network code', async () => {
  const client = await signedOnClient();
  try {
    const echo = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000001', 70: '301' } });
    assert.equal(echo.mti, '0810');
    assert.equal(echo.fields[39], '00');
    const unknown = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T9999999', 70: '001' } });
    assert.equal(unknown.fields[39], '97');
  } finally {
    client.close();
  }
});

test('an approved sale carries DE 37, 38, 39, 44 and 63 and is charged once', async () => {
  const client = await signedOnClient();
  try {
    const answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 1_234, cvv: '123' }));
    assert.equal(answer.mti, '0210');
    assert.equal(answer.fields[39], '00');
    assert.equal(answer.fields[44], 'NONE');
    assert.match(getText(answer, 38) ?? '', /^\w{6}$/);
    const rrn = (getText(answer, 37) ?? '').trim();
    assert.ok(rrn.length > 0);
    assert.ok((getText(answer, 63) ?? '').length > 0);
    const entries = await ledger();
    assert.equal(entries.filter((entry) => entry.rrn === rrn && entry.kind === 'charge').length, 1);
  } finally {
    client.close();
  }
});

test('declines by magic card and by magic amount get the issuer code and a verdict', async () => {
  const client = await signedOnClient();
  try {
    const lowBalance = await client.request(saleMessage({ stan: nextStan(), pan: lowBalancePan, amountMinor: 10_000 }));
    assert.equal(lowBalance.fields[39], '51');
    assert.equal(lowBalance.fields[44], 'FIX');
    const forced = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 99_905 }));
    assert.equal(forced.fields[39], '05');
    const local = await client.request({ ...saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 1_000 }), fields: { ...saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 1_000 }).fields, 14: '2001' } });
    assert.equal(local.fields[39], '54', 'expired card declined locally');
    const entries = await ledger();
    assert.equal(entries.filter((entry) => entry.amountMinor === 99_905 && entry.kind === 'charge').length, 0);
  } finally {
    client.close();
  }
});

test('a resent sale (same DE 41, 11, 7) gets the original answer and is charged once', async () => {
  const client = await signedOnClient();
  try {
    const message = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 2_345 });
    client.send(message);
    const first = await client.request(message);
    const second = await client.request(message);
    assert.equal(first.fields[39], '00');
    assert.equal(second.fields[39], first.fields[39]);
    assert.equal(second.fields[38], first.fields[38]);
    assert.equal(second.fields[37], first.fields[37]);
    const entries = await ledger();
    assert.equal(entries.filter((entry) => entry.amountMinor === 2_345 && entry.kind === 'charge').length, 1);
  } finally {
    client.close();
  }
});

test('a lost reply (charged upstream) answers 98 and the charge is reversed in the ledger', async () => {
  const client = await signedOnClient();
  try {
    const answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 88_802 }));
    assert.equal(answer.fields[39], '98');
    assert.match(getText(answer, 44) ?? '', /^(WAIT|LATER)(:\d+)?$/);
    await waitForLedger('the lost-reply charge reversed', (entries) => entries.some((entry) => entry.amountMinor === 88_802 && entry.reversed));
  } finally {
    client.close();
  }
});

test('a late approval after the timeout is reversed', async () => {
  const client = await signedOnClient();
  try {
    const answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 88_803 }));
    assert.equal(answer.fields[39], '98');
    // The simulator charges and answers 3.5 s later; the gateway gave up after 2 s and reverses.
    await waitForLedger('the late-reply charge reversed', (entries) => {
      const charges = entries.filter((entry) => entry.amountMinor === 88_803 && entry.kind === 'charge');
      return charges.length > 0 && charges.every((entry) => entry.reversed);
    });
  } finally {
    client.close();
  }
});

test('a dropped upstream connection answers 98 and nothing stays charged', async () => {
  const client = await signedOnClient();
  try {
    const answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 88_805 }));
    assert.equal(answer.fields[39], '98');
    await waitForLedger('the drop-after-processing charge reversed', (entries) =>
      entries.filter((entry) => entry.amountMinor === 88_805 && entry.kind === 'charge').every((entry) => entry.reversed),
    );
  } finally {
    client.close();
  }
});

test("the terminal's own 0400 reverses an approved sale upstream", async () => {
  const client = await signedOnClient();
  try {
    const original = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 3_456 });
    const approved = await client.request(original);
    assert.equal(approved.fields[39], '00');
    const rrn = (getText(approved, 37) ?? '').trim();
    const de90 = `0200${getText(original, 11)}${getText(original, 7)}${'0'.repeat(11)}${'0'.repeat(11)}`;
    const reversal = await client.request({
      mti: '0400',
      fields: { 3: '000000', 4: getText(original, 4) ?? '', 7: de7(), 11: nextStan(), 39: '96', 41: 'T0000001', 42: 'M00000000000001', 49: '156', 90: de90 },
    });
    assert.equal(reversal.mti, '0410');
    assert.equal(reversal.fields[39], '00');
    await waitForLedger('the terminal-reversed charge', (entries) => entries.some((entry) => entry.rrn === rrn && entry.reversed));
  } finally {
    client.close();
  }
});

test('unsupported requests are refused clearly; a broken frame closes the connection unanswered', async () => {
  const client = await signedOnClient();
  try {
    const preauth = await client.request({ ...saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 500 }), mti: '0100' });
    assert.equal(preauth.mti, '0110');
    assert.equal(preauth.fields[39], '40');
    assert.ok((getText(preauth, 63) ?? '').length > 0);
    client.sendRaw(Uint8Array.of(0x00, 0x05, 0x41, 0x42, 0x43, 0x44, 0x45));
    assert.equal(await client.waitClosed(), true);
  } finally {
    client.close();
  }
});

test('a terminal that drops its connection mid-sale still ends with a consistent ledger', async () => {
  const client = await signedOnClient();
  const message = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_567 });
  client.send(message);
  client.close();
  // The sale completes without the terminal; a reconnecting terminal's resend gets the stored answer.
  const again = await signedOnClient();
  try {
    const answer = await again.request(message);
    assert.equal(answer.fields[39], '00');
    const entries = await ledger();
    assert.equal(entries.filter((entry) => entry.amountMinor === 4_567 && entry.kind === 'charge').length, 1);
  } finally {
    again.close();
  }
});
