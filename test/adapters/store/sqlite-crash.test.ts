// Goal: a write the SQLite store acknowledged survives the process being killed mid-stream
// (SIGKILL, no close, no checkpoint). Method: a child process writes through group commit and
// prints each acknowledged id; the test kills it after a few hundred, reopens the file, and
// checks every acknowledged payment is there and the database passes its integrity check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/adapters/store/open-store.ts';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const acksBeforeKill = 300;
const waitMs = 60_000;

test('sqlite: every acknowledged write survives SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-sqlite-crash-'));
  try {
    const path = join(dir, 'crash.db');
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the writer acknowledged only ${acked.length} writes in ${waitMs} ms: ${stderr}`));
      }, waitMs);
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
        if (acked.length >= acksBeforeKill && !child.killed) {
          // Killed while more units are in flight: some of them may have committed unacknowledged, which is fine.
          child.kill('SIGKILL');
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        if (acked.length < acksBeforeKill) reject(new Error(`the writer exited early: ${stderr}`));
      });
    });
    assert.equal(await exited, 'SIGKILL');

    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      raw.close();
    }
    const store = await openStore(`sqlite:${path}`);
    try {
      const missing: string[] = [];
      for (const id of acked) if ((await store.getPayment(id)) === null) missing.push(id);
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes were lost`);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
