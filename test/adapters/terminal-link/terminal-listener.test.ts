// Goal: the terminal listener speaks both dialects and maps each message to the right engine call.
// Method: a real TerminalListener on port 0 over the engine fixture (real SQLite, fake channels), driven
// by the codec-built test terminal in cups-pos (DE 60.3 sign-on, DE 61 reversals, GBK DE 63), plus
// table rows for the pure helpers that read DE 22 and the original of a 0400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalListener } from '../../../src/adapters/terminal-link/terminal-listener.ts';
import { entryModeOf, originalOf } from '../../../src/adapters/terminal-link/parse-terminal-request.ts';
import { createFixture, silentLogger, terminalId } from '../../app/payments/sale-fixture.ts';
import { TerminalClient, de7, saleMessage } from '../../e2e/terminal-client.ts';
import { getDialect, getText, packMessage, unpackMessage, type IsoMessage } from '../../../src/core/iso8583/index.ts';

async function withServer(dialect: 'cups-pos' | 'iso87-ascii', body: (port: number, fixture: Awaited<ReturnType<typeof createFixture>>) => Promise<void>): Promise<void> {
  const fixture = await createFixture({ settings: {} });
  // The fixture's terminal starts signed on; this listener test signs it off first to see sign-on work.
  await fixture.store.write(async (tx) => {
    const terminal = await tx.getTerminal(terminalId);
    if (terminal !== null) await tx.upsertTerminal({ ...terminal, signedOn: false });
  });
  const server = new TerminalListener({
    listener: { name: 'test', host: '127.0.0.1', port: 0, dialect, framing: { length: 'binary2', frameBytesMax: 2048 }, connectionsMax: 8, language: 'zh' },
    sales: fixture.engine,
    store: fixture.store,
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    // Raw, unMACed messages: MACs are tested in terminal-mac-link.test.ts; this test is about the rest.
    macMode: 'off',
  });
  const port = await server.start();
  try {
    await body(port, fixture);
  } finally {
    await server.close(1_000);
    await fixture.close();
  }
}

test('cups-pos: sign-on by DE 60.3, a sale with a GBK cashier message, and a DE 61 reversal', async () => {
  await withServer('cups-pos', async (port, { store, channels }) => {
    const client = await TerminalClient.connect(port, 'cups-pos');
    try {
      const refused = await client.request(saleMessage({ stan: '000010', pan: '6222020000000000018', amountMinor: 100 }));
      assert.equal(refused.fields[39], '22', 'not signed on yet');

      const signOn = await client.request({ mti: '0800', fields: { 11: '000011', 41: terminalId, 42: 'M00000000000001', 60: { '1': '00', '2': '000001', '3': '003' } } });
      assert.equal(signOn.mti, '0810');
      assert.equal(signOn.fields[39], '00');
      assert.equal((await store.getTerminal(terminalId))?.signedOn, true);

      const sale = saleMessage({ stan: '000012', pan: '6222020000000000018', amountMinor: 1_000, transmittedAt: '1125101010' });
      const approved = await client.request(sale);
      assert.equal(approved.fields[39], '00');
      assert.equal(approved.fields[44], 'NONE');
      assert.match(getText(approved, 63) ?? '', /[\u4e00-\u9fff]/, 'a Chinese cashier message survives GBK');
      assert.ok(approved.tpdu !== undefined, 'cups-pos answers carry a TPDU');

      const reversal = await client.request({
        mti: '0400',
        fields: { 3: '000000', 4: getText(sale, 4) ?? '', 11: '000013', 39: '98', 41: terminalId, 42: 'M00000000000001', 49: '156', 61: { '1': '000001', '2': '000012', '3': '1125' } },
      });
      assert.equal(reversal.mti, '0410');
      assert.equal(reversal.fields[39], '00');
      for (let round = 0; round < 100 && channels[0]!.reversals().length === 0; round++) await delay(20);
      assert.equal(channels[0]!.reversals().length, 1, 'the approved sale is reversed upstream');

      const signOff = await client.request({ mti: '0800', fields: { 11: '000014', 41: terminalId, 60: { '1': '00', '2': '000001', '3': '002' } } });
      assert.equal(signOff.fields[39], '00');
      assert.equal((await store.getTerminal(terminalId))?.signedOn, false);
    } finally {
      client.close();
    }
  });
});

