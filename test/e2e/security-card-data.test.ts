// Goal: the card-data and error promises of docs/card-data.md hold against a real `reswipe serve`:
// without a real card-fingerprint key it refuses to start and leaves nothing behind; a card number put
// in any stored text field is refused with 422 and a byte scan of the database, its WAL and the log
// finds no card number afterwards; and a database that stops answering gives 503 with a fixed text,
// never its address, while the log has one error line with the driver message and the same request id.
// Method: child processes of the real CLI (port 0, temp folders), fetch over real sockets, a TCP proxy
// in front of PostgreSQL that the test closes to play the outage. Every wait is bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { envWithoutReswipe, reswipeBin, runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';

const execFileAsync = promisify(execFile);

const merchantId = 'M00000000000001';
/** A real key (hex of 32 random bytes), pinned: the refusal tests run without development mode. */
const panKey = 'c4a1e97f03b25d68e1f04a9c7b3d52e6a8f19c0d4e7b36a25f81c09d3e6a4b72';
const dirs: string[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) await stopChild(child);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-security-e2e-'));
  dirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

test('serve without a real PAN key outside development mode exits 2 naming security.panKey, with no database and no port', async () => {
  const dir = tempDir();
  const httpPort = await freePort();
  const database = join(dir, 'gateway.db');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ database: { url: `sqlite:${database}` }, http: { port: httpPort }, listeners: [{ port: 0 }] }));
  const missing = runReswipe(['serve', '--config', config, '--json'], { cwd: dir, env: envWithoutReswipe({ RESWIPE_LOG_LEVEL: 'info' }) });
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /^error RSW_CONFIG_PAN_KEY_REQUIRED: .*\(field security\.panKey\)\n$/);
  assert.equal(missing.stdout, '', 'serve printed no listening line');

  const weak = runReswipe(['serve', '--config', config, '--json'], { cwd: dir, env: envWithoutReswipe({ RESWIPE_PAN_KEY: 'change-me-to-a-long-random-secret' }) });
  assert.equal(weak.status, 2, weak.stderr);
  assert.match(weak.stderr, /^error RSW_CONFIG_INVALID_VALUE: configuration key security\.panKey .*\(field security\.panKey\)\n$/);
  assert.ok(!weak.stderr.includes('change-me'), 'the key is never echoed');

  assert.equal(existsSync(database), false, 'no database file was created');
  assert.deepEqual(readdirSync(dir), ['config.json'], 'nothing else was created either');
  assert.ok(await portIsFree(httpPort), 'the HTTP port was never left bound');
});

test('a card number in any stored text field is refused with 422, and no card number is in the database, its WAL or the log', async () => {
  const dir = tempDir();
  const database = join(dir, 'gateway.db');
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      database: { url: `sqlite:${database}`, synchronous: 'normal' },
      // Production mode: the cups-pos listener requires MACs, so serve needs the local master key too.
      security: { panKey, terminalMasterKey: randomBytes(32).toString('hex') },
      http: { port: 0 },
      listeners: [{ name: 'pos', port: 0 }],
      merchants: [{ id: merchantId, name: 'E2E shop', mcc: '5411', terminals: ['T0000001'] }],
    }),
  );
  const env = envWithoutReswipe();
  const created = runReswipe(['keys', 'create', '--config', config, '--admin', '--label', 'security e2e'], { cwd: dir, env });
  assert.equal(created.status, 0, created.stderr);
  const adminKey = created.stdout.trim();
  const labelled = runReswipe(['keys', 'create', '--config', config, '--admin', '--label', 'till 4111 1111 1111 1111'], { cwd: dir, env });
  assert.equal(labelled.status, 2);
  assert.match(labelled.stderr, /^error RSW_CARD_NUMBER_IN_TEXT: .*\(field --label\)/);

  let log = '';
  const served = await startReswipeJson(['serve', '--config', config, '--json'], {
    cwd: dir,
    logLevel: 'debug',
    // A real key and no development mode: this is how production starts.
    env: { RESWIPE_DEVELOPMENT_MODE: '0' },
    onStderr: (text) => {
      if (log.length < 4_000_000) log += text;
    },
    onSpawn: (child) => children.push(child),
  });
  const base = `http://127.0.0.1:${Number(served.info.http)}`;
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: response.status, text: await response.text() };
  };
  const sale = (overrides: Record<string, unknown>) => ({
    merchantId,
    terminalId: 'T0000001',
    amountMinor: 1_000,
    currency: 'CNY',
    card: { number: '6222020000000000018', expiry: '3012', cvv: '123', entryMode: 'chip' },
    ...overrides,
  });

  // The card number where it belongs: stored as a fingerprint and a masked PAN only (no channel: declined locally).
  const good = await call('POST', '/v1/payments', sale({ reference: 'order 2026-12-05 #1' }), { 'idempotency-key': 'pos1-20261205-000001' });
  assert.equal(good.status, 201, good.text);
  const goodId = (JSON.parse(good.text) as { id: string }).id;

  const textPans = ['6225880000000019', '5200828282828210', '4111111111111111', '378282246310005', '6222021234567890128'];
  const probes: Array<{ name: string; field: string; method: string; path: string; body?: unknown; headers?: Record<string, string> }> = [
    { name: 'sale reference', field: 'reference', method: 'POST', path: '/v1/payments', body: sale({ reference: `order ${textPans[0]} x` }), headers: { 'idempotency-key': 'k-1' } },
    { name: 'sale Idempotency-Key', field: 'idempotency-key', method: 'POST', path: '/v1/payments', body: sale({}), headers: { 'idempotency-key': `idem-${textPans[1]}` } },
    { name: 'grouped reference', field: 'reference', method: 'POST', path: '/v1/payments', body: sale({ reference: '4111 1111 1111 1111' }), headers: { 'idempotency-key': 'k-2' } },
    { name: 'refund reference', field: 'reference', method: 'POST', path: `/v1/payments/${goodId}/refunds`, body: { amountMinor: 100, reference: '3782-822463-10005' }, headers: { 'idempotency-key': 'k-3' } },
    { name: 'refund Idempotency-Key', field: 'idempotency-key', method: 'POST', path: `/v1/payments/${goodId}/refunds`, body: { amountMinor: 100 }, headers: { 'idempotency-key': `r ${textPans[4]}` } },
    { name: 'merchant name', field: 'name', method: 'POST', path: '/v1/merchants', body: { id: 'M00000000000002', name: `shop ${textPans[2]}`, mcc: '5812' } },
    { name: 'merchant rename', field: 'name', method: 'PATCH', path: `/v1/merchants/${merchantId}`, body: { name: textPans[0] } },
    { name: 'channel host', field: 'host', method: 'POST', path: '/v1/channels', body: { name: 'bank-x', host: textPans[2], port: 9000 } },
    { name: 'fee plan name', field: 'name', method: 'PUT', path: `/v1/fee-plans/${textPans[2]}`, body: {} },
  ];
  for (const probe of probes) {
    const answer = await call(probe.method, probe.path, probe.body, probe.headers);
    assert.equal(answer.status, 422, `${probe.name}: ${answer.text}`);
    const problem = JSON.parse(answer.text) as { code: string; field: string };
    assert.equal(problem.code, 'RSW_CARD_NUMBER_IN_TEXT', probe.name);
    assert.equal(problem.field, probe.field, probe.name);
    for (const pan of textPans) assert.ok(!answer.text.includes(pan), `${probe.name}: the answer repeats a card number`);
  }

  await stopChild(served.child);
  const stored = ['', '-wal', '-shm'].filter((suffix) => existsSync(`${database}${suffix}`)).map((suffix) => readFileSync(`${database}${suffix}`).toString('latin1'));
  assert.ok(stored[0]?.includes('622202') === true || stored.some((bytes) => bytes.includes('622202')), 'the scan reads the stored masked PAN (it can find digits)');
  const forms = (pan: string) => [pan, pan.replace(/(\d{4})(?=\d)/g, '$1 '), pan.replace(/(\d{4})(?=\d)/g, '$1-'), '3782-822463-10005', '3782 822463 10005'];
  for (const pan of [...textPans, '6222020000000000018']) {
    for (const form of forms(pan)) {
      for (const [index, bytes] of stored.entries()) assert.ok(!bytes.includes(form), `${form} is in ${['the database', 'the WAL', 'the shm file'][index]}`);
      assert.ok(!log.includes(form), `${form} is in the log`);
    }
  }
  assert.ok(log.includes('http request'), 'the scan reads a real log');
});

