// Goal: the terminal link's money holes stay closed between real processes. A 0400 reverses a sale
// only when it names the sale's own terminal and merchant (DE 41, DE 42) and amount (DE 4) before its
// batch is settled; a stranger's 0400 is refused with its code and the sale stays charged at the bank.
// A 0220 refund advice carrying another card than the sale's is refused and nothing is stored or
// refunded. Method: `reswipe issuer-sim` and `reswipe serve` as child processes (port 0), terminals
// built on the codec over TCP, the simulator's ledger read over its admin API, and the gateway's
// SQLite file read directly for what was stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { getText, type IsoMessage } from '../../src/core/iso8583/index.ts';
import { startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';

const okPan = '6222020000000000018';
const otherPan = '5555555555554444';
const till = { terminalId: 'T0000001', merchantId: 'M00000000000001' };
const stranger = { terminalId: 'T0000009', merchantId: 'M00000000000002' };
const settlingTill = { terminalId: 'T0000003', merchantId: 'M00000000000001' };

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
  refundedMinor: number;
}

let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let adminPort = 0;
let terminalPort = 0;
let stanCounter = 700;

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

async function entryOf(amountMinor: number): Promise<LedgerEntry | undefined> {
  return (await readIssuerLedger<LedgerEntry>(adminPort)).entries.find((entry) => entry.kind === 'charge' && entry.amountMinor === amountMinor);
}

async function signedOn(who: { terminalId: string }): Promise<TerminalClient> {
  const client = await TerminalClient.connect(terminalPort);
  const answer = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: who.terminalId, 70: '001' } });
  assert.equal(answer.fields[39], '00');
  return client;
}

/** DE 90 naming an earlier request (MTI, STAN, DE 7). */
function naming(original: IsoMessage): string {
  return `${original.mti}${getText(original, 11)}${getText(original, 7)}${'0'.repeat(22)}`;
}

function reversalOf(original: IsoMessage, fields: { terminalId: string; merchantId: string; amountMinor: number }): IsoMessage {
  return {
    mti: '0400',
    fields: { 3: '000000', 4: String(fields.amountMinor).padStart(12, '0'), 7: de7(), 11: nextStan(), 39: '96', 41: fields.terminalId, 42: fields.merchantId, 49: '156', 90: naming(original) },
  };
}

/** The rows the gateway stored for an amount, read from its SQLite file (WAL mode lets a reader in while it runs). */
function storedPayments(amountMinor: number): Array<{ kind: string; status: string }> {
  const db = new Database(join(dir, 'gateway.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT kind, status FROM payments WHERE amount_minor = ?').all(amountMinor) as Array<{ kind: string; status: string }>;
  } finally {
    db.close();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-e2e-edges-'));
  const env = { RESWIPE_DEVELOPMENT_MODE: '1' };
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir, env, onSpawn: (child) => (sim = child) });
  adminPort = Number(started.info.adminPort);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
    security: { panKey: 'e2e-test-pan-key-0123456789' },
    http: { port: 0 },
    engine: { terminalTimeoutMs: 9_000, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
    channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
    merchants: [
      { id: till.merchantId, name: 'E2E shop', mcc: '5411', terminals: [till.terminalId, settlingTill.terminalId] },
      { id: stranger.merchantId, name: 'Stranger shop', mcc: '5411', terminals: [stranger.terminalId] },
    ],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const served = await startReswipeJson(['serve', '--config', join(dir, 'config.json'), '--json'], { cwd: dir, env, onSpawn: (child) => (gateway = child) });
  terminalPort = Number((served.info.listeners as Record<string, number>).pos);
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test("a stranger's 0400 (another merchant, another amount) is refused and the sale stays charged; the till's own reverses it", async () => {
  const tillClient = await signedOn(till);
  const strangerClient = await signedOn(stranger);
  try {
    const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_101, ...till });
    assert.equal((await tillClient.request(sale)).fields[39], '00');

    // A fresh connection of another shop, naming the till's terminal and sale: refused (77) while that
    // connection has not signed the till's terminal on (docs/terminal-keys.md)...
    const unsigned = await strangerClient.request(reversalOf(sale, { terminalId: till.terminalId, merchantId: stranger.merchantId, amountMinor: 4_101 }));
    assert.equal(unsigned.fields[39], '77');
    // ...and, once it has (possible without MACs, as here in development mode), still bound to the sale.
    const signOnAsTill = await strangerClient.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: till.terminalId, 70: '001' } });
    assert.equal(signOnAsTill.fields[39], '00');
    const otherMerchant = await strangerClient.request(reversalOf(sale, { terminalId: till.terminalId, merchantId: stranger.merchantId, amountMinor: 4_101 }));
    assert.equal(otherMerchant.mti, '0410');
    assert.equal(otherMerchant.fields[39], '63');
    assert.match(getText(otherMerchant, 63) ?? '', /terminal and merchant of its sale/);
    const otherAmount = await strangerClient.request(reversalOf(sale, { ...till, amountMinor: 4_100 }));
    assert.equal(otherAmount.fields[39], '64');

    await delay(1_500); // the reversal worker polls every second: a reversal queued by mistake would have reached the bank
    const charged = await entryOf(4_101);
    assert.ok(charged !== undefined, 'the sale was charged');
    assert.equal(charged.reversed, false, 'the refused 0400s reversed nothing');
    assert.deepEqual(storedPayments(4_101), [{ kind: 'sale', status: 'approved' }]);

    // The sale's own terminal, merchant and amount: honoured, and the bank shows it reversed.
    const own = await tillClient.request(reversalOf(sale, { ...till, amountMinor: 4_101 }));
    assert.equal(own.fields[39], '00');
    await waitForIssuerLedger<LedgerEntry>(adminPort, 'the till-reversed charge', (entries) => entries.some((entry) => entry.amountMinor === 4_101 && entry.reversed), 15_000);
  } finally {
    tillClient.close();
    strangerClient.close();
  }
});

