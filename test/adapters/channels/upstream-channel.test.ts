// Goal: the upstream channel matches replies to requests and tells "never sent" apart from
// "sent, no reply" in every failure the network can produce. Method: a real TCP fake host
// (node:net + the codec) scripted per test: reordered replies, silence, late replies, refused
// connections, dropped connections, host restarts, echoes and garbage frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { UpstreamChannel, reconnectDelayMs, transmissionDateTime, type ChannelSendResult, type UpstreamChannelOptions } from '../../../src/adapters/channels/upstream-channel.ts';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { answer, recordingLogger, saleRequest, startFakeHost, waitFor, type HostConnection } from './fake-host.ts';

function channelOptions(port: number, overrides: Partial<UpstreamChannelOptions> = {}): UpstreamChannelOptions {
  return {
    name: 'bank-a',
    host: '127.0.0.1',
    port,
    dialect: 'iso87-ascii',
    framing: 'binary2',
    frameBytesMax: 4096,
    connections: 2,
    inFlightMax: 500,
    echoIntervalMs: 0,
    acquirerId: '48020000',
    reconnectBackoffMs: 10,
    reconnectBackoffMsMax: 50,
    connectTimeoutMs: 1000,
    logger: recordingLogger(),
    ...overrides,
  };
}

async function connectedChannel(port: number, overrides: Partial<UpstreamChannelOptions> = {}): Promise<UpstreamChannel> {
  const channel = new UpstreamChannel(channelOptions(port, overrides));
  channel.start();
  const wanted = overrides.connections ?? 2;
  await waitFor(() => channel.health().connected === wanted, 'the pool to connect');
  return channel;
}

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

function kindOf(result: ChannelSendResult): string {
  return result.kind === 'reply' ? 'reply' : `${result.kind}/${result.reason}`;
}

test('many concurrent requests answered in reverse order each get their own reply', async (t) => {
  const count = 200;
  const held: Array<[IsoMessage, HostConnection]> = [];
  const host = await startFakeHost((message, connection) => {
    held.push([message, connection]);
    // Answer only when all are in, last first, so matching cannot rely on order.
    if (held.length === count) for (const [request, on] of held.reverse()) on.send(answer(request));
  });
  const channel = await connectedChannel(host.port);
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const results = await Promise.all(Array.from({ length: count }, (_, index) => channel.send(saleRequest(index + 1), { timeoutMs: 10_000 })));
  for (const [index, result] of results.entries()) {
    assert.equal(result.kind, 'reply', `request ${index + 1}`);
    if (result.kind !== 'reply') continue;
    assert.equal(result.message.mti, '0210');
    assert.equal(getText(result.message, 11), String(index + 1).padStart(6, '0'));
    assert.ok(result.latencyMs >= 0);
  }
  assert.equal(channel.health().inFlight, 0);
});

test('the same STAN from two terminals is two requests: DE 41 is part of the match', async (t) => {
  const held: Array<[IsoMessage, HostConnection]> = [];
  const host = await startFakeHost((message, connection) => {
    held.push([message, connection]);
    if (held.length === 2) for (const [request, on] of held.reverse()) on.send(answer(request, getText(request, 41) === 'T0000001' ? '00' : '51'));
  });
  const channel = await connectedChannel(host.port);
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const [first, second] = await Promise.all([
    channel.send(saleRequest(7, 'T0000001'), { timeoutMs: 5000 }),
    channel.send(saleRequest(7, 'T0000002'), { timeoutMs: 5000 }),
  ]);
  assert.ok(first?.kind === 'reply' && second?.kind === 'reply');
  assert.equal(getText(first.message, 39), '00');
  assert.equal(getText(second.message, 39), '51');
});

test('a request the host ignores times out as no_reply, and its later reply is reported late', async (t) => {
  let heldRequest: [IsoMessage, HostConnection] | null = null;
  const host = await startFakeHost((message, connection) => {
    heldRequest = [message, connection];
  });
  const logger = recordingLogger();
  const channel = await connectedChannel(host.port, { logger });
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const unmatched: Array<{ message: IsoMessage; late: boolean; channel: string }> = [];
  channel.onUnmatchedReply((message, info) => unmatched.push({ message, ...info }));

  const result = await channel.send(saleRequest(42), { timeoutMs: 50 });
  assert.equal(kindOf(result), 'no_reply/timeout');
  assert.equal(channel.health().inFlight, 0);
  assert.ok(channel.health().consecutiveFailures >= 1);

  const [request, connection] = heldRequest as unknown as [IsoMessage, HostConnection];
  connection.send(answer(request));
  await waitFor(() => unmatched.length === 1, 'the late reply');
  assert.equal(unmatched[0]?.late, true);
  assert.equal(unmatched[0]?.channel, 'bank-a');
  assert.equal(getText(unmatched[0]!.message, 11), '000042');
  assert.ok(logger.lines.some((line) => line.message?.includes('late reply')));
});