const postgresUrl = process.env.RESWIPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A TCP proxy in front of PostgreSQL that the test can close, with every connection through it, to play an outage. */
async function startProxy(target: URL): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

test('a PostgreSQL that stops answering gives 503 with a fixed text and no address; the log has one error line with the driver message', async (t) => {
  const admin = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (error) {
    t.skip(`PostgreSQL at ${postgresUrl} is unreachable (${error instanceof Error ? error.message : 'unknown'})`);
    return;
  }
  const schema = `reswipe_security_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  t.after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  const proxy = await startProxy(new URL(postgresUrl));
  t.after(() => proxy.stop());
  const target = new URL(postgresUrl);
  target.host = `127.0.0.1:${proxy.port}`;
  target.searchParams.set('options', `-c search_path=${schema}`);

  const dir = tempDir();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ database: { url: target.toString() }, security: { panKey, terminalMasterKey: randomBytes(32).toString('hex') }, http: { port: 0 }, listeners: [{ name: 'pos', port: 0 }], merchants: [{ id: merchantId, name: 'E2E shop', mcc: '5411' }] }));
  // Not runReswipe: a synchronous child would block this process, and with it the proxy the child talks through.
  const created = await execFileAsync(process.execPath, [reswipeBin, 'keys', 'create', '--config', config, '--admin'], { cwd: dir, env: envWithoutReswipe(), timeout: 60_000 });
  const adminKey = created.stdout.trim();
  let log = '';
  const served = await startReswipeJson(['serve', '--config', config, '--json'], {
    cwd: dir,
    logLevel: 'info',
    env: { RESWIPE_DEVELOPMENT_MODE: '0' },
    onStderr: (text) => {
      if (log.length < 4_000_000) log += text;
    },
    onSpawn: (child) => children.push(child),
  });
  const url = `http://127.0.0.1:${Number(served.info.http)}/v1/payments`;
  const before = await fetch(url, { headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(20_000) });
  assert.equal(before.status, 200, await before.text());

  await proxy.stop();
  const response = await fetch(url, { headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  assert.equal(response.status, 503, text);
  const problem = JSON.parse(text) as { code: string; detail: string; requestId: string };
  assert.equal(problem.code, 'RSW_STORE_UNAVAILABLE');
  for (const secret of ['127.0.0.1', String(proxy.port), '5432', 'ECONNREFUSED', 'terminated', schema]) assert.ok(!text.includes(secret), `the answer names ${secret}: ${text}`);

  await stopChild(served.child);
  const lines = log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const forRequest = lines.filter((line) => line.requestId === problem.requestId && Number(line.level) >= 50);
  assert.equal(forRequest.length, 1, `exactly one error line for ${problem.requestId}`);
  const logged = JSON.stringify(forRequest[0]);
  assert.match(logged, /ECONNREFUSED|Connection terminated|connect/i, `the log line has the driver message: ${logged}`);
  assert.ok(!log.includes(adminKey), 'the API key is never logged');
});

