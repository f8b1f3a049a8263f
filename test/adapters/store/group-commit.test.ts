// Goal: group commit's edge cases that a real database makes hard to provoke: a full queue, a
// unit that never ends, a batch whose COMMIT fails, and the order of control statements.
// Method: GroupCommit over a scripted fake connection that records every statement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit, type BatchConnection, type GroupCommitOptions } from '../../../src/adapters/store/group-commit.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { SqlExecutor } from '../../../src/adapters/store/sql-executor.ts';
import type { StoreTx } from '../../../src/core/ports/store.ts';

interface Fake {
  log: string[];
  released: boolean[];
  options: GroupCommitOptions;
}

/** A connection whose `run` logs the SQL; `failOn` makes one control statement throw. */
function fake(overrides: Partial<GroupCommitOptions> = {}, failOn?: string): Fake {
  const log: string[] = [];
  const released: boolean[] = [];
  const executor: SqlExecutor = {
    all: async (sql) => {
      log.push(sql);
      return [];
    },
    run: async (sql) => {
      log.push(sql);
      if (sql === 'FAIL') throw new Error('statement failed');
      return 1;
    },
  };
  const connection: BatchConnection = {
    executor,
    control: async (sql) => {
      log.push(sql);
      if (sql === failOn) throw new Error(`${sql} failed`);
    },
    release: (broken) => released.push(broken),
  };
  const options: GroupCommitOptions = {
    groupCommitMax: 256,
    queueMax: 1000,
    unitTimeoutMs: 60_000,
    beginSql: 'BEGIN',
    acquire: async () => connection,
    // The fake tx exposes only the executor, which is all these tests touch.
    makeTx: (db) => ({ db }) as unknown as StoreTx,
    mapError: (error) => error,
    ...overrides,
  };
  return { log, released, options };
}

function dbOf(tx: StoreTx): SqlExecutor {
  return (tx as unknown as { db: SqlExecutor }).db;
}

