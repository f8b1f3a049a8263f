// Goal: the terminal listener routes the transaction set in the cups-pos dialect (the e2e test covers
// iso87-ascii): a void naming its sale by DE 61, a refund advice, a balance inquiry with DE 54, a
// 0500 settlement that is 95 then 00, a 0320 upload, and a void after settlement refused with DE 63
// saying to refund, in Chinese (the listener's language; GBK on the wire). Method: a real TerminalListener on port 0 over the engine fixture and
// the fixture gateway's FollowUps (same store and fake channel), driven by the codec-built test terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalListener } from '../../../src/adapters/terminal-link/terminal-listener.ts';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { createFixture, reply, silentLogger, terminalId } from '../../app/payments/sale-fixture.ts';
import { TerminalClient, saleMessage } from '../../e2e/terminal-client.ts';

const pan = '6222020000000000018';

test('cups-pos: void by DE 61, refund advice, balance inquiry, settlement 95 then 00, upload, and a void refused after settlement', async () => {
  const fixture = await createFixture({ scripts: [(request) => reply(request, '00', request.fields[3] === '310000' ? { 54: '1002156C000000123456' } : {})] });
  const transactions = fixture.gateway.transactions;
  const server = new TerminalListener({
    listener: { name: 'test', host: '127.0.0.1', port: 0, dialect: 'cups-pos', framing: { length: 'binary2', frameBytesMax: 2048 }, connectionsMax: 8, language: 'zh' },
    sales: fixture.engine,
    followUps: transactions,
    store: fixture.store,
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    // Raw, unMACed messages: MACs are tested in terminal-mac-link.test.ts; this test is about the rest.
    macMode: 'off',
  });
  const port = await server.start();
  const client = await TerminalClient.connect(port, 'cups-pos');
  try {
    // Voids are taken only on a connection that signed the terminal on.
    const signOn = await client.request({ mti: '0800', fields: { 11: '000100', 41: saleMessage({ stan: '000100', pan, amountMinor: 1 }).fields[41] as string, 42: 'M00000000000001', 60: { '1': '00', '2': '000001', '3': '003' } } });
    assert.equal(signOn.fields[39], '00');
    const sale = saleMessage({ stan: '000101', pan, amountMinor: 2_000, transmittedAt: '1125101010' });
    assert.equal((await client.request(sale)).fields[39], '00');
    const voidMessage: IsoMessage = { mti: '0200', fields: { ...saleMessage({ stan: '000102', pan, amountMinor: 2_000 }).fields, 3: '200000', 61: { '1': '000001', '2': '000101', '3': '1125' } } };
    const voided = await client.request(voidMessage);
    assert.equal(voided.mti, '0210');
    assert.equal(voided.fields[39], '00');
    const upstreamVoid = fixture.channels[0]!.sent.at(-1)!;
    assert.deepEqual([upstreamVoid.mti, upstreamVoid.fields[3]], ['0200', '200000']);

    const second = saleMessage({ stan: '000103', pan, amountMinor: 3_000, transmittedAt: '1125101100' });
    assert.equal((await client.request(second)).fields[39], '00');
    const refund: IsoMessage = { mti: '0220', fields: { ...saleMessage({ stan: '000104', pan, amountMinor: 500 }).fields, 3: '200000', 61: { '1': '000001', '2': '000103', '3': '1125' } } };
    const refunded = await client.request(refund);
    assert.equal(refunded.mti, '0230');
    assert.equal(refunded.fields[39], '00');

    const inquiry: IsoMessage = { mti: '0200', fields: { ...saleMessage({ stan: '000105', pan, amountMinor: 0 }).fields, 3: '310000' } };
    const balance = await client.request(inquiry);
    assert.equal(balance.fields[39], '00');
    assert.equal(getText(balance, 54), '1002156C000000123456');

    const settle = (stan: string, de48: string): IsoMessage => ({ mti: '0500', fields: { 11: stan, 41: terminalId, 42: 'M00000000000001', 48: de48, 60: { '1': '00', '2': '000001', '3': '201' } } });
    const unbalanced = await client.request(settle('000106', '0'.repeat(30)));
    assert.equal(unbalanced.mti, '0510');
    assert.equal(unbalanced.fields[39], '95');
    const upload = await client.request({ mti: '0320', fields: { 3: '000000', 4: '000000003000', 11: '000103', 41: terminalId, 42: 'M00000000000001', 60: { '1': '00', '2': '000001', '3': '201' } } });
    assert.equal(upload.mti, '0330');
    assert.equal(upload.fields[39], '00');
    const balanced = await client.request(settle('000107', `${'3000'.padStart(12, '0')}001${'500'.padStart(12, '0')}001`));
    assert.equal(balanced.fields[39], '00');

    const lateVoid: IsoMessage = { mti: '0200', fields: { ...saleMessage({ stan: '000108', pan, amountMinor: 3_000 }).fields, 3: '200000', 61: { '1': '000001', '2': '000103', '3': '1125' } } };
    const refused = await client.request(lateVoid);
    assert.equal(refused.fields[39], '12');
    assert.equal(getText(refused, 63), '该批次已结算，不能撤销，请做退货', 'the zh listener tells the cashier in Chinese, decoded from GBK');
  } finally {
    client.close();
    await server.close(1_000);
    await fixture.close();
  }
});
