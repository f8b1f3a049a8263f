// Goal: the PostgreSQL adapter passes the store behaviour suite unchanged, and several nodes
// migrating and racing on one database stay safe. Method: each store gets its own schema
// reswipe_test_<random>, dropped afterwards. The server comes from RESWIPE_TEST_POSTGRES_URL; when
// it is unreachable the tests are skipped, or fail if RESWIPE_REQUIRE_POSTGRES=1 (CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { isReswipeError, type ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import { defineStoreBehaviour } from './store-behaviour.ts';
import { dropPostgresSchemas, probePostgres } from '../../support/postgres-schemas.ts';
import { defineNotificationStoreBehaviour } from './notification-store-behaviour.ts';
import { defineConsoleAccessStoreBehaviour } from './console-access-store-behaviour.ts';
import { baseAtMs, idempotency, merchant, payment } from './store-fixtures.ts';
import { decideRefund } from '../../../src/core/payments/refund-rules.ts';
import type { Store, StoreTx } from '../../../src/core/ports/store.ts';

const url = process.env.RESWIPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const required = process.env.RESWIPE_REQUIRE_POSTGRES === '1';
const runId = randomBytes(4).toString('hex');
const schemas: string[] = [];

function freshSchema(): string {
  const schema = `reswipe_test_${runId}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

async function dropSchemas(): Promise<void> {
  await dropPostgresSchemas(schemas, url);
}

const unreachable = await probePostgres(url);

if (unreachable !== null) {
  const reason = `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable (${unreachable}); set RESWIPE_TEST_POSTGRES_URL`;
  if (required) {
    test('postgres store behaviour (RESWIPE_REQUIRE_POSTGRES=1)', () => assert.fail(reason));
  } else {
    test('postgres store behaviour', { skip: reason }, () => undefined);
  }
} else {
  defineStoreBehaviour('postgres', () => openStore(url, { postgresSchema: freshSchema(), detectNestedWrites: true }), dropSchemas);
  defineNotificationStoreBehaviour('postgres', () => openStore(url, { postgresSchema: freshSchema(), detectNestedWrites: true }), dropSchemas);
  defineConsoleAccessStoreBehaviour('postgres', () => openStore(url, { postgresSchema: freshSchema(), detectNestedWrites: true }), dropSchemas);

  test('postgres: the audit log refuses UPDATE, DELETE and TRUNCATE in the database itself (migration 0011)', async () => {
    const schema = freshSchema();
    const store = await openStore(url, { postgresSchema: schema });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await store.write((tx) => tx.appendAudit({ id: 'au1', actor: 'cli', action: 'api_key.create', subjectId: 'k1', detail: {}, atMs: 1 }));
      await assert.rejects(client.query(`UPDATE ${schema}.audit_log SET actor = 'someone else'`), /append-only/);
      await assert.rejects(client.query(`DELETE FROM ${schema}.audit_log`), /append-only/);
      await assert.rejects(client.query(`TRUNCATE ${schema}.audit_log`), /append-only/);
      assert.deepEqual((await client.query(`SELECT actor FROM ${schema}.audit_log`)).rows, [{ actor: 'cli' }]);
    } finally {
      await client.end();
      await store.close();
      await dropSchemas();
    }
  });

  test('postgres: several nodes migrating one schema at once apply each migration exactly once', async () => {
    const schema = freshSchema();
    const nodes = await Promise.all(Array.from({ length: 4 }, () => openStore(url, { postgresSchema: schema, poolMax: 3 })));
    try {
      const reports = await Promise.all(nodes.map((node) => node.migrate()));
      assert.ok(reports.every((report) => report.applied.length === 0), 'openStore already migrated; nothing left');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = (await client.query(`SELECT version FROM ${schema}.schema_migrations`)).rows;
        assert.deepEqual(rows, migrations.map((migration) => ({ version: migration.version })));
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await dropSchemas();
    }
  });

  test('postgres: an idempotency race between two nodes has exactly one winner', async () => {
    const schema = freshSchema();
    const a = await openStore(url, { postgresSchema: schema });
    const b = await openStore(url, { postgresSchema: schema });
    try {
      await a.write((tx) => tx.upsertMerchant(merchant('m1')));
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, n) => (n % 2 === 0 ? a : b).write((tx) => tx.insertIdempotency(idempotency('http:m1', 'k', { requestHash: `h${n}` })))),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || isReswipeError(r.reason, 'RSW_STORE_CONFLICT')));
      // STANs drawn on two nodes never collide.
      const stans = await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? a : b).write((tx) => tx.nextStan('bank-a'))));
      assert.equal(new Set(stans).size, 40);
    } finally {
      await a.close();
      await b.close();
      await dropSchemas();
    }
  });

  test('postgres: statements a unit issues together share one round trip with its savepoint; the first failure in order is the unit\'s error', async () => {
    const store = await openStore(url, { postgresSchema: freshSchema() });
    try {
      assert.ok(store instanceof PostgresStore);
      await store.write((tx) => tx.insertIdempotency(idempotency('http:m1', 'taken')));
      const before = store.writeRoundTrips;
      const twoKeys = (first: string, second: string) => (tx: StoreTx) => Promise.all([tx.insertIdempotency(idempotency('http:m1', first)), tx.insertIdempotency(idempotency('http:m1', second))]);
      const [stored, refused] = await Promise.allSettled([store.write(twoKeys('a', 'b')), store.write(twoKeys('taken', 'c'))]);
      // BEGIN, the lock, the first savepoint and the first unit's two inserts; the next savepoint and the second unit's; COMMIT,
      // and the refused unit's rollback, which shares COMMIT's round trip when both are sent in one tick (it did under load)
      // or takes its own. Statement by statement it was 9.
      const roundTrips = store.writeRoundTrips - before;
      assert.ok(roundTrips >= 3 && roundTrips <= 4, `${roundTrips} round trips`);
      assert.equal(stored.status, 'fulfilled');
      assert.equal(refused.status, 'rejected');
      assert.ok(isReswipeError((refused as PromiseRejectedResult).reason, 'RSW_STORE_CONFLICT'));
      assert.equal(((refused as PromiseRejectedResult).reason as ReswipeError).params.constraint, 'idempotency_records_pkey');
      assert.deepEqual(await Promise.all(['a', 'b', 'c'].map(async (key) => (await store.getIdempotency('http:m1', key)) !== null)), [true, true, false]);
    } finally {
      await store.close();
      await dropSchemas();
    }
  });

  /** Counts the socket writes (system calls: `_write` and `_writev`) of every net.Socket between start() and stop(). */
  function socketWriteCounter(): { count: number; start(): void; stop(): void } {
    const socket = net.Socket.prototype as unknown as { _write: (...args: unknown[]) => unknown; _writev: (...args: unknown[]) => unknown };
    const { _write: write, _writev: writev } = socket;
    const counter = {
      count: 0,
      start() {
        socket._write = function (this: unknown, ...args: unknown[]) {
          counter.count += 1;
          return write.apply(this, args);
        };
        socket._writev = function (this: unknown, ...args: unknown[]) {
          counter.count += 1;
          return writev.apply(this, args);
        };
      },
      stop() {
        socket._write = write;
        socket._writev = writev;
      },
    };
    return counter;
  }

  test('postgres: a unit\'s savepoint and the statements it issues together leave in one socket write', async () => {
    // No LISTEN connection and no config reads: the batch connection is the only one writing.
    const store = PostgresStore.open(url, { schema: freshSchema(), listenForConfigChanges: false });
    const writes = socketWriteCounter();
    try {
      await store.migrate();
      await store.write((tx) => tx.insertIdempotency(idempotency('http:m1', 'warm')));
      const threeKeys = (prefix: string) => (tx: StoreTx) => Promise.all(['1', '2', '3'].map((n) => tx.insertIdempotency(idempotency('http:m1', `${prefix}${n}`))));
      writes.start();
      await Promise.all([store.write(threeKeys('a')), store.write(threeKeys('b'))]);
      // BEGIN, the lock, the savepoint and the first unit's three inserts; the next savepoint and the
      // second unit's three inserts; COMMIT. Written one by one, that was 9 system calls.
      assert.equal(writes.count, 3);
    } finally {
      writes.stop();
      await store.close();
      await dropSchemas();
    }
  });

  test('postgres: reads outside units issued together leave in one socket write on a read lane, and a failing read fails alone', async () => {
    const store = PostgresStore.open(url, { schema: freshSchema(), listenForConfigChanges: false, readLanes: 1 });
    const writes = socketWriteCounter();
    try {
      await store.migrate();
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('m1'));
        await tx.insertPayment(payment('p1', 'm1'));
      });
      // The lane is open and has prepared both statements: what follows is Bind/Execute/Sync only.
      await Promise.all([store.getPayment('p1'), store.listCardDeclines('fp', 0, 10)]);
      writes.start();
      const reads = await Promise.allSettled([
        store.getPayment('p1'),
        store.listCardDeclines('fp', 0, 10),
        // A bigint column compared with text the server cannot cast: this read alone fails.
        store.listCardDeclines('fp', 'not a number' as unknown as number, 10),
        store.getPayment('p2'),
      ]);
      assert.equal(writes.count, 1, 'four reads, one system call');
      assert.equal(reads[0]?.status === 'fulfilled' ? reads[0].value?.id : 'failed', 'p1');
      assert.equal(reads[1]?.status, 'fulfilled');
      assert.equal(reads[2]?.status, 'rejected');
      assert.deepEqual(reads[3], { status: 'fulfilled', value: null });
    } finally {
      writes.stop();
      await store.close();
      await dropSchemas();
    }
  });

  test('postgres: a read lane whose connection is killed is replaced; reads after it are answered', async () => {
    const schema = freshSchema();
    const applicationName = `${schema}_lane`;
    const store = PostgresStore.open(url, { schema, applicationName, listenForConfigChanges: false, readLanes: 1 });
    const killer = new pg.Client({ connectionString: url });
    await killer.connect();
    try {
      await store.migrate();
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('m1'));
        await tx.insertPayment(payment('p1', 'm1'));
      });
      assert.equal((await store.getPayment('p1'))?.id, 'p1');
      // No batch runs now, so the only connection of that name left is the lane (the migration's went back idle: kill all).
      await killer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      // The loss may reach the lane before or with the next read; either way a later read gets a fresh lane.
      let answered: string | undefined;
      for (let tries = 0; tries < 50 && answered === undefined; tries++) {
        answered = await store.getPayment('p1').then(
          (found) => found?.id,
          (error: unknown) => {
            assert.ok(isReswipeError(error, 'RSW_STORE_UNAVAILABLE'), String(error));
            return undefined;
          },
        );
        if (answered === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(answered, 'p1');
    } finally {
      await store.close();
      await killer.end();
      await dropSchemas();
    }
  });

  test('postgres: refunds of one original racing on two nodes approve exactly the original amount (the original is locked while deciding)', async () => {
    const schema = freshSchema();
    const a = await openStore(url, { postgresSchema: schema });
    const b = await openStore(url, { postgresSchema: schema });
    try {
      await a.write(async (tx) => {
        await tx.upsertMerchant(merchant('m1'));
        await tx.insertPayment(payment('sale1', 'm1', { amountMinor: 10_000 }));
      });
      // Each unit decides as the follow-up pipeline does: lock the original, read its follow-ups, apply the
      // pure refund rule, insert the refund. The pause between the decision and the insert holds the
      // race window open: with a plain read, both nodes would decide on the same follow-ups.
      const refund = (node: Store, n: number): Promise<boolean> =>
        node.write(async (tx) => {
          const original = await tx.lockPaymentForUpdate('sale1');
          assert.ok(original !== null);
          const followUps = (await tx.listFollowUps(original.id)).map((p) => ({ kind: p.kind, status: p.status, amountMinor: p.amountMinor }));
          const rule = decideRefund({ original, followUps, amountMinor: 3_000, currency: 'CNY' });
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (rule.kind === 'refused') return false;
          await tx.insertPayment(payment(`ref${n}`, 'm1', { kind: 'refund', amountMinor: 3_000, originalPaymentId: original.id, createdAtMs: baseAtMs + n }));
          return true;
        });
      const results = await Promise.all(Array.from({ length: 8 }, (_, n) => refund(n % 2 === 0 ? a : b, n)));
      assert.equal(results.filter((approved) => approved).length, 3, '3 x 3000 fit into 10000, a fourth does not');
      const refunds = await a.listFollowUps('sale1');
      assert.equal(refunds.reduce((sum, p) => sum + p.amountMinor, 0), 9_000);
    } finally {
      await a.close();
      await b.close();
      await dropSchemas();
    }
  });

  test('postgres: a connection killed mid-batch fails that batch with RSW_STORE_UNAVAILABLE; the store recovers', async () => {
    const schema = freshSchema();
    const applicationName = `${schema}_kill`;
    const store = await openStore(url, { postgresSchema: schema });
    const killer = new pg.Client({ connectionString: url });
    await killer.connect();
    // openStore cannot name the application, so a second store with the name runs the batch.
    const { PostgresStore } = await import('../../../src/adapters/store/postgres-store.ts');
    const victim = PostgresStore.open(url, { schema, applicationName });
    try {
      await victim.migrate();
      await victim.write((tx) => tx.upsertMerchant(merchant('m1')));
      const doomed = victim.write(async (tx) => {
        await tx.upsertMerchant(merchant('m2'));
        await killer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        await tx.upsertMerchant(merchant('m3'));
      });
      const batchMate = victim.write((tx) => tx.upsertMerchant(merchant('m4')));
      await assert.rejects(doomed, (error) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'));
      await assert.rejects(batchMate, (error) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'));
      // Nothing of the killed batch committed, and the next write gets a fresh connection.
      await victim.write((tx) => tx.upsertMerchant(merchant('m5')));
      assert.deepEqual((await store.listMerchants()).map((m) => m.id), ['m1', 'm5']);
    } finally {
      await victim.close();
      await store.close();
      await killer.end();
      await dropSchemas();
    }
  });

  test('postgres: a schema migrated by a newer reswipe is refused with RSW_STORE_SCHEMA_NEWER', async () => {
    const schema = freshSchema();
    const store = await openStore(url, { postgresSchema: schema });
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`INSERT INTO ${schema}.schema_migrations (version, applied_at_ms) VALUES ('9999_future', 1)`);
    } finally {
      await client.end();
    }
    try {
      await assert.rejects(openStore(url, { postgresSchema: schema }), (error) => isReswipeError(error, 'RSW_STORE_SCHEMA_NEWER'));
    } finally {
      await dropSchemas();
    }
  });

  test('postgres: an unreachable server fails with RSW_STORE_UNAVAILABLE', async () => {
    await assert.rejects(openStore('postgres://postgres@127.0.0.1:1/test'), (error) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'));
  });
}
