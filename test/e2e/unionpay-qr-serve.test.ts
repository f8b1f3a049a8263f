// Goal: a UnionPay QR sale (银联二维码 付款码) rides the card engine and the host link end to end, and
// what the client or terminal is told agrees with the issuer's money: over HTTP (`method: "unionpay-qr"`)
// and over the terminal link on both dialects (iso87-ascii DE 48 `QRC=`, cups-pos through
// `reswipe terminal --auth-code`): approved and charged once, 51 and 54 declined and not charged, a
// reply lost after the issuer charged (the simulator's fault code) reversed and not charged, a
// retransmission answered once; the approval priced at the plan's UnionPay QR rate and in the statement;
// void and refund through the card follow-up path; no full code in the gateway's log.
// Method: `reswipe issuer-sim` and `reswipe serve` as child processes (port 0, a config file), HTTP with
// fetch, a codec-built terminal, `reswipe terminal` and `reswipe settle` as commands; the simulator's
// ledger (admin API) is the money.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getText } from '../../src/core/iso8583/index.ts';
import { maskAuthCode } from '../../src/core/qr/mask-auth-code.ts';
import { businessDateOf } from '../../src/core/fees/business-date.ts';
import { TerminalClient, de7, qrSaleMessage, saleMessage } from './terminal-client.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { reswipeBin, runReswipe, startReswipeJson, stopChild, type StartedReswipe } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';
import { waitingFor } from '../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 50 });
/** Before the first sale: with now, it bounds the business dates the file's sales can fall on. */
const startedAtMs = Date.now();

const merchantId = 'M00000000000001';
const terminalId = 'T0000001';

interface LedgerEntry {
  kind: string;
  cardId: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
  refundedMinor: number;
}

let dir = '';
let configPath = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let simAdminPort = 0;
let httpPort = 0;
let asciiPort = 0;
let cupsPort = 0;
let merchantKey = '';
let keyCounter = 0;
let stanCounter = 300;
let codeCounter = 0;
/** Every code sent: none may appear in the gateway's log. */
const codesSent: string[] = [];
let gatewayLog = '';
const gatewayLogCharsMax = 4_000_000;

const nextStan = () => String(++stanCounter).padStart(6, '0');

/** A fresh 19-digit UnionPay QR code whose last two digits pick the simulator's outcome (00 pays, 51, 54, 92 reply lost). */
function nextCode(suffix: '00' | '51' | '54' | '92'): string {
  const code = `62${String(++codeCounter).padStart(15, '0')}${suffix}`;
  codesSent.push(code);
  return code;
}

/** Runs `reswipe <args>` to its end without blocking the event loop; rejects on a non-zero exit. */
function runReswipeAsync(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [reswipeBin, ...args], { cwd: dir, timeout: 60_000, encoding: 'utf8' });
}

async function ledger(): Promise<LedgerEntry[]> {
  return (await readIssuerLedger<LedgerEntry>(simAdminPort)).entries;
}

function entriesOfAmount(entries: LedgerEntry[], amountMinor: number): LedgerEntry[] {
  return entries.filter((entry) => entry.amountMinor === amountMinor);
}

/** What the customer paid for a sale of this amount: charges not reversed, less refunds. */
function netChargedMinor(entries: LedgerEntry[], amountMinor: number): number {
  return entriesOfAmount(entries, amountMinor)
    .filter((entry) => entry.kind === 'charge' && !entry.reversed)
    .reduce((sum, entry) => sum + entry.amountMinor - entry.refundedMinor, 0);
}

