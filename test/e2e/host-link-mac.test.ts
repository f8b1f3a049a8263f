// Goal: with a MAC key on the host link, a forged or garbled approval from the bank's side is never
// trusted. Method: real processes: `reswipe issuer-sim --mac-key` and `reswipe serve` whose channel has
// the same key sealed in channels[].mac (under a master key file). A terminal's sale is approved over
// the MACed link; the simulator's bad-answer-MAC fault (¥888.08: charged, then an approval with a wrong
// MAC) leaves the terminal told 98 (not charged) and the issuer's ledger showing the charge reversed; a
// request without a MAC sent straight to the simulator is answered A0 and charges nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { getText } from '../../src/core/iso8583/index.ts';
import { TerminalKeyVault } from '../../src/adapters/crypto/terminal-key-vault.ts';
import { sealZonePinKey } from '../../src/app/terminal-keys/zone-pin-keys.ts';
import { envWithoutReswipe, runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';

const okPan = '6222020000000000018';
const macKeyHex = '0123456789ABCDEFFEDCBA9876543210';
const badAnswerMacAmountMinor = 88_808;

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed?: boolean;
}

let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let adminPort = 0;
let isoPort = 0;
let terminalPort = 0;
let httpPort = 0;
let adminKey = '';
let gatewayLog = '';
let stanCounter = 700;

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-e2e-hostmac-'));
  const keyFile = join(dir, 'master.key');
  const masterKeyHex = randomBytes(32).toString('hex');
  writeFileSync(keyFile, `${masterKeyHex}\n`, { mode: 0o600 });
  // The key ceremony's result (`reswipe zone-mac-key seal`): two components whose XOR is the simulator's key.
  const otherComponent = randomBytes(16);
  const firstComponent = Buffer.from(macKeyHex, 'hex').map((byte, index) => byte ^ (otherComponent[index] as number));
  const sealed = sealZonePinKey(new TerminalKeyVault(Buffer.from(masterKeyHex, 'hex'), 'file'), 'zak/sim', '3des', [{ hex: Buffer.from(firstComponent).toString('hex') }, { hex: otherComponent.toString('hex') }], 'mac');
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--mac-key', macKeyHex], { cwd: dir });
  sim = started.child;
  assert.equal(started.info.mac, '3des');
  adminPort = Number(started.info.adminPort);
  isoPort = Number(started.info.isoPort);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
    security: { panKey: randomBytes(32).toString('hex'), terminalMasterKeyFile: keyFile },
    http: { port: 0 },
    engine: { terminalTimeoutMs: 9_000, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en', security: { mac: 'off' } }],
    channels: [{ name: 'bank', host: '127.0.0.1', port: isoPort, timeoutMs: 3_000, echoIntervalMs: 0, mac: { keyRef: 'zak/sim', algorithm: '3des', checkValue: sealed.checkValue, sealed: sealed.sealed } }],
    merchants: [{ id: 'M00000000000001', name: 'MAC shop', mcc: '5411', terminals: ['T0000001'] }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const served = await startReswipeJson(['serve', '--config', join(dir, 'config.json'), '--json'], {
    cwd: dir,
    env: { RESWIPE_DEVELOPMENT_MODE: '1' },
    onStderr: (text) => {
      gatewayLog += text;
    },
  });
  gateway = served.child;
  terminalPort = Number((served.info.listeners as Record<string, number>).pos);
  httpPort = Number(served.info.http);
  // /metrics needs an admin key on the API port.
  const created = runReswipe(['keys', 'create', '--config', join(dir, 'config.json'), '--admin', '--label', 'e2e'], { cwd: dir, env: envWithoutReswipe({ RESWIPE_DEVELOPMENT_MODE: '1' }) });
  assert.equal(created.status, 0, created.stderr);
  adminKey = created.stdout.trim();
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function signedOnClient(): Promise<TerminalClient> {
  const client = await TerminalClient.connect(terminalPort, 'iso87-ascii', 'binary2');
  const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000001', 70: '001' } });
  assert.equal(signOn.fields[39], '00');
  return client;
}

test('a sale over the MACed host link is approved and charged once', async () => {
  const client = await signedOnClient();
  try {
    // The channel connects in the background after start; a sale before that is declined, not sent.
    let answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_321 }));
    for (let tries = 0; answer.fields[39] !== '00' && tries < 50; tries += 1) {
      await delay(200);
      answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_321 }));
    }
    assert.equal(answer.fields[39], '00', 'approved: the simulator accepted the gateway MAC and the gateway accepted the answer MAC');
    const rrn = (getText(answer, 37) ?? '').trim();
    const { entries } = await readIssuerLedger<LedgerEntry>(adminPort);
    assert.equal(entries.filter((entry) => entry.rrn === rrn && entry.kind === 'charge').length, 1);
  } finally {
    client.close();
  }
});

test('an approval with a bad MAC is not trusted: the terminal is told 98 and the charge is reversed at the issuer', async () => {
  const client = await signedOnClient();
  try {
    const answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: badAnswerMacAmountMinor }));
    assert.equal(answer.fields[39], '98', 'never approved on an answer whose MAC is wrong');
    await waitForIssuerLedger<LedgerEntry>(
      adminPort,
      'the bad-MAC charge reversed',
      (entries) => {
        const charges = entries.filter((entry) => entry.amountMinor === badAnswerMacAmountMinor && entry.kind === 'charge');
        // The engine may try again after a confirmed reversal (each try meets the same fault); every charge must be reversed.
        return charges.length >= 1 && charges.every((entry) => entry.reversed === true);
      },
      20_000,
    );
  } finally {
    client.close();
  }
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
  assert.match(metrics, /reswipe_channel_mac_rejected_total\{channel="bank",reason="bad"\} [1-9]/);
  assert.match(metrics, /reswipe_attempts_total\{outcome="unknown",code="bad_mac",channel="bank"\} [1-9]/);
  assert.match(gatewayLog, /MAC missing or wrong/);
  assert.ok(!gatewayLog.toUpperCase().includes(macKeyHex), 'the MAC key is never logged');
});

test('the simulator answers a request without a MAC with A0 and charges nothing', async () => {
  const bank = await TerminalClient.connect(isoPort, 'iso87-ascii', 'binary2');
  try {
    const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 5_432 });
    const answer = await bank.request({ ...sale, fields: { ...sale.fields, 32: '00000000001' } });
    assert.equal(answer.mti, '0210');
    assert.equal(answer.fields[39], 'A0');
  } finally {
    bank.close();
  }
  const { entries } = await readIssuerLedger<LedgerEntry>(adminPort);
  assert.equal(entries.filter((entry) => entry.amountMinor === 5_432).length, 0, 'nothing charged');
});
