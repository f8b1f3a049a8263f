// Goal: with channels[].mac set, the host link is authenticated both ways: every request the channel
// sends carries a MAC the bank can check (DE 64, or DE 128 with a secondary bitmap), and a reply whose
// MAC is missing or wrong is never taken as an answer: it is `no_reply/bad_mac` (unknown, so the
// engine reverses it), counted and logged without key or MAC bytes. Method: the real channel against
// the scripted TCP fake host, which checks and writes MACs with the same primitives the bank would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamChannel, type ChannelMacRejection, type ChannelSendResult, type UnmatchedReplyInfo } from '../../../src/adapters/channels/upstream-channel.ts';
import { checkMessageMac, packWithMac } from '../../../src/core/crypto/terminal-mac.ts';
import { encodeFrame, getText, packMessage, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { answer, hostDialect, recordingLogger, saleRequest, startFakeHost, waitFor, type HostBehaviour } from './fake-host.ts';

const macKey = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
const otherKey = Buffer.from('89ABCDEF0123456776543210FEDCBA98', 'hex');

function macedFrame(message: IsoMessage, key: Uint8Array): Buffer {
  return encodeFrame('binary2', packWithMac(hostDialect, message, '3des', key));
}

/** The check the bank makes: the bytes as they came (the codec packs a decoded message back to the same bytes). */
function bankCheck(message: IsoMessage): string {
  return checkMessageMac(hostDialect, packMessage(hostDialect, message), message, '3des', macKey);
}

async function macChannel(behaviour: HostBehaviour, t: { after(fn: () => Promise<void>): void }, echoIntervalMs = 0, algorithm: 'sm4' | '3des' = '3des') {
  const host = await startFakeHost(behaviour);
  const logger = recordingLogger();
  const rejections: ChannelMacRejection[] = [];
  const channel = new UpstreamChannel({
    name: 'bank-a',
    host: '127.0.0.1',
    port: host.port,
    dialect: 'iso87-ascii',
    framing: 'binary2',
    frameBytesMax: 4096,
    connections: 1,
    inFlightMax: 10,
    echoIntervalMs,
    acquirerId: '48020000',
    reconnectBackoffMs: 10,
    reconnectBackoffMsMax: 50,
    connectTimeoutMs: 1000,
    logger,
    mac: { algorithm, key: macKey },
    onMacRejected: (reason) => rejections.push(reason),
  });
  channel.start();
  await waitFor(() => channel.health().connected === 1, 'the channel to connect');
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  return { host, channel, logger, rejections };
}

function kindOf(result: ChannelSendResult): string {
  return result.kind === 'reply' ? 'reply' : `${result.kind}/${result.reason}`;
}

test('a MACed request reaches the bank with a good MAC in DE 64, and a MACed reply is the answer', async (t) => {
  const { host, channel, rejections } = await macChannel((message, connection) => connection.writeRaw(macedFrame(answer(message), macKey)), t);
  const result = await channel.send(saleRequest(1), { timeoutMs: 5000 });
  assert.equal(kindOf(result), 'reply');
  assert.equal(result.kind === 'reply' ? getText(result.message, 39) : null, '00');
  const sent = host.received[0];
  assert.ok(sent !== undefined);
  assert.ok(sent.fields[64] instanceof Uint8Array, 'DE 64 carries the MAC');
  assert.equal(bankCheck(sent), 'ok');
  assert.deepEqual(rejections, []);
});

test('a reversal with DE 90 (secondary bitmap) carries its MAC in DE 128, not DE 64', async (t) => {
  const { host, channel } = await macChannel((message, connection) => connection.writeRaw(macedFrame(answer(message), macKey)), t);
  const sale = saleRequest(2);
  const reversal: IsoMessage = { mti: '0400', fields: { ...sale.fields, 90: `0200${getText(sale, 11)}${getText(sale, 7)}${'48020000'.padStart(11, '0')}${'0'.repeat(11)}` } };
  const result = await channel.send(reversal, { timeoutMs: 5000 });
  assert.equal(kindOf(result), 'reply');
  const sent = host.received[0];
  assert.ok(sent !== undefined);
  assert.equal(sent.fields[64], undefined);
  assert.ok(sent.fields[128] instanceof Uint8Array);
  assert.equal(bankCheck(sent), 'ok');
});

test('an approval MACed under another key is no answer: unknown (bad_mac), counted, logged without MAC bytes; the genuine reply after it is late', async (t) => {
  let forged = true;
  const { channel, logger, rejections } = await macChannel((message, connection) => {
    // An on-path forger answers first; the bank's genuine reply follows.
    connection.writeRaw(macedFrame(answer(message), otherKey));
    if (forged) connection.writeRaw(macedFrame(answer(message, '05'), macKey));
    forged = false;
  }, t);
  const unmatched: UnmatchedReplyInfo[] = [];
  channel.onUnmatchedReply((_message, info) => unmatched.push(info));
  const result = await channel.send(saleRequest(3), { timeoutMs: 5000 });
  assert.equal(kindOf(result), 'no_reply/bad_mac');
  assert.deepEqual(rejections, ['bad']);
  await waitFor(() => unmatched.length === 1, 'the genuine reply to arrive');
  assert.equal(unmatched[0]?.late, true);
  const line = logger.lines.find((entry) => entry.message?.includes('MAC missing or wrong'));
  assert.ok(line !== undefined, 'the refusal is logged');
  const text = JSON.stringify(line);
  assert.ok(!text.includes(macKey.toString('hex')) && !text.toUpperCase().includes(macKey.toString('hex').toUpperCase()), 'no key in the log');
  assert.equal(channel.health().inFlight, 0);
});

test('a reply without a MAC is no answer either (missing): unknown, never an approval', async (t) => {
  const { channel, rejections } = await macChannel((message, connection) => {
    const reply = answer(message);
    delete reply.fields[64];
    connection.send(reply);
  }, t);
  const result = await channel.send(saleRequest(4), { timeoutMs: 5000 });
  assert.equal(kindOf(result), 'no_reply/bad_mac');
  assert.deepEqual(rejections, ['missing']);
});

test('echoes are MACed too, and a MACed 0810 keeps the link healthy', async (t) => {
  const { host, channel, rejections } = await macChannel((message, connection) => connection.writeRaw(macedFrame(answer(message), macKey)), t, 20);
  await waitFor(() => channel.health().lastEchoOkAtMs !== null, 'an echo answered');
  const echo = host.received.find((message) => message.mti === '0800');
  assert.ok(echo !== undefined);
  assert.equal(bankCheck(echo), 'ok');
  assert.deepEqual(rejections, []);
});

test('with an SM4 key the link uses the SM4 CBC-MAC both ways; a 3DES-MACed reply is refused', async (t) => {
  let sm4Reply = true;
  const { host, channel, rejections } = await macChannel(
    (message, connection) => {
      connection.writeRaw(encodeFrame('binary2', packWithMac(hostDialect, answer(message), sm4Reply ? 'sm4' : '3des', macKey)));
      sm4Reply = false;
    },
    t,
    0,
    'sm4',
  );
  assert.equal(kindOf(await channel.send(saleRequest(5), { timeoutMs: 5000 })), 'reply');
  const sent = host.received[0];
  assert.ok(sent !== undefined);
  assert.equal(checkMessageMac(hostDialect, packMessage(hostDialect, sent), sent, 'sm4', macKey), 'ok');
  assert.equal(kindOf(await channel.send(saleRequest(6), { timeoutMs: 5000 })), 'no_reply/bad_mac');
  assert.deepEqual(rejections, ['bad']);
});