test('a 0400 after its batch is settled is refused with 12 and the sale stays charged', async () => {
  const client = await signedOn(settlingTill);
  try {
    const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_201, ...settlingTill });
    assert.equal((await client.request(sale)).fields[39], '00');
    const totals = `${'4201'.padStart(12, '0')}001${'0'.repeat(12)}000`;
    const settled = await client.request({ mti: '0500', fields: { 7: de7(), 11: nextStan(), 41: settlingTill.terminalId, 42: settlingTill.merchantId, 48: totals } });
    assert.equal(settled.fields[39], '00', getText(settled, 63));
    const late = await client.request(reversalOf(sale, { ...settlingTill, amountMinor: 4_201 }));
    assert.equal(late.fields[39], '12');
    assert.match(getText(late, 63) ?? '', /batch holding the sale is settled/);
    await delay(1_500);
    assert.equal((await entryOf(4_201))?.reversed, false, 'still charged');
    assert.deepEqual(storedPayments(4_201), [{ kind: 'sale', status: 'approved' }]);
  } finally {
    client.close();
  }
});

test('a 0220 refund advice with another card than the sale is refused with 14: nothing stored, nothing refunded; the sale card is refunded', async () => {
  const client = await signedOn(till);
  try {
    const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_301, ...till });
    const approved = await client.request(sale);
    assert.equal(approved.fields[39], '00');
    const refundOf = (pan: string): IsoMessage => {
      const base = saleMessage({ stan: nextStan(), pan, amountMinor: 1_000, ...till });
      const fields: IsoMessage['fields'] = { ...base.fields, 3: '200000', 90: naming(sale) };
      delete fields[48];
      return { mti: '0220', fields };
    };
    const otherCard = await client.request(refundOf(otherPan));
    assert.equal(otherCard.mti, '0230');
    assert.equal(otherCard.fields[39], '14');
    assert.match(getText(otherCard, 63) ?? '', /not the card of the original/);
    await delay(1_500); // the advice forwarder would have sent a stored refund by now
    assert.equal((await entryOf(4_301))?.refundedMinor, 0, 'nothing refunded at the bank');
    assert.deepEqual(storedPayments(1_000), [], 'no refund stored');

    const ownCard = await client.request(refundOf(okPan));
    assert.equal(ownCard.fields[39], '00');
    await waitForIssuerLedger<LedgerEntry>(adminPort, 'the refund to the sale card', (entries) => entries.some((entry) => entry.kind === 'charge' && entry.amountMinor === 4_301 && entry.refundedMinor === 1_000), 15_000);
  } finally {
    client.close();
  }
});

test("a terminal of another shop naming the till's sale by RRN (DE 37) and the till's merchant (DE 42) is refused with 97: nothing refunded", async () => {
  const tillClient = await signedOn(till);
  const strangerClient = await signedOn(stranger);
  try {
    const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_401, ...till });
    const approved = await tillClient.request(sale);
    assert.equal(approved.fields[39], '00');
    const rrn = getText(approved, 37) ?? '';
    const base = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 2_000, terminalId: stranger.terminalId, merchantId: till.merchantId });
    const fields: IsoMessage['fields'] = { ...base.fields, 3: '200000', 37: rrn };
    for (const de of [2, 14, 48]) delete fields[de];
    const refund = await strangerClient.request({ mti: '0220', fields });
    assert.equal(refund.mti, '0230');
    assert.equal(refund.fields[39], '97');
    await delay(1_500);
    assert.equal((await entryOf(4_401))?.refundedMinor, 0, 'nothing refunded at the bank');
    assert.deepEqual(storedPayments(2_000), [], 'no refund stored');
  } finally {
    tillClient.close();
    strangerClient.close();
  }
});