async function post(path: string, body: unknown, idempotencyKey = `upqr-${++keyCounter}`) {
  const response = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${merchantKey}`, 'idempotency-key': idempotencyKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function getPayment(id: string): Promise<Record<string, any>> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/v1/payments/${id}`, { headers: { authorization: `Bearer ${merchantKey}` }, signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, any>;
}

function qrSale(authCode: string, amountMinor: number, idempotencyKey?: string) {
  return post('/v1/payments', { merchantId, terminalId, amountMinor, currency: 'CNY', method: 'unionpay-qr', authCode }, idempotencyKey);
}

async function signedOnClient(): Promise<TerminalClient> {
  const client = await TerminalClient.connect(asciiPort);
  const answer = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: terminalId, 70: '001' } });
  assert.equal(answer.fields[39], '00');
  return client;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-upqr-e2e-'));
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir });
  sim = started.child;
  simAdminPort = Number(started.info.adminPort);
  configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-upqr-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
      listeners: [
        { name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' },
        { name: 'cups', port: 0, dialect: 'cups-pos', language: 'zh' },
      ],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
      merchants: [{ id: merchantId, name: 'UnionPay QR shop', mcc: '5411', accepts: ['debit', 'credit', 'unionpay-qr'], terminals: [terminalId] }],
    }),
  );
  const served: StartedReswipe = await startReswipeJson(['serve', '--config', configPath, '--json'], {
    cwd: dir,
    logLevel: 'info',
    onStderr: (text) => {
      if (gatewayLog.length < gatewayLogCharsMax) gatewayLog += text;
    },
  });
  gateway = served.child;
  httpPort = Number(served.info.http);
  const listeners = served.info.listeners as Record<string, number>;
  asciiPort = Number(listeners.pos);
  cupsPort = Number(listeners.cups);
  const created = runReswipe(['keys', 'create', '--config', configPath, '--merchant', merchantId], { cwd: dir });
  assert.equal(created.status, 0, created.stderr);
  merchantKey = created.stdout.trim();
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('HTTP: approved is charged once at the UnionPay QR rate, stored masked as method unionpay-qr', async () => {
  const authCode = nextCode('00');
  const answer = await qrSale(authCode, 12_345);
  assert.equal(answer.status, 201, JSON.stringify(answer.json));
  assert.equal(answer.json.status, 'approved');
  assert.equal(answer.json.method, 'unionpay-qr');
  assert.equal(answer.json.card.masked, maskAuthCode(authCode));
  assert.equal(answer.json.card.brand, 'unionpay');
  const entries = entriesOfAmount(await ledger(), 12_345);
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.kind, 'charge');
  assert.equal(entries[0]!.cardId, 'unionpay-qr-ok', 'charged to the QR wallet, not a card');
  assert.equal(entries[0]!.rrn, (answer.json.rrn ?? '').trim());
  // The built-in plan prices UnionPay QR at 0.60 %: 12 345 fen × 60 bps = 74.07, half-up 74. The fee line
  // is the payment projector's, written off the answer's path (docs/projector.md): read once it is there.
  const stored = await waitFor('the fee line of the approval', async () => {
    const payment = await getPayment(answer.json.id);
    return payment.fee !== undefined && payment.fee !== null ? payment : null;
  });
  assert.equal(stored.fee?.rateBps, 60);
  assert.equal(stored.fee?.feeMinor, 74);
});

test('HTTP: 51 and 54 are declined with their diagnosis and nothing is charged', async () => {
  const rows = [
    { suffix: '51', amountMinor: 2_051, code: '51', category: 'insufficient_funds' },
    { suffix: '54', amountMinor: 2_054, code: '54', category: 'card_status' },
  ] as const;
  for (const row of rows) {
    const answer = await qrSale(nextCode(row.suffix), row.amountMinor);
    assert.equal(answer.status, 201);
    assert.equal(answer.json.status, 'declined', JSON.stringify(answer.json));
    assert.equal(answer.json.decline.code, row.code);
    assert.equal(answer.json.decline.category, row.category);
  }
  const entries = await ledger();
  for (const row of rows) assert.equal(netChargedMinor(entries, row.amountMinor), 0);
});

