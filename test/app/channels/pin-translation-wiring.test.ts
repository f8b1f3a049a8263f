// Goal: a terminal's PIN block reaches the bank under the channel's zone PIN key, never under the
// terminal's key, and never appears in a log. Method: the whole gateway in this process (composeGateway,
// real terminal listener and channel over TCP) with serve's own software HSM: the zone PIN key sealed
// into the config as `reswipe zone-pin-key seal` does, terminal TMKs imported as components, sign-ons
// whose DE 62 the test terminal decrypts to get its PIN key; a fake bank records every DE 52 it
// receives; a debug-level log written to a buffer is scanned for every form of the PIN block and key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { composeGateway, type Gateway } from '../../../src/app/compose-gateway.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { createLogger } from '../../../src/adapters/log/logger.ts';
import { encryptEcb, decryptEcb } from '../../../src/core/crypto/block-cipher.ts';
import { accountNumber12Of, formatPinBlock } from '../../../src/core/crypto/pin-block.ts';
import { decodeWorkingKeyBlock } from '../../../src/core/crypto/working-key-block.ts';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { TerminalKeyCeremonies } from '../../../src/app/terminal-keys/terminal-key-ceremonies.ts';
import { sealZonePinKey } from '../../../src/app/terminal-keys/zone-pin-keys.ts';
import { startFakeHost, answer, type FakeHost } from '../../adapters/channels/fake-host.ts';
import { TerminalClient, de7, saleMessage } from '../../e2e/terminal-client.ts';

const pan = '6222020000000000018';
const zoneComponents = ['1032547698BADCFE1032547698BADCFE', '0000000000000000FFFFFFFFFFFFFFFF'] as const;
const zonePinKey = Buffer.from(zoneComponents[0], 'hex').map((byte, index) => byte ^ Buffer.from(zoneComponents[1], 'hex')[index]!);
const clearBlock = formatPinBlock('908172', accountNumber12Of(pan), 8);
const atBank = encryptEcb('3des', Buffer.from(zonePinKey), clearBlock);
const tmkComponents = ['0123456789ABCDEF0123456789ABCDEF', 'FEDCBA9876543210FEDCBA9876543210'] as const;
/** T0000001's PIN key from its sign-on, and the PIN block it sends under it. */
let terminalPinKey: Buffer;
let fromTerminal: Buffer;

let dir = '';
let host: FakeHost;
let gateway: Gateway;
let client: TerminalClient;
let logText = '';
let stan = 100;
/** PIN keys delivered at sign-on, for the log scan. */
const issuedPinKeys: Buffer[] = [];

function nextStan(): string {
  stan += 1;
  return String(stan).padStart(6, '0');
}

function withPin(message: ReturnType<typeof saleMessage>, pinBlock: Uint8Array): ReturnType<typeof saleMessage> {
  return { ...message, fields: { ...message.fields, 22: '051', 52: pinBlock } };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-pin-'));
  host = await startFakeHost((message, connection) => connection.send(answer(message)));
  const vault = TerminalKeyVault.fromSettings({ developmentMode: true });
  const sealedZoneKey = sealZonePinKey(vault, 'zpk/bank', '3des', [{ hex: zoneComponents[0] }, { hex: zoneComponents[1] }]);
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
    security: { panKey: 'pin-test-pan-key-0123456789', developmentMode: true },
    log: { level: 'debug' },
    engine: { terminalTimeoutMs: 9_000, autoRetriesMax: 0 },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
    channels: [{ name: 'bank', host: '127.0.0.1', port: host.port, timeoutMs: 3_000, echoIntervalMs: 0, zonePinKey: { keyRef: 'zpk/bank', algorithm: '3des', checkValue: sealedZoneKey.checkValue, sealed: sealedZoneKey.sealed } }],
    merchants: [{ id: 'M00000000000001', name: 'PIN shop', mcc: '5411', terminals: ['T0000001', 'T0000002', 'T0000003'] }],
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString('utf8');
      done();
    },
  });
  gateway = await composeGateway(config, { logger: createLogger({ level: 'debug', destination: sink, name: 'serve' }), http: false });
  await gateway.start();
  const ceremonies = new TerminalKeyCeremonies({ store: gateway.store, vault, clock: { nowMs: () => Date.now() } });
  // T0000001 and T0000003 have master keys; T0000002 has none, so its sign-on delivers no PIN key.
  for (const terminalId of ['T0000001', 'T0000003']) await ceremonies.importComponents(terminalId, '3des', [{ hex: tmkComponents[0] }, { hex: tmkComponents[1] }]);
  client = await TerminalClient.connect(gateway.terminalPorts.pos ?? 0);
  terminalPinKey = await signOnForPinKey('T0000001');
  fromTerminal = encryptEcb('3des', terminalPinKey, clearBlock);
  const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000002', 70: '001' } });
  assert.equal(signOn.fields[39], '00');
});

