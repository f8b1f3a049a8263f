// Goal: `reswipe demo` works as the README's first command and the terminal emulator and load generator work against it. Method: run `node bin/reswipe.mjs demo` as a real process in a temp folder (ports 0), parse the printed address and key, check GET /v1/payments covers every cause of the source article with its verdict, then drive the running gateway with `reswipe terminal` (scripted) and `reswipe load --json` as real processes, and stop the demo with SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'reswipe.mjs');

let dir = '';
/** The demo terminals' master keys, written by the demo for the emulator and the load generator. */
const keysFile = (): string => join(dir, 'reswipe-demo', 'terminal-keys.json');
let demo: ChildProcess | undefined;
let stdout = '';
let stderr = '';
let httpUrl = '';
let adminKey = '';
let cupsPort = 0;
let asciiPort = 0;

interface PaymentJson {
  id: string;
  status: string;
  terminalId: string | null;
  amountMinor: number;
  responseCode: string | null;
  decline: { code: string; category: string; verdict: string } | null;
  attempts: Array<{ channel: string; outcome: string }>;
}

/** Runs a reswipe command to completion (bounded) and returns its exit code and output. */
function run(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-8000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reswipe ${args[0]} did not finish in ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

async function payments(): Promise<PaymentJson[]> {
  const response = await fetch(`${httpUrl}/v1/payments?limit=200`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { data: PaymentJson[] };
  return body.data;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-demo-test-'));
  demo = spawn(process.execPath, [bin, 'demo', '--duration', '120', '--http-port', '0', '--terminal-port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo printed no summary in time:\n${stderr}`)), 90_000);
    demo?.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      // The summary ends with the `try:` lines; wait for the last one.
      if (/reswipe load --target/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    demo?.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited early with ${code}:\n${stderr}`));
    });
  });
  httpUrl = /HTTP API:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] ?? '';
  adminKey = /admin key:\s+(\S+)/.exec(stdout)?.[1] ?? '';
  cupsPort = Number(/cups-pos on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1] ?? 0);
  asciiPort = Number(/iso87-ascii on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1] ?? 0);
});

after(async () => {
  if (demo !== undefined && demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise<void>((resolve) => demo?.once('exit', () => resolve()));
    demo.kill('SIGKILL');
    await exited;
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('the demo prints one console line with a fresh admin login that logs in on the HTTP port', async () => {
  const lines = stdout.split('\n').filter((line) => line.startsWith('console: '));
  assert.equal(lines.length, 1, stdout);
  const match = /^console: (http:\/\/127\.0\.0\.1:\d+)\/console\/ \(user (\S+), password ([0-9A-Za-z]{20})\)$/.exec(lines[0] ?? '');
  assert.ok(match !== null, lines[0]);
  assert.equal(match[1], httpUrl, 'the console is on the gateway HTTP port');
  const login = await fetch(`${httpUrl}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: match[2], password: match[3] }), signal: AbortSignal.timeout(10_000) });
  assert.equal(login.status, 201);
  assert.equal(((await login.json()) as { user: { role: string } }).user.role, 'admin');
});

