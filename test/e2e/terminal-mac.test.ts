// Goal: terminal security holds between real processes: a sign-on downloads working keys under the
// terminal's master key, MACed sales and reversals go through, and a reversal with a wrong MAC,
// without a MAC, from a connection that never signed on, or from another terminal is refused while
// the sale stays charged at the issuer; afterwards no key, PIN block or MAC key is in the database,
// its WAL or the log in clear. Method: `reswipe issuer-sim` and `reswipe serve` as child processes
// (MACs required, a 0600 master key file, development mode off), TMKs made with the real
// `reswipe terminal-keys generate`, a codec-built terminal that MACs with the crypto primitives, and
// the simulator's ledger as the judge of money.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalClient } from './terminal-client.ts';
import { getDialect, getText, type IsoMessage } from '../../src/core/iso8583/index.ts';
import type { KeyAlgorithm } from '../../src/core/crypto/block-cipher.ts';
import { combineKeyComponents } from '../../src/core/crypto/key-components.ts';
import { keyCheckValue } from '../../src/core/crypto/key-check-value.ts';
import { checkMessageMac, packWithMac } from '../../src/core/crypto/terminal-mac.ts';
import { decodeWorkingKeyBlock, type WorkingKeys } from '../../src/core/crypto/working-key-block.ts';
import { encryptEcb } from '../../src/core/crypto/block-cipher.ts';
import { accountNumber12Of, formatPinBlock } from '../../src/core/crypto/pin-block.ts';
import { TerminalKeyVault } from '../../src/adapters/crypto/terminal-key-vault.ts';
import { sealZonePinKey } from '../../src/app/terminal-keys/zone-pin-keys.ts';
import { envWithoutReswipe, runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger } from '../support/issuer-ledger.ts';

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
}

const merchantId = 'M00000000000001';
const okPan = '6222020000000000018';
const cups = getDialect('cups-pos');
const ascii = getDialect('iso87-ascii');

let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let adminPort = 0;
let cupsPort = 0;
let asciiPort = 0;
let httpPort = 0;
let gatewayLog = '';
let stanCounter = 300;
const masterKeys = new Map<string, { algorithm: KeyAlgorithm; tmk: Buffer }>();
const zonePinKeyComponents = ['1032547698BADCFE1032547698BADCFE', '0000000000000000FFFFFFFFFFFFFFFF'];
let zonePinKey: Buffer = Buffer.alloc(16);
/** Every clear key and PIN block the test saw, for the scan at the end. */
const secrets: Array<{ what: string; bytes: Buffer }> = [];

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

function localNow(): { mmdd: string; hhmmss: string } {
  const at = new Date(Date.now() + 8 * 3_600_000);
  const two = (value: number) => String(value).padStart(2, '0');
  return { mmdd: two(at.getUTCMonth() + 1) + two(at.getUTCDate()), hhmmss: two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds()) };
}

const envelope = { tpdu: Uint8Array.from([0x60, 0, 3, 0, 0]), header: '603100000000' };

/** A cups-pos terminal connection and the working keys of its latest sign-on on it. */
interface Terminal {
  id: string;
  client: TerminalClient;
  keys: WorkingKeys | null;
}

async function connect(id: string, port = cupsPort, dialect = 'cups-pos'): Promise<Terminal> {
  return { id, client: await TerminalClient.connect(port, dialect), keys: null };
}

async function signOn(terminal: Terminal): Promise<IsoMessage> {
  const master = masterKeys.get(terminal.id);
  assert.ok(master !== undefined);
  const answer = await terminal.client.request({ mti: '0800', ...envelope, fields: { 11: nextStan(), 41: terminal.id, 42: merchantId, 60: { '1': '00', '2': '000001', '3': '003' } } });
  assert.equal(answer.fields[39], '00');
  const block = answer.fields[62];
  assert.ok(block instanceof Uint8Array, 'the 0810 carries DE 62');
  const decoded = decodeWorkingKeyBlock(master.algorithm, master.tmk, '003', block);
  assert.ok(decoded.ok, 'the working keys decrypt under the TMK and match their check values');
  terminal.keys = decoded.keys;
  secrets.push({ what: `${terminal.id} PIN key`, bytes: decoded.keys.pin }, { what: `${terminal.id} MAC key`, bytes: decoded.keys.mac });
  return answer;
}

