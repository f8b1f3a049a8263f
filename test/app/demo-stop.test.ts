// Goal: `reswipe demo` ends by itself with --duration and stops cleanly when interrupted in the middle of its traffic. Method: real processes in temp folders with ports 0; one runs `--duration 0 --json` to completion and its JSON summary is checked, the other gets SIGINT after its first sale and must exit 0 promptly, leaving no listener behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'reswipe.mjs');
const dirs: string[] = [];

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-demo-stop-'));
  dirs.push(dir);
  return dir;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('--duration 0 plays the shop day, prints the JSON summary and exits 0 by itself', async () => {
  const child = spawn(process.execPath, [bin, 'demo', '--duration', '0', '--http-port', '0', '--terminal-port', '0', '--json'], { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode))),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), 120_000))),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') child.kill('SIGKILL');
  assert.equal(code, 0, stderr);
  const summary = JSON.parse(stdout.trim()) as {
    httpUrl: string | null;
    adminKey: string;
    terminalPorts: Record<string, number>;
    summary: { sales: number; approved: number; declined: number; reversed: number; pending: number; declinedByCategory: Record<string, number>; recoveredApproved: number; recoveredRerouted: number; recoveredReversed: number; feesMinor: number };
  };
  assert.match(summary.adminKey, /^rsw_/);
  assert.ok(summary.summary.sales >= 30);
  assert.equal(summary.summary.sales, summary.summary.approved + summary.summary.declined + summary.summary.reversed + summary.summary.pending);
  for (const cause of ['card_data', 'insufficient_funds', 'merchant_permission', 'card_status']) assert.ok((summary.summary.declinedByCategory[cause] ?? 0) > 0, cause);
  assert.ok(summary.summary.recoveredApproved + summary.summary.recoveredRerouted >= 4, 'the primary-down sales were approved on the backup bank');
  assert.ok(summary.summary.recoveredReversed >= 1);
  assert.ok(summary.summary.feesMinor > 0);
  assert.match(stderr, /\[ *\d+\/\d+\] /, 'progress lines on stderr');
  assert.equal(await isListening(summary.terminalPorts.terminals ?? 0), false, 'the terminal listener is closed after exit');
});

test('SIGINT in the middle of the traffic stops the demo cleanly with exit code 0', async () => {
  const child = spawn(process.execPath, [bin, 'demo', '--http-port', '0', '--terminal-port', '0'], { cwd: tempDir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no sale within 60 s: ${stderr}`)), 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
      if (/\[ *1\/\d+\]/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const terminalPort = Number(/terminals on :(\d+)/.exec(stderr)?.[1] ?? 0);
  child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
  clearTimeout(timer);
  if (code === 'timeout') child.kill('SIGKILL');
  assert.equal(code, 0, stderr);
  assert.ok(terminalPort > 0);
  assert.equal(await isListening(terminalPort), false);
});