after(async () => {
  client?.close();
  await gateway?.close();
  await host?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function receivedWithStanAtBank(amountMinor: number): Array<Uint8Array | undefined> {
  return host.received
    .filter((message) => message.mti === '0200' && message.fields[4] === String(amountMinor).padStart(12, '0'))
    .map((message) => message.fields[52] as Uint8Array | undefined);
}

test('a sale with a PIN reaches the bank with DE 52 under the zone PIN key, and is approved', async () => {
  let answerMessage = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 1_111 }), fromTerminal));
  // The channel connects in the background; before that a sale is not sent, so it is asked again (bounded).
  for (let tries = 0; answerMessage.fields[39] !== '00' && tries < 50; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answerMessage = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 1_111 }), fromTerminal));
  }
  assert.equal(answerMessage.fields[39], '00');
  const blocks = receivedWithStanAtBank(1_111);
  assert.equal(blocks.length, 1, 'sent once');
  assert.deepEqual(Buffer.from(blocks[0] ?? []), atBank, 'under the zone PIN key');
  assert.deepEqual(decryptEcb('3des', zonePinKey, blocks[0] ?? Buffer.alloc(8)), clearBlock, 'the bank reads the same PIN');
});

test('a PIN block from a terminal that has no PIN key (no master key, so none at sign-on) is not sent at all', async () => {
  const refused = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 2_222, terminalId: 'T0000002' }), fromTerminal));
  assert.notEqual(refused.fields[39], '00');
  assert.deepEqual(receivedWithStanAtBank(2_222), [], 'nothing reached the bank');
});

test('a PIN block under the wrong key is not sent at all', async () => {
  const wrong = encryptEcb('3des', zonePinKey, clearBlock);
  const refused = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 3_333 }), wrong));
  assert.notEqual(refused.fields[39], '00');
  assert.deepEqual(receivedWithStanAtBank(3_333), []);
});

test('a sale without a PIN goes as before', async () => {
  const approved = await client.request(saleMessage({ stan: nextStan(), pan, amountMinor: 4_444 }));
  assert.equal(approved.fields[39], '00');
  assert.deepEqual(receivedWithStanAtBank(4_444), [undefined]);
});

/** Signs a terminal on and returns the PIN key its 0810 delivered in DE 62 (decrypted under its TMK, as the terminal does). */
async function signOnForPinKey(terminalId: string): Promise<Buffer> {
  const answered = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: terminalId, 70: '003' } });
  assert.equal(answered.fields[39], '00');
  const tmk = Buffer.from(tmkComponents[0], 'hex').map((byte, index) => byte ^ Buffer.from(tmkComponents[1], 'hex')[index]!);
  // The gateway gives the combined TMK odd parity; parity bits do not change what a DES key decrypts.
  const decoded = decodeWorkingKeyBlock('3des', Buffer.from(tmk), '003', answered.fields[62] as Uint8Array);
  assert.ok(decoded.ok, 'DE 62 decodes under the TMK');
  issuedPinKeys.push(decoded.keys.pin);
  return decoded.keys.pin;
}

test('a terminal keyed through the key store: its sign-on PIN key is used, and a new sign-on replaces it at once', async () => {
  const firstPinKey = await signOnForPinKey('T0000003');
  const underFirst = encryptEcb('3des', firstPinKey, clearBlock);
  const approved = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 5_555, terminalId: 'T0000003' }), underFirst));
  assert.equal(approved.fields[39], '00');
  assert.deepEqual(receivedWithStanAtBank(5_555).map((block) => Buffer.from(block ?? [])), [atBank], 'under the zone PIN key');

  const secondPinKey = await signOnForPinKey('T0000003');
  assert.notDeepEqual(secondPinKey, firstPinKey, 'every sign-on rotates the PIN key');
  const stale = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 6_666, terminalId: 'T0000003' }), underFirst));
  assert.notEqual(stale.fields[39], '00', 'a block under the replaced key is refused');
  assert.deepEqual(receivedWithStanAtBank(6_666), []);
  const fresh = await client.request(withPin(saleMessage({ stan: nextStan(), pan, amountMinor: 7_777, terminalId: 'T0000003' }), encryptEcb('3des', secondPinKey, clearBlock)));
  assert.equal(fresh.fields[39], '00');
  assert.deepEqual(receivedWithStanAtBank(7_777).map((block) => Buffer.from(block ?? [])), [atBank]);
});

test('the log (debug level) holds no form of the PIN block and no key', () => {
  assert.ok(logText.includes('PIN translation failed'), 'the log was captured, with the refusals');
  assert.equal(issuedPinKeys.length, 3);
  const secrets = [clearBlock, fromTerminal, atBank, Buffer.from(zonePinKey), ...issuedPinKeys, ...issuedPinKeys.map((key) => encryptEcb('3des', key, clearBlock))];
  const upper = logText.toUpperCase();
  for (const secret of secrets) {
    assert.ok(!upper.includes(secret.toString('hex').toUpperCase()), `hex ${secret.toString('hex')} in the log`);
    assert.ok(!logText.includes(secret.toString('base64')), `base64 ${secret.toString('base64')} in the log`);
  }
});