test('a reply nobody asked for is unmatched but not late, and is logged masked', async (t) => {
  const host = await startFakeHost(() => undefined);
  const logger = recordingLogger();
  const channel = await connectedChannel(host.port, { logger });
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const unmatched: boolean[] = [];
  channel.onUnmatchedReply((_message, info) => unmatched.push(info.late));
  const stray = answer(saleRequest(999));
  stray.fields[2] = '6222021234567890123';
  host.openConnections()[0]?.send(stray);
  await waitFor(() => unmatched.length === 1, 'the unmatched reply');
  assert.deepEqual(unmatched, [false]);
  const logged = JSON.stringify(logger.lines);
  assert.ok(!logged.includes('6222021234567890123'), 'the PAN must not reach the log in clear');
  assert.ok(logged.includes('622202*********0123'), 'the reply is described, masked');
});

test('a refused connection answers not_sent/no_connection: safe to retry', async (t) => {
  const port = await closedPort();
  const channel = new UpstreamChannel(channelOptions(port, { connections: 1 }));
  channel.start();
  t.after(() => channel.close());
  await waitFor(() => channel.health().consecutiveFailures >= 1, 'a failed connect');
  const result = await channel.send(saleRequest(1), { timeoutMs: 1000 });
  assert.equal(kindOf(result), 'not_sent/no_connection');
});

test('the host dropping the connection mid-request answers no_reply/connection_lost', async (t) => {
  const host = await startFakeHost((_message, connection) => connection.socket.destroy());
  const channel = await connectedChannel(host.port, { connections: 1 });
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const result = await channel.send(saleRequest(5), { timeoutMs: 5000 });
  assert.equal(kindOf(result), 'no_reply/connection_lost');
  if (result.kind === 'no_reply') assert.ok(result.sentAtMs > 0);
});

test('every request lost with one connection carries that connection\'s id; the next connection has another, and no_connection names the last lost one', async (t) => {
  // Hold five requests, then drop the connection: all five fail together, as one lost line.
  const held: HostConnection[] = [];
  const host = await startFakeHost((_message, connection) => {
    held.push(connection);
    if (held.length === 5) connection.socket.destroy();
  });
  const channel = await connectedChannel(host.port, { connections: 1, reconnectBackoffMs: 200, reconnectBackoffMsMax: 200 });
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const first = await Promise.all(Array.from({ length: 5 }, (_, index) => channel.send(saleRequest(index + 1), { timeoutMs: 5000 })));
  const ids = first.map((result) => (result.kind === 'no_reply' && result.reason === 'connection_lost' ? result.connectionId : `not lost: ${kindOf(result)}`));
  assert.equal(typeof ids[0], 'number');
  assert.deepEqual(new Set(ids).size, 1, 'one lost connection, one id');
  // Before the reconnect (200 ms backoff) there is no connection: the refusal names the same lost connection.
  const refused = await channel.send(saleRequest(6), { timeoutMs: 1000 });
  assert.equal(kindOf(refused), 'not_sent/no_connection');
  if (refused.kind === 'not_sent') assert.equal(refused.connectionId, ids[0]);
  await waitFor(() => channel.health().connected === 1, 'the reconnect');
  held.length = 4;
  const second = await channel.send(saleRequest(7), { timeoutMs: 5000 });
  assert.equal(kindOf(second), 'no_reply/connection_lost');
  if (second.kind === 'no_reply') assert.notEqual(second.connectionId, ids[0], 'a new connection is a new id');
});

test('past inFlightMax a request is refused as not_sent/in_flight_full; closing fails the waiting ones as unknown', async (t) => {
  const host = await startFakeHost(() => undefined);
  const channel = await connectedChannel(host.port, { inFlightMax: 2 });
  t.after(() => host.close());
  const first = channel.send(saleRequest(1), { timeoutMs: 10_000 });
  const second = channel.send(saleRequest(2), { timeoutMs: 10_000 });
  assert.equal(channel.health().inFlight, 2);
  const third = await channel.send(saleRequest(3), { timeoutMs: 10_000 });
  assert.equal(kindOf(third), 'not_sent/in_flight_full');
  await channel.close();
  assert.equal(kindOf(await first), 'no_reply/connection_lost');
  assert.equal(kindOf(await second), 'no_reply/connection_lost');
  assert.equal(kindOf(await channel.send(saleRequest(4), { timeoutMs: 1000 })), 'not_sent/closed');
});

