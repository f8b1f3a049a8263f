// Goal: the listener's MAC policy does what docs/terminal-keys.md says in each mode: `optional` lets
// an unMACed sale through but refuses a bad MAC with A0 before the engine sees it, answers a MACed
// request with a MACed answer, and `off` ignores MACs; sign-on delivers keys in every mode, and a
// terminal without a master key is refused sign-on only where MACs are required. Method: a real
// TerminalListener on port 0 over the engine fixture (real SQLite, fake channel), keys generated with
// the ceremony code, a codec-built terminal that MACs with the crypto primitives, and the fake
// channel's record of what went upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalListener, type MacRejection } from '../../../src/adapters/terminal-link/terminal-listener.ts';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { TerminalKeyCeremonies } from '../../../src/app/terminal-keys/terminal-key-ceremonies.ts';
import { WorkingKeys } from '../../../src/app/terminal-keys/working-keys.ts';
import { combineKeyComponents } from '../../../src/core/crypto/key-components.ts';
import { decodeWorkingKeyBlock } from '../../../src/core/crypto/working-key-block.ts';
import { checkMessageMac, packWithMac, type MacMode } from '../../../src/core/crypto/terminal-mac.ts';
import { getDialect, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { createFixture, silentLogger, terminalId } from '../../app/payments/sale-fixture.ts';
import { TerminalClient, de7, saleMessage } from '../../e2e/terminal-client.ts';

const dialect = getDialect('iso87-ascii');
const okPan = '6222020000000000018';

async function withListener(
  macMode: MacMode,
  withMasterKey: boolean,
  body: (context: { client: TerminalClient; tmk: Buffer | null; rejected: MacRejection[]; upstreamSales: () => number; events: () => Promise<string[]>; workingKeys: WorkingKeys }) => Promise<void>,
): Promise<void> {
  const fixture = await createFixture({ settings: {} });
  const clock = { nowMs: () => Date.now() };
  const vault = new TerminalKeyVault(Buffer.alloc(32, 7), 'config');
  let tmk: Buffer | null = null;
  if (withMasterKey) {
    const generated = await new TerminalKeyCeremonies({ store: fixture.store, vault, clock }).generate(terminalId, '3des', 2);
    tmk = combineKeyComponents('3des', generated.components.map((component) => Buffer.from(component.hex, 'hex')));
  }
  const rejected: MacRejection[] = [];
  const workingKeys = new WorkingKeys({ store: fixture.store, vault, clock });
  const server = new TerminalListener({
    listener: { name: 'test', host: '127.0.0.1', port: 0, dialect: 'iso87-ascii', framing: { length: 'binary2', frameBytesMax: 2048 }, connectionsMax: 8, language: 'en' },
    sales: fixture.engine,
    store: fixture.store,
    clock,
    logger: silentLogger,
    macMode,
    keys: workingKeys,
    onMacRejected: (reason) => rejected.push(reason),
  });
  const port = await server.start();
  const client = await TerminalClient.connect(port, 'iso87-ascii');
  try {
    await body({
      client,
      tmk,
      rejected,
      upstreamSales: () => fixture.channels[0]!.sent.filter((message) => message.mti === '0200').length,
      events: async () => (await fixture.store.listEvents(0, 1000)).map((event) => event.type),
      workingKeys,
    });
  } finally {
    client.close();
    await server.close(1_000);
    await fixture.close();
  }
}

let stan = 500;
const nextStan = (): string => String((stan += 1)).padStart(6, '0');

async function signOn(client: TerminalClient): Promise<IsoMessage> {
  return client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: terminalId, 42: 'M00000000000001', 70: '001' } });
}