test('iso87-ascii: a reversal before this connection signed on is refused (77); after, naming nothing known, it answers 25; a frame over the limit closes the connection', async () => {
  await withServer('iso87-ascii', async (port) => {
    const client = await TerminalClient.connect(port, 'iso87-ascii');
    try {
      const reversal = (stan: string) => ({
        mti: '0400',
        fields: { 3: '000000', 4: '000000000100', 7: de7(), 11: stan, 41: terminalId, 42: 'M00000000000001', 49: '156', 90: `0200000999${de7()}${'0'.repeat(22)}` },
      });
      assert.equal((await client.request(reversal('000020'))).fields[39], '77', 'not signed on on this connection');
      assert.equal((await client.request({ mti: '0800', fields: { 7: de7(), 11: '000019', 41: terminalId, 42: 'M00000000000001', 70: '001' } })).fields[39], '00');
      const unknown = await client.request(reversal('000021'));
      assert.equal(unknown.fields[39], '25');
      client.sendRaw(Uint8Array.of(0x7f, 0xff));
      assert.equal(await client.waitClosed(), true);
    } finally {
      client.close();
    }
  });
});

test('DE 22 maps to the entry modes', () => {
  const rows: Array<[string | undefined, string]> = [['051', 'chip'], ['071', 'contactless'], ['021', 'swipe'], ['801', 'fallback'], ['012', 'manual'], [undefined, 'manual']];
  for (const [code, mode] of rows) assert.equal(entryModeOf(code), mode, String(code));
});

test('the original of a 0400 comes from DE 90, else DE 61, else its own DE 11 and DE 7', () => {
  assert.deepEqual(originalOf({ mti: '0400', fields: { 11: '000009', 90: `0200000123112510101000000000001${'0'.repeat(11)}` } }), { stan: '000123', transmittedAt: '1125101010' });
  assert.deepEqual(originalOf({ mti: '0400', fields: { 11: '000009', 61: { '1': '000001', '2': '000124', '3': '1125' } } }), { stan: '000124', transmittedAt: null, dateMmdd: '1125' });
  assert.deepEqual(originalOf({ mti: '0400', fields: { 11: '000125', 7: '1125101010' } }), { stan: '000125', transmittedAt: '1125101010' });
  assert.equal(originalOf({ mti: '0400', fields: {} }), null);
});

test('without a socket, handleFrame runs the per-frame path: connection state carries the sign-on, answers come back packed, a response gets none', async () => {
  const fixture = await createFixture({ settings: {} });
  const server = new TerminalListener({
    listener: { name: 'socketless', host: '127.0.0.1', port: 0, dialect: 'iso87-ascii', framing: { length: 'binary2', frameBytesMax: 2048 }, connectionsMax: 8, language: 'en' },
    sales: fixture.engine,
    store: fixture.store,
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    macMode: 'off',
  });
  const dialect = getDialect('iso87-ascii');
  const exchange = async (message: IsoMessage, connection: ReturnType<TerminalListener['newConnection']>): Promise<IsoMessage | null> => {
    const answer = await server.handleFrame(packMessage(dialect, message), connection);
    return answer === null ? null : unpackMessage(dialect, answer);
  };
  try {
    const signedOn = server.newConnection();
    const other = server.newConnection();
    const signOn = await exchange({ mti: '0800', fields: { 7: de7(), 11: '000030', 41: terminalId, 42: 'M00000000000001', 70: '001' } }, signedOn);
    assert.equal(signOn?.mti, '0810');
    assert.equal(signOn?.fields[39], '00');
    const sale = saleMessage({ stan: '000031', pan: '6222020000000000018', amountMinor: 1_000 });
    const approved = await exchange(sale, other);
    assert.equal(approved?.mti, '0210');
    assert.equal(approved?.fields[39], '00');
    assert.equal(approved?.fields[44], 'NONE');
    const reversal = { mti: '0400', fields: { 3: '000000', 4: '000000001000', 7: de7(), 11: '000032', 41: terminalId, 42: 'M00000000000001', 49: '156', 90: `0200000031${getText(sale, 7) ?? ''}${'0'.repeat(22)}` } };
    assert.equal((await exchange(reversal, other))?.fields[39], '77', 'the sign-on belongs to the other connection');
    assert.equal((await exchange(reversal, signedOn))?.fields[39], '00');
    assert.equal(await exchange({ mti: '0810', fields: { 11: '000033', 39: '00', 41: terminalId } }, signedOn), null, 'a response is owed no answer');
    await assert.rejects(server.handleFrame(Uint8Array.of(0x7f, 0xff), signedOn), 'bytes that cannot be decoded throw where a connection would be closed');
  } finally {
    await server.close(1_000);
    await fixture.close();
  }
});