test('HTTP: a reply lost after the issuer charged is reversed (0400) and the customer is not charged', async () => {
  const answer = await qrSale(nextCode('92'), 3_092);
  assert.equal(answer.status, 201);
  assert.notEqual(answer.json.status, 'approved');
  const entries = await waitForIssuerLedger<LedgerEntry>(simAdminPort, 'the lost-reply charge reversed', (all) => entriesOfAmount(all, 3_092).some((entry) => entry.reversed), 20_000);
  assert.equal(entriesOfAmount(entries, 3_092).length, 1, 'one charge, never resent');
  assert.equal(netChargedMinor(entries, 3_092), 0);
  for (let tries = 0; tries < 50; tries += 1) {
    if ((await getPayment(answer.json.id)).status === 'reversed') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal((await getPayment(answer.json.id)).status, 'reversed');
});

test('HTTP: a bad code is refused naming authCode; the same key and body replay, another body is 422', async () => {
  const bad = await qrSale('621234567890123456', 1_000);
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.json), /authCode/);
  const authCode = nextCode('00');
  const first = await qrSale(authCode, 4_100, 'upqr-replay');
  const again = await qrSale(authCode, 4_100, 'upqr-replay');
  assert.equal(again.json.id, first.json.id);
  assert.equal(again.json.status, 'approved');
  const other = await qrSale(authCode, 4_101, 'upqr-replay');
  assert.equal(other.status, 422);
  assert.equal(entriesOfAmount(await ledger(), 4_100).length, 1);
  assert.equal(entriesOfAmount(await ledger(), 4_101).length, 0);
});

test('HTTP: a partial refund and a same-day void of UnionPay QR sales go through the card follow-up path', async () => {
  const refunded = await qrSale(nextCode('00'), 5_000);
  assert.equal(refunded.json.status, 'approved');
  const refund = await post(`/v1/payments/${refunded.json.id}/refunds`, { amountMinor: 1_200 });
  assert.equal(refund.status, 201, JSON.stringify(refund.json));
  assert.equal(refund.json.status, 'approved');
  const afterRefund = await waitForIssuerLedger<LedgerEntry>(simAdminPort, 'the refund', (all) => entriesOfAmount(all, 5_000).some((entry) => entry.refundedMinor === 1_200), 20_000);
  assert.equal(netChargedMinor(afterRefund, 5_000), 3_800);

  const voided = await qrSale(nextCode('00'), 6_000);
  assert.equal(voided.json.status, 'approved');
  const voidAnswer = await post(`/v1/payments/${voided.json.id}/void`, {});
  assert.equal(voidAnswer.status, 201, JSON.stringify(voidAnswer.json));
  assert.equal(voidAnswer.json.status, 'approved');
  assert.equal((await getPayment(voided.json.id)).status, 'voided');
  const afterVoid = await waitForIssuerLedger<LedgerEntry>(simAdminPort, 'the void', (all) => netChargedMinor(all, 6_000) === 0, 20_000);
  assert.equal(entriesOfAmount(afterVoid, 6_000).filter((entry) => entry.kind === 'charge').length, 1);
});

test('terminal iso87-ascii: the code in DE 48 QRC=: approved once (a resend replays), 51, 54, and a lost reply reversed', async () => {
  const client = await signedOnClient();
  try {
    const message = qrSaleMessage({ stan: nextStan(), authCode: nextCode('00'), amountMinor: 7_000 });
    const approved = await client.request(message);
    assert.equal(approved.mti, '0210');
    assert.equal(approved.fields[39], '00', JSON.stringify(approved.fields));
    assert.match(getText(approved, 38) ?? '', /^\w{6}$/);
    const resent = await client.request(message);
    assert.equal(resent.fields[39], '00');
    assert.equal(getText(resent, 37), getText(approved, 37));
    assert.equal(entriesOfAmount(await ledger(), 7_000).length, 1, 'the resend is not a second charge');

    const low = await client.request(qrSaleMessage({ stan: nextStan(), authCode: nextCode('51'), amountMinor: 7_051 }));
    assert.equal(low.fields[39], '51');
    const expired = await client.request(qrSaleMessage({ stan: nextStan(), authCode: nextCode('54'), amountMinor: 7_054 }));
    assert.equal(expired.fields[39], '54');

    const lost = await client.request(qrSaleMessage({ stan: nextStan(), authCode: nextCode('92'), amountMinor: 7_092 }));
    assert.notEqual(lost.fields[39], '00');
    const entries = await waitForIssuerLedger<LedgerEntry>(simAdminPort, 'the terminal sale reversed', (all) => entriesOfAmount(all, 7_092).some((entry) => entry.reversed), 20_000);
    for (const amountMinor of [7_051, 7_054, 7_092]) assert.equal(netChargedMinor(entries, amountMinor), 0, `${amountMinor}`);
    assert.equal(netChargedMinor(entries, 7_000), 7_000);
  } finally {
    client.close();
  }
});