test('optional: an unMACed sale goes through; a bad MAC is A0 before anything goes upstream; a MACed sale gets a MACed answer', async () => {
  await withListener('optional', true, async ({ client, tmk, rejected, upstreamSales, events, workingKeys }) => {
    const answer = await signOn(client);
    assert.equal(answer.fields[39], '00');
    const keys = decodeWorkingKeyBlock('3des', tmk as Buffer, '003', answer.fields[62] as Uint8Array);
    assert.ok(keys.ok);
    assert.deepEqual((await workingKeys.pinKeyOf(terminalId))?.pinKey, keys.keys.pin, 'the PIN key for the HSM port is the one the terminal got');
    assert.equal((await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 100 }))).fields[39], '00');
    assert.equal(upstreamSales(), 1);

    const wrongKey = Buffer.from(keys.keys.mac);
    wrongKey[0] = (wrongKey[0] as number) ^ 0x02;
    const forged = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 200 });
    assert.equal((await client.request(forged, 20_000, packWithMac(dialect, forged, '3des', wrongKey))).fields[39], 'A0');
    assert.equal(upstreamSales(), 1, 'nothing was sent for the forged sale');
    assert.deepEqual(rejected, ['bad']);
    assert.ok((await events()).includes('terminal.mac_rejected'));

    const maced = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 300 });
    const approved = await client.request(maced, 20_000, packWithMac(dialect, maced, '3des', keys.keys.mac));
    assert.equal(approved.fields[39], '00');
    assert.equal(checkMessageMac(dialect, client.frameOf(approved) as Buffer, approved, '3des', keys.keys.mac), 'ok');
  });
});

test('off: MACs are ignored (even a bad one) and answers carry none; sign-on still delivers keys', async () => {
  await withListener('off', true, async ({ client, rejected }) => {
    const answer = await signOn(client);
    assert.ok(answer.fields[62] instanceof Uint8Array);
    const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 400 });
    const approved = await client.request(sale, 20_000, packWithMac(dialect, sale, '3des', Buffer.alloc(16, 1)));
    assert.equal(approved.fields[39], '00');
    assert.equal(approved.fields[64], undefined);
    assert.deepEqual(rejected, []);
  });
});

test('a terminal without a master key: refused sign-on (97) where MACs are required, signed on without keys where optional', async () => {
  await withListener('required', false, async ({ client, upstreamSales }) => {
    assert.equal((await signOn(client)).fields[39], '97');
    const refused = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 500 }));
    assert.equal(refused.fields[39], 'A0');
    assert.equal(upstreamSales(), 0);
  });
  await withListener('optional', false, async ({ client }) => {
    const answer = await signOn(client);
    assert.equal(answer.fields[39], '00');
    assert.equal(answer.fields[62], undefined);
  });
});

test('two gateway nodes on one store: a sign-on through one node is honoured by the other, whose remembered MAC key went stale', async () => {
  const fixture = await createFixture({ settings: {} });
  const clock = { nowMs: () => Date.now() };
  const vault = new TerminalKeyVault(Buffer.alloc(32, 9), 'config');
  const generated = await new TerminalKeyCeremonies({ store: fixture.store, vault, clock }).generate(terminalId, 'sm4', 2);
  const tmk = combineKeyComponents('sm4', generated.components.map((component) => Buffer.from(component.hex, 'hex')));
  const listener = { name: 'test', host: '127.0.0.1', port: 0, dialect: 'iso87-ascii', framing: { length: 'binary2' as const, frameBytesMax: 2048 }, connectionsMax: 8, language: 'en' as const };
  const nodes = [0, 1].map(() => new TerminalListener({ listener, sales: fixture.engine, store: fixture.store, clock, logger: silentLogger, macMode: 'required', keys: new WorkingKeys({ store: fixture.store, vault, clock }) }));
  const [portA, portB] = await Promise.all(nodes.map((node) => node.start()));
  const viaA = await TerminalClient.connect(portA as number, 'iso87-ascii');
  const viaB = await TerminalClient.connect(portB as number, 'iso87-ascii');
  try {
    const macedSale = async (mac: Buffer): Promise<string | undefined> => {
      const request = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 600 + stan });
      return (await viaB.request(request, 20_000, packWithMac(dialect, request, 'sm4', mac))).fields[39] as string | undefined;
    };
    const first = decodeWorkingKeyBlock('sm4', tmk, '003', (await signOn(viaA)).fields[62] as Uint8Array);
    assert.ok(first.ok);
    assert.equal(await macedSale(first.keys.mac), '00', 'node B reads the keys node A issued');
    const second = decodeWorkingKeyBlock('sm4', tmk, '003', (await signOn(viaA)).fields[62] as Uint8Array);
    assert.ok(second.ok);
    assert.equal(await macedSale(second.keys.mac), '00', 'node B notices its remembered key is stale and rereads it');
    assert.equal(await macedSale(first.keys.mac), 'A0', 'the replaced key no longer works anywhere');
  } finally {
    viaA.close();
    viaB.close();
    await Promise.all(nodes.map((node) => node.close(1_000)));
    await fixture.close();
  }
});
