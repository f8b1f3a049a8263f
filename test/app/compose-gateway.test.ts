// Goal: composeGateway is the one composition root, and what a simulation relies on holds: every
// background loop goes through the `every` override (no real timer is armed behind it), nothing is
// bound or started before start(), and close() stops every loop it started. Method: the gateway on a
// temporary SQLite file with the fixture's scripted channel, listen false, a recording `every`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createMetrics } from '../../src/adapters/http/metrics.ts';
import { composeGateway } from '../../src/app/compose-gateway.ts';
import { SeededRandom } from '../../src/core/time/random.ts';
import { approveAll, FakeChannel, fixtureConfig, silentLogger } from './payments/sale-fixture.ts';

test('every background loop runs through the every override, starts with start() and stops with close()', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/reswipe-compose-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = fixtureConfig(dir, ['bank-a']);
  const loops: Array<{ intervalMs: number; task: () => void; stopped: boolean }> = [];
  const channel = new FakeChannel('bank-a', approveAll);
  let started = 0;
  channel.start = () => {
    started += 1;
  };
  const gateway = await composeGateway(config, {
    logger: silentLogger,
    random: new SeededRandom(1),
    metrics: createMetrics({ collectDefault: false }),
    channel: () => channel,
    listen: false,
    every: (intervalMs, task) => {
      const loop = { intervalMs, task, stopped: false };
      loops.push(loop);
      return () => {
        loop.stopped = true;
      };
    },
  });
  assert.equal(loops.length, 0, 'nothing runs before start()');
  assert.equal(started, 0, 'no channel is started before start()');
  await gateway.start();
  assert.equal(started, 1);
  // Payment projector and analytics projector 50 ms each, reversal poll 1 s, node heartbeat 1 s, breaker poll 5 s, recovery sweep = min(terminal timeout 3 s,
  // half the node lease 2.5 s), advice forwarding min(30 s, 10 s), terminal checks 60 s, merchant standing checks 15 min; channel settings refresh and
  // channel health publication 5 s each; fee plans refresh 5 s (the safety net beside the change notices).
  assert.deepEqual(
    loops.map((loop) => loop.intervalMs).sort((a, b) => a - b),
    [50, 50, 1_000, 1_000, 2_500, 5_000, 5_000, 5_000, 5_000, 10_000, 60_000, 900_000],
  );
  assert.equal(gateway.httpPort, null, 'listen false binds no port');
  assert.deepEqual(gateway.terminalPorts, {});
  assert.ok(gateway.http !== null, 'the HTTP app is built, for inject');
  // A tick of each loop runs without throwing (the store is open).
  for (const loop of loops) loop.task();
  await gateway.close();
  assert.ok(loops.every((loop) => loop.stopped), 'close() stops every loop');
  await assert.rejects(gateway.store.write(async () => undefined), 'close() closes the store');
});