function sale(terminalId: string, stan: string, amountMinor: number, pinBlock?: Buffer): IsoMessage {
  const local = localNow();
  const fields: IsoMessage['fields'] = {
    2: okPan, 3: '000000', 4: String(amountMinor).padStart(12, '0'), 11: stan, 12: local.hhmmss, 13: local.mmdd, 14: '3012', 22: '051', 25: '00',
    41: terminalId, 42: merchantId, 49: '156', 60: { '1': '22', '2': '000001', '3': '000' },
  };
  if (pinBlock !== undefined) fields[52] = pinBlock;
  return { mti: '0200', ...envelope, fields };
}

function reversalOf(terminalId: string, original: IsoMessage, amountMinor: number): IsoMessage {
  const originalStan = getText(original, 11) ?? '';
  return {
    mti: '0400',
    ...envelope,
    fields: {
      3: '000000', 4: String(amountMinor).padStart(12, '0'), 11: originalStan, 25: '00', 39: '98', 41: terminalId, 42: merchantId, 49: '156',
      60: { '1': '22', '2': '000001', '3': '000' }, 61: { '1': '000001', '2': originalStan, '3': getText(original, 13) ?? '' },
    },
  };
}

/** Sends `message` MACed with the terminal's MAC key (or the given one) and returns the answer. */
async function sendMaced(terminal: Terminal, message: IsoMessage, macKey?: Buffer): Promise<IsoMessage> {
  const algorithm = masterKeys.get(terminal.id)?.algorithm ?? '3des';
  const key = macKey ?? terminal.keys?.mac;
  assert.ok(key !== undefined);
  return terminal.client.request(message, 20_000, packWithMac(cups, message, algorithm, key));
}

function assertAnswerMac(terminal: Terminal, answer: IsoMessage, dialect = cups): void {
  const frame = terminal.client.frameOf(answer);
  assert.ok(frame !== undefined && terminal.keys !== null);
  assert.equal(checkMessageMac(dialect, frame, answer, masterKeys.get(terminal.id)?.algorithm ?? '3des', terminal.keys.mac), 'ok', 'the answer carries a good MAC');
}