test('the demo prints the HTTP address, an admin key, the terminal ports and a summary', () => {
  assert.match(httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/, stdout);
  assert.match(adminKey, /^rsw_/, stdout);
  assert.ok(cupsPort > 0 && asciiPort > 0, stdout);
  assert.match(stdout, /sales:\s+\d+ \(approved \d+, declined \d+, reversed \d+/);
  assert.match(stdout, /declined by cause: .*card_data/);
  const recovered = /recovered automatically: (\d+) sales approved after a failed attempt \((\d+) on the backup bank, (\d+) on a retry at the primary\), (\d+) sent straight to the backup bank while the primary was down, (\d+) unknown outcomes reversed/.exec(stdout);
  assert.ok(recovered !== null, stdout);
  // Phase 1d's three sales recovered after a confirmed reversal, plus phase 2's four sales on the backup bank.
  assert.ok(Number(recovered[1]) >= 3, 'the flaky-primary sales count as recovered');
  assert.equal(Number(recovered[1]), Number(recovered[2]) + Number(recovered[3]));
  assert.ok(Number(recovered[1]) + Number(recovered[4]) >= 7, 'the flaky-primary and primary-down sales were all approved');
  assert.ok(Number(recovered[5]) >= 2);
  assert.match(stdout, /fees CNY \d+\.\d{2}/);
  assert.ok(existsSync(join(dir, 'reswipe-demo', 'demo.db')), 'the SQLite file is in the demo folder');
  assert.equal(statSync(keysFile()).mode & 0o777, 0o600, 'the demo terminals\' master keys are written owner-only');
  assert.match(stdout, /--terminal-keys-file /, 'the hints name the keys file');
});

test('GET /v1/payments with the printed key returns the demo payments, covering every cause with its verdict', async () => {
  const list = await payments();
  assert.ok(list.length >= 30, `expected the demo's sales, got ${list.length}`);
  const categories = new Set(list.flatMap((payment) => (payment.decline === null ? [] : [payment.decline.category])));
  for (const cause of ['card_data', 'insufficient_funds', 'merchant_permission', 'card_status']) {
    assert.ok(categories.has(cause), `a ${cause} decline is listed (got ${[...categories].join(', ')})`);
  }
  // Network: unknown outcomes that reswipe reversed by itself; the customer is not charged.
  const reversed = list.filter((payment) => payment.status === 'reversed');
  assert.ok(reversed.length >= 2, `reversed payments: ${reversed.length}`);
  for (const payment of reversed) assert.ok(payment.attempts.some((attempt) => attempt.outcome === 'reversed' || attempt.outcome === 'unknown'));
  // QR sales through the WeChat Pay sandbox: paid, paying then paid, refused, recovered from a system error, cancelled.
  const qr = list.filter((payment) => (payment as { method?: string }).method === 'wechat');
  assert.deepEqual(qr.map((payment) => payment.status).sort(), ['approved', 'approved', 'approved', 'declined', 'reversed'], JSON.stringify(qr.map((p) => [p.status, p.decline?.code])));
  // And one UnionPay QR sale on the host link, approved by the simulated issuer.
  const unionPayQr = list.filter((payment) => (payment as { method?: string }).method === 'unionpay-qr');
  assert.deepEqual(unionPayQr.map((payment) => payment.status), ['approved']);
  // Primary bank down: approved on the backup bank, either after a provably unsent attempt on bank-a (failover) or sent there directly once bank-a's circuit opened.
  const onBackup = list.filter((payment) => payment.status === 'approved' && payment.attempts.at(-1)?.channel === 'bank-b');
  assert.ok(onBackup.length >= 4, `approved on bank-b: ${onBackup.length}`);
  const failedOver = onBackup.filter((payment) => payment.attempts.length > 1);
  assert.ok(
    failedOver.every((payment) => payment.attempts[0]?.channel === 'bank-a' && (payment.attempts[0]?.outcome === 'not_sent' || payment.attempts[0]?.outcome === 'reversed')),
    'a failed-over sale was provably not sent to bank-a, or its attempt there was reversed first',
  );
  // The flaky primary (phase 1d): a sale's first attempt on bank-a failed and was reversed, and the sale was approved on a retry.
  const recoveredAfterReversal = list.filter((payment) => payment.status === 'approved' && payment.attempts[0]?.channel === 'bank-a' && payment.attempts[0]?.outcome === 'reversed');
  assert.ok(recoveredAfterReversal.length >= 3, `approved after a reversed first attempt: ${recoveredAfterReversal.length}`);
  // Every payment that is not approved carries a verdict from the vocabulary.
  const verdicts = new Set(list.filter((payment) => payment.status !== 'approved').map((payment) => payment.decline?.verdict));
  for (const verdict of verdicts) assert.ok(['now', 'later', 'fix', 'never', 'wait'].includes(verdict ?? ''), `verdict ${String(verdict)}`);
  for (const verdict of ['fix', 'never', 'later']) assert.ok(verdicts.has(verdict), `some payment has verdict ${verdict}`);
  // The merchant that takes no credit cards never sent a credit card upstream.
  const noCredit = list.filter((payment) => payment.decline?.category === 'merchant_permission');
  assert.ok(noCredit.every((payment) => payment.attempts.length === 0));
});

test('the terminal emulator performs one scripted sale against the demo gateway and prints the slip fields', async () => {
  const approved = await run(['terminal', '--port', String(cupsPort), '--card', 'icbc-debit-ok', '--amount', '12.34', '--entry', 'tap', '--terminal-id', 'T0000003', '--merchant-id', '898110053110001', '--terminal-keys-file', keysFile(), '--json']);
  assert.equal(approved.code, 0, approved.stderr);
  const report = JSON.parse(approved.stdout) as { signOn: string; result: string; responseCode: string; verdict: string; receipt: Record<string, unknown> };
  assert.equal(report.signOn, '00');
  assert.equal(report.result, 'approved');
  assert.equal(report.verdict, 'none');
  assert.equal(report.receipt.cardMasked, '622202*********0018');
  assert.equal(report.receipt.amountMinor, 1234);
  assert.match(String(report.receipt.authCode), /^\w{6}$/);
  assert.match(String(report.receipt.rrn), /^\w+$/);
  assert.match(String(report.receipt.traceNo), /^\d{6}$/);
  assert.equal(report.receipt.batchNo, '000001');
  assert.ok(!approved.stdout.includes('6222020000000000018'), 'the slip never shows the full PAN');

  const declined = await run(['terminal', '--port', String(asciiPort), '--dialect', 'iso87-ascii', '--card', 'ccb-debit-frozen', '--amount', '20', '--terminal-id', 'T0000003', '--merchant-id', '898110053110001', '--terminal-keys-file', keysFile()]);
  assert.equal(declined.code, 0, declined.stderr);
  assert.match(declined.stdout, /DECLINED 62 +verdict NEVER/);
  assert.match(declined.stdout, /another card/);
  assert.match(declined.stdout, /签购单/);

  // Without its master key the emulator cannot MAC: the demo's listeners require MACs, so the sale is refused A0.
  const keyless = await run(['terminal', '--port', String(cupsPort), '--card', 'icbc-debit-ok', '--amount', '1.01', '--terminal-id', 'T0000003', '--merchant-id', '898110053110001', '--json']);
  assert.equal((JSON.parse(keyless.stdout) as { responseCode: string }).responseCode, 'A0', keyless.stdout);

  const stranger = await run(['terminal', '--port', String(cupsPort), '--card', 'icbc-debit-ok', '--amount', '1', '--terminal-id', 'T9999999']);
  assert.equal(stranger.code, 1, 'an unregistered terminal is refused at sign-on and no sale is sent');
  assert.match(stranger.stdout, /sign-on 97/);
});

test('the load generator runs a short closed-loop ISO run and an HTTP run and reports JSON', async () => {
  const iso = await run(['load', '--target', `iso://127.0.0.1:${cupsPort}`, '--concurrency', '3', '--duration', '2', '--cards', 'mix', '--seed', '7', '--terminal-keys-file', keysFile(), '--json']);
  assert.equal(iso.code, 0, iso.stderr);
  const report = JSON.parse(iso.stdout) as { sent: number; answered: number; failed: number; throughputPerSecond: number; latencyMs: { p50: number; p99: number; max: number } | null; byCode: Record<string, number>; byVerdict: Record<string, number> };
  assert.ok(report.answered > 0, iso.stdout);
  assert.equal(report.failed, 0, iso.stdout);
  assert.equal(report.sent, report.answered + report.failed);
  assert.ok(report.latencyMs !== null && report.latencyMs.p50 <= report.latencyMs.p99 && report.latencyMs.p99 <= report.latencyMs.max);
  assert.equal(Object.values(report.byCode).reduce((sum, count) => sum + count, 0), report.answered);
  assert.ok((report.byCode['00'] ?? 0) > 0);
  assert.ok((report.byVerdict.none ?? 0) > 0);
  assert.equal(iso.stderr.includes('['), false, 'no progress bar when stderr is not a TTY');

  const http = await run(['load', '--target', httpUrl, '--api-key', adminKey, '--rate', '20', '--duration', '2', '--cards', 'ok', '--json']);
  assert.equal(http.code, 0, http.stderr);
  const httpReport = JSON.parse(http.stdout) as { answered: number; byCode: Record<string, number> };
  assert.ok(httpReport.answered > 0, http.stdout);
  assert.deepEqual(Object.keys(httpReport.byCode), ['00'], http.stdout);

  const badTarget = await run(['load', '--target', 'ftp://x', '--duration', '1']);
  assert.equal(badTarget.code, 2);
  assert.match(badTarget.stderr, /error RSW_BAD_ARGUMENT: .*\(field target\)/);
});

test('the demo stops cleanly on SIGTERM', async () => {
  assert.ok(demo !== undefined);
  const exited = new Promise<number | null>((resolve) => demo?.once('exit', (code) => resolve(code)));
  demo.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<number | null>((resolve) => (timer = setTimeout(() => resolve(-1), 30_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /reswipe demo stopping/);
});
