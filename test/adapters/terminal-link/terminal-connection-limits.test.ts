// Goal: one client address cannot lock real terminals out of a listener, a connection that sends no
// complete frame or lives too long is closed, and a peer that never reads its answers cannot grow the
// gateway's memory. Method: a real TerminalListener on an ephemeral port over the engine fixture, raw
// sockets from 127.0.0.1 and a terminal from 127.0.0.2 (another client address on loopback), and a
// logger that records the server's warnings. No timing assertions: every wait is for an event, bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalListener, type TerminalListenerSettings, type TerminalListenerOptions } from '../../../src/adapters/terminal-link/terminal-listener.ts';
import { encodeFrame, getDialect, packMessage } from '../../../src/core/iso8583/index.ts';
import { createFixture, terminalId } from '../../app/payments/sale-fixture.ts';
import { TerminalClient } from '../../e2e/terminal-client.ts';

interface Logged {
  level: string;
  message: string;
  details: object;
}

async function withServer(
  listener: Partial<TerminalListenerSettings>,
  extra: Partial<Omit<TerminalListenerOptions, 'macMode'>>,
  body: (port: number, server: TerminalListener, logged: Logged[]) => Promise<void>,
): Promise<void> {
  const fixture = await createFixture({ settings: {} });
  const logged: Logged[] = [];
  const record = (level: string) => (details: object, message: string) => logged.push({ level, message, details });
  const server = new TerminalListener({
    listener: { name: 'limits', host: '127.0.0.1', port: 0, dialect: 'cups-pos', framing: { length: 'binary2', frameBytesMax: 2048 }, connectionsMax: 100, language: 'zh', ...listener },
    sales: fixture.engine,
    store: fixture.store,
    clock: { nowMs: () => Date.now() },
    logger: { info: record('info'), warn: record('warn'), error: record('error'), debug: () => undefined },
    macMode: 'off',
    ...extra,
  });
  const port = await server.start();
  try {
    await body(port, server, logged);
  } finally {
    await server.close(1_000);
    await fixture.close();
  }
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.on('error', () => undefined);
    socket.once('close', () => resolve());
  });
}

/** Waits (bounded) until the condition holds; false when it never did. */
async function eventually(condition: () => boolean, rounds = 500): Promise<boolean> {
  for (let round = 0; round < rounds; round++) {
    if (condition()) return true;
    await delay(10);
  }
  return condition();
}

const signOn = { mti: '0800', fields: { 11: '000021', 41: terminalId, 42: 'M00000000000001', 60: { '1': '00', '2': '000001', '3': '003' } } };

test('per-address cap: the 4th socket from one address is closed at once while a terminal from another address still signs on', { timeout: 60_000 }, async () => {
  await withServer({ connectionsPerAddressMax: 3 }, {}, async (port, server, logged) => {
    const held = [await openSocket(port), await openSocket(port), await openSocket(port)];
    try {
      assert.ok(await eventually(() => server.connections === 3));
      const fourth = await openSocket(port);
      await closed(fourth);
      assert.equal(server.refusedByAddressCap, 1);
      assert.ok(logged.some((entry) => entry.message === 'terminal connection refused: too many from this address'));
      const terminal = await TerminalClient.connect(port, 'cups-pos', 'binary2', undefined, '127.0.0.2');
      try {
        const answer = await terminal.request(signOn);
        assert.equal(answer.fields[39], '00', 'a terminal from another address is not locked out');
      } finally {
        terminal.close();
      }
      // A slot freed by one of the held sockets can be taken again from the same address.
      held.pop()?.destroy();
      assert.ok(await eventually(() => server.connections === 2));
      held.push(await openSocket(port));
      assert.ok(await eventually(() => server.connections === 3));
      assert.equal(server.refusedByAddressCap, 1);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

test('idle: a peer dribbling bytes of a frame that never completes is closed while it is still dribbling', { timeout: 60_000 }, async () => {
  await withServer({}, { idleTimeoutMs: 300 }, async (port) => {
    const socket = await openSocket(port);
    const gone = closed(socket);
    let isClosed = false;
    void gone.then(() => (isClosed = true));
    // A length prefix announcing 1,000 bytes, then one byte at a time: bytes arrive, a frame never does.
    socket.write(Buffer.from([0x03, 0xe8]));
    let sent = 0;
    for (; sent < 200 && !isClosed; sent++) {
      socket.write(Buffer.from([0x30]));
      await delay(25);
    }
    assert.ok(isClosed, `the connection stayed open through ${sent} dribbled bytes`);
    assert.ok(sent < 200);
  });
});

test('session lifetime: a busy connection is ended after sessionMsMax, after its answer went out', { timeout: 60_000 }, async () => {
  // Long enough for connect and sign-on on a busy machine (ended early, the request would fail, not pass).
  await withServer({ sessionMsMax: 1_500 }, {}, async (port) => {
    const terminal = await TerminalClient.connect(port, 'cups-pos');
    const answer = await terminal.request(signOn);
    assert.equal(answer.fields[39], '00');
    assert.ok(await eventually(() => terminal.closed), 'the connection was ended');
    terminal.close();
  });
});

test('write backpressure: a peer that sends echoes and never reads is dropped once its answers pass writeBufferBytesMax', { timeout: 60_000 }, async () => {
  // In-flight bound lifted so the flood is not cut short by that rule first.
  await withServer({ writeBufferBytesMax: 4096 }, { inFlightPerConnectionMax: 1_000_000 }, async (port, server, logged) => {
    const socket = await openSocket(port);
    socket.pause(); // never reads
    socket.on('error', () => undefined);
    const dialect = getDialect('cups-pos');
    const echo = (n: number) => encodeFrame('binary2', packMessage(dialect, { mti: '0800', fields: { 11: String(n % 1_000_000).padStart(6, '0'), 41: terminalId, 42: 'M00000000000001', 60: { '1': '00', '2': '000001', '3': '301' } } }));
    let dropped = false;
    for (let batch = 0; batch < 200 && !dropped; batch++) {
      const frames: Buffer[] = [];
      for (let n = 0; n < 500; n++) frames.push(echo(batch * 500 + n));
      socket.write(Buffer.concat(frames));
      await delay(5);
      dropped = logged.some((entry) => entry.message === 'terminal does not read its answers; closing');
    }
    assert.ok(dropped || (await eventually(() => logged.some((entry) => entry.message === 'terminal does not read its answers; closing'))), 'the non-reading peer was dropped');
    assert.ok(await eventually(() => server.connections === 0));
    assert.equal(server.queuedWriteBytes, 0, 'nothing stays queued for it');
    socket.destroy();
  });
});