function ledger(): Promise<LedgerEntry[]> {
  return readIssuerLedger<LedgerEntry>(adminPort).then((read) => read.entries);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-e2e-mac-'));
  const keyFile = join(dir, 'master.key');
  const masterKeyHex = randomBytes(32).toString('hex');
  writeFileSync(keyFile, `${masterKeyHex}\n`, { mode: 0o600 });
  // The channel's zone PIN key, sealed under the same local master key (docs/security.md): PIN blocks go to the simulator under it.
  zonePinKey = combineKeyComponents('3des', zonePinKeyComponents.map((hex) => Buffer.from(hex, 'hex')));
  secrets.push({ what: 'zone PIN key', bytes: zonePinKey });
  const sealedZonePinKey = sealZonePinKey(new TerminalKeyVault(Buffer.from(masterKeyHex, 'hex'), 'file'), 'zpk/sim', '3des', zonePinKeyComponents.map((hex) => ({ hex })));
  const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir });
  sim = started.child;
  adminPort = Number(started.info.adminPort);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
    security: { panKey: randomBytes(32).toString('hex'), developmentMode: false, terminalMasterKeyFile: keyFile },
    http: { port: 0 },
    engine: { terminalTimeoutMs: 9_000, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
    listeners: [
      { name: 'pos', port: 0, dialect: 'cups-pos', language: 'en', security: { mac: 'required' } },
      { name: 'ascii', port: 0, dialect: 'iso87-ascii', language: 'en', security: { mac: 'required' } },
    ],
    channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0, zonePinKey: { keyRef: 'zpk/sim', algorithm: '3des', checkValue: sealedZonePinKey.checkValue, sealed: sealedZonePinKey.sealed } }],
    merchants: [{ id: merchantId, name: 'MAC shop', mcc: '5411', terminals: ['T0000001', 'T0000002', 'T0000003'] }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const served = await startReswipeJson(['serve', '--config', join(dir, 'config.json'), '--json'], {
    cwd: dir,
    logLevel: 'debug',
    env: { RESWIPE_DEVELOPMENT_MODE: '0' },
    onStderr: (text) => {
      gatewayLog += text;
    },
  });
  gateway = served.child;
  const listeners = served.info.listeners as Record<string, number>;
  cupsPort = Number(listeners.pos);
  asciiPort = Number(listeners.ascii);
  httpPort = Number(served.info.http);
  // The key ceremony, as an operator runs it while the gateway serves.
  for (const [terminalId, algorithm] of [['T0000001', '3des'], ['T0000002', 'sm4'], ['T0000003', '3des']] as const) {
    const generated = runReswipe(['terminal-keys', 'generate', terminalId, '--algorithm', algorithm, '--json', '--config', join(dir, 'config.json')], { cwd: dir, env: envWithoutReswipe() });
    assert.equal(generated.status, 0, generated.stderr);
    const shown = JSON.parse(generated.stdout) as { checkValue: string; components: Array<{ hex: string }> };
    const tmk = combineKeyComponents(algorithm, shown.components.map((component) => Buffer.from(component.hex, 'hex')));
    assert.equal(keyCheckValue(algorithm, tmk), shown.checkValue);
    masterKeys.set(terminalId, { algorithm, tmk });
    secrets.push({ what: `${terminalId} TMK`, bytes: tmk });
  }
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('sign-on downloads working keys in DE 62; every sign-on rotates them; the store shows their check values', async () => {
  const terminal = await connect('T0000001');
  try {
    await signOn(terminal);
    const first = terminal.keys;
    await signOn(terminal);
    assert.ok(first !== null && terminal.keys !== null);
    assert.ok(!first.mac.equals(terminal.keys.mac), 'a new sign-on, a new MAC key');
    // A sale MACed under the replaced key is refused.
    const stale = await sendMaced(terminal, sale(terminal.id, nextStan(), 101), first.mac);
    assert.equal(stale.fields[39], 'A0');
    const listed = runReswipe(['terminal-keys', 'list', '--json', '--config', join(dir, 'config.json')], { cwd: dir, env: envWithoutReswipe() });
    assert.equal(listed.status, 0, listed.stderr);
    const row = (JSON.parse(listed.stdout) as Array<{ terminalId: string; workingKeys: { macCheckValue: string; pinCheckValue: string } | null }>).find((entry) => entry.terminalId === 'T0000001');
    assert.equal(row?.workingKeys?.macCheckValue, keyCheckValue('3des', terminal.keys.mac));
    assert.equal(row?.workingKeys?.pinCheckValue, keyCheckValue('3des', terminal.keys.pin));
  } finally {
    terminal.client.close();
  }
});

test('a MACed sale and its MACed reversal are approved; forged, unMACed, unsigned-on and cross-terminal reversals are refused and the sale stays charged', async () => {
  const t1 = await connect('T0000001');
  const t3 = await connect('T0000003');
  const stranger = await connect('T0000001');
  try {
    await signOn(t1);
    await signOn(t3);
    stranger.keys = t1.keys; // The stranger even knows the MAC key; it never signed on on its connection.

    // A sale and its reversal, both MACed: approved, charged, then reversed at the issuer.
    // A real format 0 PIN block under the terminal's PIN key: the gateway translates it to the zone PIN key on its way out.
    const pinAlgorithm = masterKeys.get('T0000001')?.algorithm ?? '3des';
    const clearPinBlock = formatPinBlock('1234', accountNumber12Of(okPan), pinAlgorithm === '3des' ? 8 : 16);
    const pinBlock = encryptEcb(pinAlgorithm, t1.keys?.pin ?? Buffer.alloc(16), clearPinBlock);
    secrets.push({ what: 'clear PIN block', bytes: clearPinBlock }, { what: 'PIN block', bytes: pinBlock }, { what: 'PIN block under the zone PIN key', bytes: encryptEcb('3des', zonePinKey, formatPinBlock('1234', accountNumber12Of(okPan), 8)) });
    const first = sale('T0000001', nextStan(), 1_111, pinBlock);
    const firstAnswer = await sendMaced(t1, first);
    assert.equal(firstAnswer.fields[39], '00');
    assertAnswerMac(t1, firstAnswer);
    const firstRrn = (getText(firstAnswer, 37) ?? '').trim();
    const reversed = await sendMaced(t1, reversalOf('T0000001', first, 1_111));
    assert.equal(reversed.fields[39], '00');
    assertAnswerMac(t1, reversed);
    await waitForIssuerLedger<LedgerEntry>(adminPort, 'the first sale reversed', (entries) => entries.some((entry) => entry.rrn === firstRrn && entry.reversed), 15_000);

    // The sale under attack.
    const target = sale('T0000001', nextStan(), 2_222);
    const targetAnswer = await sendMaced(t1, target);
    assert.equal(targetAnswer.fields[39], '00');
    const targetRrn = (getText(targetAnswer, 37) ?? '').trim();
    const attack = reversalOf('T0000001', target, 2_222);

    const wrongKey = Buffer.from(t1.keys?.mac ?? Buffer.alloc(16));
    wrongKey[3] = (wrongKey[3] as number) ^ 0x40;
    const forged = await sendMaced(t1, attack, wrongKey);
    assert.equal(forged.fields[39], 'A0', 'wrong MAC');
    assert.equal(forged.fields[64], undefined, 'a refusal is not MACed');
    const unmaced = await t1.client.request(attack);
    assert.equal(unmaced.fields[39], 'A0', 'no MAC');
    const tampered = packWithMac(cups, attack, '3des', t1.keys?.mac ?? Buffer.alloc(16));
    tampered[tampered.length - 12] = (tampered[tampered.length - 12] as number) ^ 0x01;
    assert.equal((await t1.client.request(attack, 20_000, tampered)).fields[39], 'A0', 'a byte changed after MACing');
    const unsigned = await sendMaced(stranger, attack);
    assert.equal(unsigned.fields[39], '77', 'a connection that never signed on');
    const otherTerminal = await sendMaced(t3, reversalOf('T0000003', target, 2_222));
    assert.notEqual(otherTerminal.fields[39], '00', 'another terminal cannot reverse this sale');
    const otherKey = await sendMaced(t3, attack);
    assert.equal(otherKey.fields[39], 'A0', 'T0000001 named, T0000003 key used');

    // A later legitimate reversal of another sale reaches the issuer: everything sent before it has been handled.
    const barrier = sale('T0000001', nextStan(), 3_333);
    const barrierAnswer = await sendMaced(t1, barrier);
    assert.equal(barrierAnswer.fields[39], '00');
    const barrierRrn = (getText(barrierAnswer, 37) ?? '').trim();
    assert.equal((await sendMaced(t1, reversalOf('T0000001', barrier, 3_333))).fields[39], '00');
    await waitForIssuerLedger<LedgerEntry>(adminPort, 'the barrier sale reversed', (entries) => entries.some((entry) => entry.rrn === barrierRrn && entry.reversed), 15_000);
    const charged = (await ledger()).filter((entry) => entry.rrn === targetRrn);
    assert.deepEqual(charged.map((entry) => [entry.kind, entry.amountMinor, entry.reversed]), [['charge', 2_222, false]], 'the attacked sale stays charged');

    // /metrics needs an admin key on the API port (docs/http-api.md, operations endpoints).
    const adminKey = runReswipe(['keys', 'create', '--admin', '--config', join(dir, 'config.json')], { cwd: dir, env: envWithoutReswipe() });
    assert.equal(adminKey.status, 0, adminKey.stderr);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: `Bearer ${adminKey.stdout.trim()}` } })).text();
    const rejected = [...metrics.matchAll(/^reswipe_terminal_mac_rejected_total\{[^}]*listener="pos"[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    assert.ok(rejected >= 5, `the refusals are counted (${rejected})`);
  } finally {
    t1.client.close();
    t3.client.close();
    stranger.client.close();
  }
});