test('units submitted together share one transaction, each in its own savepoint', async () => {
  const f = fake();
  const group = new GroupCommit(f.options);
  const results = await Promise.allSettled([
    group.write(async (tx) => dbOf(tx).run('A', [])),
    group.write(async (tx) => {
      await dbOf(tx).run('B', []);
      throw new Error('B fails');
    }),
    group.write(async (tx) => dbOf(tx).run('C', [])),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(f.log, [
    'BEGIN',
    'SAVEPOINT reswipe_unit', 'A',
    'RELEASE SAVEPOINT reswipe_unit; SAVEPOINT reswipe_unit', 'B', 'ROLLBACK TO SAVEPOINT reswipe_unit; RELEASE SAVEPOINT reswipe_unit',
    'SAVEPOINT reswipe_unit', 'C',
    'COMMIT',
  ]);
  assert.deepEqual(group.stats(), { commits: 1, units: 3 });
  assert.deepEqual(f.released, [false]);
});

test('a lone unit runs without a savepoint; if it fails the transaction rolls back', async () => {
  const f = fake();
  const group = new GroupCommit(f.options);
  assert.equal(await group.write(async (tx) => dbOf(tx).run('A', [])), 1);
  await assert.rejects(
    group.write(async (tx) => {
      await dbOf(tx).run('B', []);
      throw new Error('B fails');
    }),
    /B fails/,
  );
  assert.deepEqual(f.log, ['BEGIN', 'A', 'COMMIT', 'BEGIN', 'B', 'ROLLBACK']);
  assert.deepEqual(group.stats(), { commits: 1, units: 2 });
  assert.deepEqual(f.released, [false, false]);
});

test('a batch never exceeds groupCommitMax units', async () => {
  const f = fake({ groupCommitMax: 4 });
  const group = new GroupCommit(f.options);
  await Promise.all(Array.from({ length: 10 }, () => group.write(async () => 1)));
  assert.deepEqual(group.stats(), { commits: 3, units: 10 });
  assert.equal(f.log.filter((sql) => sql === 'BEGIN').length, 3);
});

test('a failed COMMIT rejects every unit of the batch, even those that succeeded', async () => {
  const f = fake({}, 'COMMIT');
  const group = new GroupCommit(f.options);
  const results = await Promise.allSettled([group.write(async () => 'a'), group.write(async () => 'b')]);
  for (const result of results) {
    assert.equal(result.status, 'rejected');
    assert.match(String((result as PromiseRejectedResult).reason), /COMMIT failed/);
  }
  assert.ok(f.log.includes('ROLLBACK'));
  assert.deepEqual(f.released, [true], 'the connection is given back as broken');
  assert.deepEqual(group.stats(), { commits: 0, units: 0 });
});

test('a connection that cannot be acquired rejects the batch with the mapped error', async () => {
  const f = fake({
    acquire: async () => {
      throw new Error('no connection');
    },
    mapError: () => new Error('mapped'),
  });
  const group = new GroupCommit(f.options);
  await assert.rejects(group.write(async () => 1), /mapped/);
});

test('a full queue refuses new units with RSW_STORE_OVERLOADED instead of growing', async () => {
  const f = fake({ queueMax: 3 });
  const group = new GroupCommit(f.options);
  const accepted = [group.write(async () => 1), group.write(async () => 2), group.write(async () => 3)];
  await assert.rejects(group.write(async () => 4), (error) => isReswipeError(error, 'RSW_STORE_OVERLOADED'));
  assert.deepEqual(await Promise.all(accepted), [1, 2, 3]);
});

test('a unit that never finishes is rolled back with RSW_STORE_UNIT_TIMEOUT and the others carry on', async () => {
  const f = fake({ unitTimeoutMs: 20 });
  const group = new GroupCommit(f.options);
  let leakedTx: StoreTx | undefined;
  const hung = group.write(async (tx) => {
    leakedTx = tx;
    await new Promise(() => undefined);
  });
  const fine = group.write(async () => 'ok');
  await assert.rejects(hung, (error) => isReswipeError(error, 'RSW_STORE_UNIT_TIMEOUT'));
  assert.equal(await fine, 'ok');
  assert.ok(leakedTx !== undefined);
  await assert.rejects(dbOf(leakedTx).run('LATE', []), /after its unit ended/);
  assert.ok(!f.log.includes('LATE'));
});

test('a nested write fails at once with detectNestedWrites, and without it ends in RSW_STORE_UNIT_TIMEOUT instead of hanging', async () => {
  const checked = new GroupCommit(fake({ detectNestedWrites: true }).options);
  await assert.rejects(checked.write(async () => checked.write(async () => 1)), /inside a unit/);
  const unchecked = new GroupCommit(fake({ unitTimeoutMs: 20 }).options);
  let inner: Promise<number> | undefined;
  await assert.rejects(
    unchecked.write(async () => {
      inner = unchecked.write(async () => 1);
      return inner;
    }),
    (error) => isReswipeError(error, 'RSW_STORE_UNIT_TIMEOUT'),
  );
  // The nested unit was queued for the next batch, which runs once the outer one gave up.
  assert.equal(await inner, 1);
});

test('close waits for queued units, then refuses new ones', async () => {
  const f = fake();
  const group = new GroupCommit(f.options);
  const queued = group.write(async () => 'queued');
  await group.close();
  assert.equal(await queued, 'queued');
  await assert.rejects(group.write(async () => 1), (error) => isReswipeError(error, 'RSW_STORE_CLOSED'));
});

test('an exclusive job runs alone between batches', async () => {
  const f = fake();
  const group = new GroupCommit(f.options);
  const order: string[] = [];
  await Promise.all([
    group.write(async () => order.push('unit 1')),
    group.runExclusive(async () => order.push('exclusive')),
    group.write(async () => order.push('unit 2')),
  ]);
  assert.deepEqual(order, ['unit 1', 'exclusive', 'unit 2']);
  assert.equal(f.log.filter((sql) => sql === 'COMMIT').length, 2);
});

test('a unit written ahead joins the next batch before the units already waiting, in the order written ahead', async () => {
  const f = fake({ groupCommitMax: 4 });
  const group = new GroupCommit(f.options);
  const order: string[] = [];
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  // The first batch is running (and waits) while the others queue up.
  const first = group.write(async () => {
    order.push('running');
    await gate;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['running']);
  const unit = (name: string) => async (tx: StoreTx) => {
    order.push(name);
    await dbOf(tx).run(name, []);
  };
  const waiting = ['sale 1', 'sale 2', 'sale 3', 'sale 4', 'sale 5'].map((name) => group.write(unit(name)));
  const ahead = [group.write(unit('projector'), { ahead: true }), group.write(unit('analytics'), { ahead: true })];
  const later = group.write(unit('sale 6'));
  open();
  await Promise.all([first, ...waiting, ...ahead, later]);
  assert.deepEqual(order, ['running', 'projector', 'analytics', 'sale 1', 'sale 2', 'sale 3', 'sale 4', 'sale 5', 'sale 6']);
  // Batches of 4: [running], [projector, analytics, sale 1, sale 2], [sale 3 .. sale 6].
  const batches = f.log.join(' ').split('COMMIT').map((batch) => batch.match(/projector|analytics|sale \d/g) ?? []).filter((names) => names.length > 0);
  assert.deepEqual(batches, [['projector', 'analytics', 'sale 1', 'sale 2'], ['sale 3', 'sale 4', 'sale 5', 'sale 6']]);
});

test('a unit written ahead does not pass an exclusive job at the head of the queue', async () => {
  const f = fake();
  const group = new GroupCommit(f.options);
  const order: string[] = [];
  await Promise.all([
    group.runExclusive(async () => order.push('exclusive')),
    group.write(async () => order.push('unit')),
    group.write(async () => order.push('ahead'), { ahead: true }),
  ]);
  assert.deepEqual(order, ['exclusive', 'ahead', 'unit']);
});

test('pipelined control: BEGIN and each savepoint go out with the unit statements, without waiting for their answer', async () => {
  const f = fake({ controlPipelined: true });
  const unanswered: string[] = [];
  const connection = await f.options.acquire();
  // Control answers only on the next turn of the event loop, as a server would.
  const control = connection.control;
  const slowControl: typeof control = (sql) => {
    unanswered.push(sql);
    const sent = control(sql);
    return new Promise((resolve, reject) => setImmediate(() => sent.then(() => {
      unanswered.splice(unanswered.indexOf(sql), 1);
      resolve();
    }, reject)));
  };
  const seenUnanswered: string[][] = [];
  const group = new GroupCommit({ ...f.options, acquire: async () => ({ ...connection, control: slowControl }) });
  const unit = (name: string) => async (tx: StoreTx) => {
    seenUnanswered.push([...unanswered]);
    return dbOf(tx).run(name, []);
  };
  await Promise.all([group.write(unit('A')), group.write(unit('B'))]);
  assert.deepEqual(f.log, ['BEGIN; SAVEPOINT reswipe_unit', 'A', 'RELEASE SAVEPOINT reswipe_unit; SAVEPOINT reswipe_unit', 'B', 'COMMIT']);
  assert.deepEqual(seenUnanswered, [['BEGIN; SAVEPOINT reswipe_unit'], ['RELEASE SAVEPOINT reswipe_unit; SAVEPOINT reswipe_unit']]);
  assert.deepEqual(group.stats(), { commits: 1, units: 2 });
});

test('pipelined control: a failed BEGIN fails every unit of the batch, even one whose statements went through', async () => {
  const f = fake({ controlPipelined: true }, 'BEGIN; SAVEPOINT reswipe_unit');
  const group = new GroupCommit(f.options);
  const results = await Promise.allSettled([group.write(async (tx) => dbOf(tx).run('A', [])), group.write(async (tx) => dbOf(tx).run('B', []))]);
  for (const result of results) {
    assert.equal(result.status, 'rejected');
    assert.match(String((result as PromiseRejectedResult).reason), /BEGIN; SAVEPOINT reswipe_unit failed/);
  }
  assert.deepEqual(f.log, ['BEGIN; SAVEPOINT reswipe_unit', 'A', 'ROLLBACK']);
  assert.deepEqual(f.released, [true]);
  assert.deepEqual(group.stats(), { commits: 0, units: 0 });
});

test('pipelined control: a lone unit sends BEGIN alone and no savepoint', async () => {
  const f = fake({ controlPipelined: true });
  const group = new GroupCommit(f.options);
  assert.equal(await group.write(async (tx) => dbOf(tx).run('A', [])), 1);
  assert.deepEqual(f.log, ['BEGIN', 'A', 'COMMIT']);
});
