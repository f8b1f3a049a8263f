// Goal: the real `reswipe issuer-sim` process speaks the host link, injects the documented faults, reports its ledger, persists it across restarts and shuts down cleanly. Method: spawn the CLI on ephemeral ports, talk to it over node:net with the real codec and framing, and read the admin API; every wait is bounded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeFrame,
  FrameDecoder,
  getDialect,
  packMessage,
  unpackMessage,
  upstreamMatchKey,
  type FramingKind,
  type IsoMessage,
} from '../../../src/core/iso8583/index.ts';
import { echoRequest, freshStan, reversalOf, saleRequest } from './issuer-requests.ts';
import { repoRoot, runReswipe, startReswipeJson } from '../../support/reswipe-process.ts';

const dialect = getDialect('iso87-ascii');
const waitMs = 10_000;

interface Sim {
  child: ChildProcess;
  isoPort: number;
  adminPort: number;
  stderr: string[];
}

async function startSim(args: readonly string[]): Promise<Sim> {
  const stderr: string[] = [];
  const { child, info } = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--log-level', 'warn', ...args], {
    cwd: repoRoot,
    startTimeoutMs: 20_000,
    onStderr: (text) => stderr.push(text),
  });
  return { child, isoPort: Number(info.isoPort), adminPort: Number(info.adminPort), stderr };
}