test('iso87-ascii with an SM4 terminal: the SM4 MAC in DE 64 is checked and the approval is MACed', async () => {
  const terminal = await connect('T0000002', asciiPort, 'iso87-ascii');
  try {
    const master = masterKeys.get('T0000002');
    assert.ok(master !== undefined);
    const answer = await terminal.client.request({ mti: '0800', fields: { 7: '1205101010', 11: nextStan(), 41: 'T0000002', 42: merchantId, 70: '001' } });
    assert.equal(answer.fields[39], '00');
    const decoded = decodeWorkingKeyBlock('sm4', master.tmk, '003', answer.fields[62] as Uint8Array);
    assert.ok(decoded.ok);
    terminal.keys = decoded.keys;
    secrets.push({ what: 'T0000002 MAC key', bytes: decoded.keys.mac }, { what: 'T0000002 PIN key', bytes: decoded.keys.pin });
    const now = new Date();
    const two = (value: number) => String(value).padStart(2, '0');
    const de7 = two(now.getUTCMonth() + 1) + two(now.getUTCDate()) + two(now.getUTCHours()) + two(now.getUTCMinutes()) + two(now.getUTCSeconds());
    const request: IsoMessage = { mti: '0200', fields: { 2: okPan, 3: '000000', 4: '000000000444', 7: de7, 11: nextStan(), 14: '3012', 22: '051', 25: '00', 41: 'T0000002', 42: merchantId, 49: '156' } };
    const approved = await terminal.client.request(request, 20_000, packWithMac(ascii, request, 'sm4', decoded.keys.mac));
    assert.equal(approved.fields[39], '00');
    assertAnswerMac(terminal, approved, ascii);
    const unmaced = await terminal.client.request({ ...request, fields: { ...request.fields, 11: nextStan() } });
    assert.equal(unmaced.fields[39], 'A0');
  } finally {
    terminal.client.close();
  }
});

test('after the run: no TMK, working key or PIN block in clear in the database, its WAL or the log', async () => {
  await stopChild(gateway);
  gateway = undefined;
  assert.ok(secrets.length >= 8, 'the scan has something to look for');
  const files = readdirSync(dir).filter((name) => name.startsWith('gateway.db'));
  assert.ok(files.includes('gateway.db'));
  const stored = Buffer.concat(files.map((name) => readFileSync(join(dir, name))));
  const log = Buffer.from(gatewayLog, 'utf8');
  assert.ok(gatewayLog.includes('terminal MAC refused'), 'the log has the refusals (and was captured)');
  for (const { what, bytes } of secrets) {
    for (const form of [bytes, Buffer.from(bytes.toString('hex'), 'ascii'), Buffer.from(bytes.toString('hex').toUpperCase(), 'ascii'), Buffer.from(bytes.toString('base64'), 'ascii')]) {
      assert.equal(stored.indexOf(form), -1, `${what} in the database or WAL`);
      assert.equal(log.indexOf(form), -1, `${what} in the log`);
    }
  }
});