test('a message the codec cannot encode is not_sent/encode_failed', async (t) => {
  const host = await startFakeHost();
  const channel = await connectedChannel(host.port);
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const bad = saleRequest(1);
  bad.fields[4] = 'not digits';
  assert.equal(kindOf(await channel.send(bad, { timeoutMs: 1000 })), 'not_sent/encode_failed');
  const tooBig = saleRequest(2);
  tooBig.fields[48] = 'X'.repeat(999);
  const small = new UpstreamChannel(channelOptions(host.port, { frameBytesMax: 200, connections: 1 }));
  small.start();
  t.after(() => small.close());
  await waitFor(() => small.health().connected === 1, 'the small channel');
  assert.equal(kindOf(await small.send(tooBig, { timeoutMs: 1000 })), 'not_sent/encode_failed');
  assert.equal(host.received.length, 0, 'nothing reached the host');
});

test('after the host restarts the pool reconnects and requests flow again', async (t) => {
  const first = await startFakeHost();
  const port = first.port;
  const channel = await connectedChannel(port);
  t.after(() => channel.close());
  assert.equal((await channel.send(saleRequest(1), { timeoutMs: 5000 })).kind, 'reply');
  await first.close();
  await waitFor(() => channel.health().connected === 0, 'the pool to notice the restart');
  assert.equal(kindOf(await channel.send(saleRequest(2), { timeoutMs: 1000 })), 'not_sent/no_connection');
  const second = await startFakeHost(undefined, port);
  t.after(() => second.close());
  await waitFor(() => channel.health().connected === 2, 'the pool to reconnect');
  assert.equal((await channel.send(saleRequest(3), { timeoutMs: 5000 })).kind, 'reply');
});

test('idle connections get 0800/301 echoes; a connection whose echo goes unanswered is replaced', async (t) => {
  const host = await startFakeHost();
  const channel = await connectedChannel(host.port, { connections: 1, echoIntervalMs: 30 });
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  await waitFor(() => channel.health().lastEchoOkAtMs !== null, 'an answered echo');
  const echo = host.received.find((message) => message.mti === '0800');
  assert.ok(echo !== undefined);
  assert.equal(getText(echo, 70), '301');
  assert.equal(getText(echo, 32), '48020000');
  assert.ok(Number(getText(echo, 11)) >= 900_000, 'echo STANs come from their own range');

  host.setBehaviour((message, connection) => {
    if (message.mti !== '0800') connection.send(answer(message));
  });
  const acceptedBefore = host.accepted();
  await waitFor(() => host.accepted() > acceptedBefore, 'a reconnect after the silent echo');
  await waitFor(() => channel.health().connected === 1, 'the replacement connection');
});

test('a garbage frame from the host closes the connection; its waiting request is no_reply/malformed_reply', async (t) => {
  const host = await startFakeHost((_message, connection) => connection.writeRaw(Uint8Array.of(0x00, 0x05, 0x41, 0x42, 0x43, 0x44, 0x45)));
  const channel = await connectedChannel(host.port, { connections: 1 });
  t.after(async () => {
    await channel.close();
    await host.close();
  });
  const acceptedBefore = host.accepted();
  const result = await channel.send(saleRequest(9), { timeoutMs: 5000 });
  assert.equal(kindOf(result), 'no_reply/malformed_reply');
  await waitFor(() => host.accepted() > acceptedBefore && channel.health().connected === 1, 'the reconnect');
});

test('reconnect backoff doubles from the base and is capped', () => {
  const rows: Array<[number, number]> = [
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1000],
    [99, 1000],
  ];
  for (const [failures, delayMs] of rows) assert.equal(reconnectDelayMs(failures, 100, 1000), delayMs);
});

test('DE 7 is MMDDhhmmss in UTC', () => {
  assert.equal(transmissionDateTime(Date.UTC(2026, 10, 25, 3, 4, 5)), '1125030405');
});

test('impossible options are refused at construction with the option named', () => {
  assert.throws(() => new UpstreamChannel(channelOptions(1, { inFlightMax: 0 })), /inFlightMax/);
  assert.throws(() => new UpstreamChannel(channelOptions(1, { reconnectBackoffMsMax: 1 })), /reconnectBackoffMsMax/);
});