async function stopSim(sim: Sim): Promise<number | null> {
  if (sim.child.exitCode !== null) return sim.child.exitCode;
  const exited = once(sim.child, 'exit');
  sim.child.kill('SIGTERM');
  const timer = setTimeout(() => sim.child.kill('SIGKILL'), waitMs);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

/** A host-link client: frames out, frames in, waits bounded. */
class Client {
  readonly socket: Socket;
  readonly frames: Buffer[] = [];
  closed = false;
  readonly #decoder: FrameDecoder;
  #wake: (() => void) | null = null;

  private constructor(socket: Socket, framing: FramingKind) {
    this.socket = socket;
    this.#decoder = new FrameDecoder({ framing, frameBytesMax: 4096 });
    socket.on('data', (chunk) => {
      this.frames.push(...this.#decoder.push(chunk));
      this.#wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, framing: FramingKind = 'binary2'): Promise<Client> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Client(socket, framing);
  }

  send(message: IsoMessage, framing: FramingKind = 'binary2'): void {
    this.socket.write(encodeFrame(framing, packMessage(dialect, message)));
  }

  /** Waits until `done` holds or the time is up; returns whether it held. */
  async waitFor(done: () => boolean, timeoutMs = waitMs): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return true;
  }

  /** The next reply matching the request (by the host-link match key), bounded. */
  async reply(request: IsoMessage): Promise<IsoMessage> {
    const key = upstreamMatchKey(request);
    let found: IsoMessage | undefined;
    const ok = await this.waitFor(() => {
      const index = this.frames.findIndex((frame) => upstreamMatchKey(unpackMessage(dialect, frame)) === key);
      if (index < 0) return false;
      found = unpackMessage(dialect, this.frames.splice(index, 1)[0] as Buffer);
      return true;
    });
    assert.ok(ok && found !== undefined, `no reply to ${request.mti} STAN ${String(request.fields[11])}`);
    return found;
  }

  async exchange(request: IsoMessage): Promise<IsoMessage> {
    this.send(request);
    return this.reply(request);
  }

  close(): void {
    this.socket.destroy();
  }
}

async function admin(sim: Sim, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`http://127.0.0.1:${sim.adminPort}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(waitMs),
  });
  return { status: response.status, json: await response.json() };
}

let sim: Sim;
let client: Client;

before(async () => {
  sim = await startSim(['--seed', '1', '--late-reply-ms', '200']);
  client = await Client.open(sim.isoPort);
});

after(async () => {
  client?.close();
  if (sim !== undefined) await stopSim(sim);
});

test('a sale is approved, its duplicate replays the same answer, a lost card gets 41, and the ledger shows one masked charge', async () => {
  await admin(sim, 'POST', '/reset');
  const sale = saleRequest({ pan: '6222020000000000018', amountMinor: 12_345, cvv: '123' });
  const first = await client.exchange(sale);
  assert.equal(first.mti, '0210');
  assert.equal(first.fields[39], '00');
  assert.match(String(first.fields[38]), /^\d{6}$/);
  const again = await client.exchange(sale);
  assert.deepEqual(again, first);
  assert.equal((await client.exchange(saleRequest({ pan: '6222020000000000026', amountMinor: 100 }))).fields[39], '41');
  const ledger = await admin(sim, 'GET', '/ledger');
  assert.equal(ledger.status, 200);
  assert.equal(ledger.json.totals.charges.count, 1);
  assert.equal(ledger.json.totals.charges.amountMinor, 12_345);
  assert.equal(ledger.json.cards[0].panMasked, '622202*********0018');
  assert.equal(ledger.json.stats.outcomes.duplicate, 1);
  assert.ok(!JSON.stringify(ledger.json).includes('6222020000000000018'), 'no full PAN in the ledger');
});

test('a reply lost after charging is credited back once by its reversal and its repeat', async () => {
  await admin(sim, 'POST', '/reset');
  const sale = saleRequest({ pan: '4111111111111111', amountMinor: 88_802 });
  client.send(sale);
  const echo = echoRequest();
  assert.equal((await client.exchange(echo)).fields[39], '00', 'the connection stays usable');
  assert.equal((await admin(sim, 'GET', '/ledger')).json.totals.netChargedMinor, 88_802, 'charged although no reply came');
  const reversal = reversalOf(sale, freshStan());
  const reversed = await client.exchange(reversal);
  assert.equal(reversed.mti, '0410');
  assert.equal(reversed.fields[39], '00');
  assert.equal((await client.exchange({ ...reversal, mti: '0401' })).fields[39], '00');
  const ledger = (await admin(sim, 'GET', '/ledger')).json;
  assert.equal(ledger.totals.netChargedMinor, 0);
  assert.equal(ledger.totals.chargesReversed.count, 1);
  assert.equal(client.frames.length, 0, 'the lost reply never came');
});

test('no reply: nothing comes back within a bounded wait and nothing is charged', async () => {
  await admin(sim, 'POST', '/reset');
  client.send(saleRequest({ pan: '6222020000000000018', amountMinor: 88_801 }));
  assert.equal((await client.exchange(echoRequest())).fields[39], '00');
  assert.equal(await client.waitFor(() => client.frames.length > 0, 500), false);
  assert.equal((await admin(sim, 'GET', '/ledger')).json.totals.charges.count, 0);
});

test('late reply arrives after the configured delay; duplicate reply arrives twice; malformed reply is rejected by the codec', async () => {
  const late = saleRequest({ pan: '6222020000000000018', amountMinor: 88_803 });
  assert.equal((await client.exchange(late)).fields[39], '00');
  const twice = saleRequest({ pan: '6222020000000000018', amountMinor: 88_807 });
  client.send(twice);
  assert.ok(await client.waitFor(() => client.frames.length >= 2));
  assert.deepEqual(unpackMessage(dialect, client.frames[0] as Buffer), unpackMessage(dialect, client.frames[1] as Buffer));
  client.frames.length = 0;
  client.send(saleRequest({ pan: '6222020000000000018', amountMinor: 88_806 }));
  assert.ok(await client.waitFor(() => client.frames.length >= 1));
  assert.throws(() => unpackMessage(dialect, client.frames.shift() as Buffer));
});

test('dropped connection: the socket closes on receipt (and after processing)', async () => {
  for (const amountMinor of [88_804, 88_805]) {
    const doomed = await Client.open(sim.isoPort);
    doomed.send(saleRequest({ pan: '6222020000000000018', amountMinor }));
    assert.ok(await doomed.waitFor(() => doomed.closed), String(amountMinor));
    assert.equal(doomed.frames.length, 0);
    doomed.close();
  }
  await admin(sim, 'POST', '/reset');
  const doomed = await Client.open(sim.isoPort);
  const frame = (amountMinor: number): Buffer => encodeFrame('binary2', packMessage(dialect, saleRequest({ pan: '6222020000000000018', amountMinor })));
  doomed.socket.write(Buffer.concat([frame(88_804), frame(100)]));
  assert.ok(await doomed.waitFor(() => doomed.closed));
  doomed.close();
  assert.equal((await admin(sim, 'GET', '/ledger')).json.totals.charges.count, 0, 'a sale behind the drop in the same chunk never reached the issuer');
});

test('fault rates change at run time through PUT /faults and are validated', async () => {
  const bad = await admin(sim, 'PUT', '/faults', { noReply: 2 });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'RSW_SIM_FAULTS_INVALID');
  const set = await admin(sim, 'PUT', '/faults', { noReply: 1 });
  assert.equal(set.json.noReply, 1);
  client.send(saleRequest({ pan: '6222020000000000018', amountMinor: 100 }));
  assert.equal((await client.exchange(echoRequest())).fields[39], '00');
  assert.equal(await client.waitFor(() => client.frames.length > 0, 300), false);
  assert.equal((await admin(sim, 'PUT', '/faults', { noReply: 0 })).json.noReply, 0);
  assert.equal((await client.exchange(saleRequest({ pan: '6222020000000000018', amountMinor: 100 }))).fields[39], '00');
  assert.equal((await admin(sim, 'GET', '/faults')).json.noReply, 0);
  assert.equal((await admin(sim, 'GET', '/nowhere')).status, 404);
  assert.equal((await admin(sim, 'GET', '/healthz')).json.status, 'ok');
});

test('a frame over the size limit gets no answer and closes the connection', async () => {
  const victim = await Client.open(sim.isoPort);
  victim.socket.write(Buffer.from([0x20, 0x00])); // announces 8192 bytes, over the 4096 default
  victim.socket.write(Buffer.alloc(64, 0x30));
  assert.ok(await victim.waitFor(() => victim.closed));
  assert.equal(victim.frames.length, 0);
  victim.close();
});

test('ascii4 framing, a ledger file that survives a restart, and a clean SIGTERM exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-issuer-sim-'));
  try {
    const ledgerFile = join(dir, 'ledger.jsonl');
    const first = await startSim(['--framing', 'ascii4', '--ledger-file', ledgerFile, '--seed', '3']);
    const sale = saleRequest({ pan: '6225880000000019', amountMinor: 4_321 });
    let answer: IsoMessage;
    {
      const c = await Client.open(first.isoPort, 'ascii4');
      c.send(sale, 'ascii4');
      answer = await c.reply(sale);
      assert.equal(answer.fields[39], '00');
      c.close();
    }
    assert.equal(await stopSim(first), 0, 'SIGTERM exits 0');
    const second = await startSim(['--framing', 'ascii4', '--ledger-file', ledgerFile, '--seed', '4']);
    try {
      const ledger = (await admin(second, 'GET', '/ledger')).json;
      assert.equal(ledger.totals.charges.amountMinor, 4_321);
      const c = await Client.open(second.isoPort, 'ascii4');
      c.send(sale, 'ascii4');
      assert.deepEqual(await c.reply(sale), answer, 'a duplicate after restart replays the original answer');
      c.close();
      assert.equal((await admin(second, 'GET', '/ledger')).json.totals.charges.count, 1);
    } finally {
      await stopSim(second);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--list prints the table; a bad flag exits 2 with a coded error', () => {
  const list = runReswipe(['issuer-sim', '--list'], { timeoutMs: 30_000 });
  assert.equal(list.status, 0);
  assert.match(list.stdout, /6222020000000000018/);
  assert.match(list.stdout, /¥888\.01/);
  const json = runReswipe(['issuer-sim', '--list', '--json'], { timeoutMs: 30_000 });
  assert.ok(JSON.parse(json.stdout).cards.length > 10);
  const bad = runReswipe(['issuer-sim', '--fault-drop', '1.5'], { timeoutMs: 30_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error RSW_SIM_FAULTS_INVALID: .*\(field drop\)/);
});
