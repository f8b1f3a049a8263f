// Goal: the shared-array window behaves exactly as an array copied on every result would: appends, drops
// by age and by count from the oldest, and leaves every earlier window (and forks of it) as they were.
// Method: random sequences of appends from random earlier windows, each compared with a plain-array model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthWindow } from '../../../src/core/routing/health-window.ts';
import type { WindowEntry } from '../../../src/core/routing/channel-health.ts';
import { SeededRandom, nextIntInclusive } from '../../../src/core/time/random.ts';

function modelAppend(window: readonly WindowEntry[], entry: WindowEntry, dropAtOrBeforeMs: number, entriesMax: number): WindowEntry[] {
  const next = [...window, entry];
  let start = 0;
  while (start < next.length && ((next[start] as WindowEntry).atMs <= dropAtOrBeforeMs || next.length - start > entriesMax)) start += 1;
  return next.slice(start);
}

test('appends, drops by age and by count, oldest first', () => {
  let window = HealthWindow.empty();
  for (let atMs = 0; atMs < 10; atMs += 1) window = window.appendAndTrim({ atMs, kind: 'ok', latencyMs: atMs }, atMs - 5, 3);
  assert.deepEqual([...window].map((entry) => entry.atMs), [7, 8, 9], 'three newest kept by the bound');
  window = window.appendAndTrim({ atMs: 100, kind: 'timeout', latencyMs: null }, 95, 3);
  assert.deepEqual([...window].map((entry) => entry.atMs), [100], 'older than the window dropped');
  assert.equal(window.length, 1);
});

test('every earlier window and every fork keeps its own entries (model check)', () => {
  const random = new SeededRandom(7);
  const windows: Array<{ window: HealthWindow; model: WindowEntry[] }> = [{ window: HealthWindow.empty(), model: [] }];
  let atMs = 0;
  for (let step = 0; step < 5_000; step += 1) {
    // Mostly extend the newest window (the monitor's case), sometimes an older one (a fork).
    const fromIndex = nextIntInclusive(random, 0, 9) === 0 ? nextIntInclusive(random, 0, windows.length - 1) : windows.length - 1;
    const from = windows[fromIndex]!;
    atMs += nextIntInclusive(random, 0, 3);
    const entry: WindowEntry = { atMs, kind: 'ok', latencyMs: step };
    const entriesMax = 200;
    windows.push({ window: from.window.appendAndTrim(entry, atMs - 400, entriesMax), model: modelAppend(from.model, entry, atMs - 400, entriesMax) });
  }
  for (const [index, { window, model }] of windows.entries()) {
    assert.equal(window.length, model.length, `window ${index}`);
    assert.deepEqual([...window], model, `window ${index}`);
  }
});