test('terminal iso87-ascii: the code in DE 2 with DE 22 032, as on the host link, is taken the same way', async () => {
  const client = await signedOnClient();
  try {
    const authCode = nextCode('00');
    const message = saleMessage({ stan: nextStan(), pan: authCode, amountMinor: 7_200 });
    delete message.fields[14];
    message.fields[22] = '032';
    const answer = await client.request(message);
    assert.equal(answer.fields[39], '00', JSON.stringify(answer.fields));
    assert.equal(netChargedMinor(await ledger(), 7_200), 7_200);
  } finally {
    client.close();
  }
});

test('terminal cups-pos: `reswipe terminal --auth-code 62...` is approved and charged once', async () => {
  const authCode = nextCode('00');
  // Run without blocking this process (its HTTP connections to the simulator stay usable).
  const run = await runReswipeAsync(['terminal', '--port', String(cupsPort), '--dialect', 'cups-pos', '--terminal-id', terminalId, '--merchant-id', merchantId, '--auth-code', authCode, '--amount', '81.00', '--json']);
  const report = JSON.parse(run.stdout) as Record<string, any>;
  assert.equal(report.responseCode, '00', run.stdout);
  assert.ok(!run.stdout.includes(authCode), 'the receipt shows the code masked');
  assert.equal(netChargedMinor(await ledger(), 8_100), 8_100);
});

test('the statement lists the UnionPay QR sales with their method and masked code', () => {
  // The business date, not the calendar date: after the 23:00 cut-off (Asia/Shanghai, the default) a sale
  // belongs to the next day's statement. Two dates when the file's sales straddle the cut-off.
  const dates = [...new Set([businessDateOf(startedAtMs), businessDateOf(Date.now())])];
  let csv = '';
  for (const date of dates) {
    const settled = runReswipe(['settle', 'run', '--config', configPath, '--date', date, '--merchant', merchantId, '--json'], { cwd: dir });
    assert.equal(settled.status, 0, settled.stderr);
    const out = join(dir, `statement-${date}.csv`);
    const exported = runReswipe(['settle', 'export', '--config', configPath, '--date', date, '--merchant', merchantId, '--out', out], { cwd: dir });
    assert.equal(exported.status, 0, exported.stderr);
    csv += readFileSync(out, 'utf8');
  }
  const qrRows = csv.split('\r\n').filter((line) => line.includes(',unionpay-qr,'));
  // The first HTTP sale: ¥123.45 at 60 bps, its code masked (first 4, last 4).
  assert.ok(qrRows.some((line) => line.includes(`,${maskAuthCode(codesSent[0]!)},unionpay-qr,12345,74,12271,60,`)), csv);
  assert.ok(qrRows.some((line) => line.includes(',refund,') && line.includes(',-1200,')), 'the refund is on the statement');
  for (const code of codesSent) assert.ok(!csv.includes(code), 'the statement never holds a full code');
});

test('no full UnionPay QR code reached the gateway log', () => {
  assert.ok(gatewayLog.length > 0, 'the gateway logged at info');
  for (const code of codesSent) assert.ok(!gatewayLog.includes(code), `code ending ${code.slice(-4)} in the log`);
});
