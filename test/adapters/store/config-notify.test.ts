// Goal: a change of live configuration written through one node's store reaches the caches of every
// other node on the same PostgreSQL database at once, by LISTEN/NOTIFY, only once committed, and again
// after the listening connection drops. Method: two stores on one schema whose version check is set
// to a minute (so only the notice can explain a fresh read), a rolled-back change that must never be
// announced, and the listener's backend terminated by the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from '../../../src/adapters/store/postgres-store.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import type { ConfigChange } from '../../../src/core/ports/store.ts';
import { channel, merchant } from './store-fixtures.ts';
import { postgresTestUrl, requirePostgres, TestSchemas } from '../../support/postgres-test-database.ts';
import { waitingFor } from '../../support/wait-for.ts';

const schemas = new TestSchemas('reswipe_notify');
const waitFor = waitingFor({ timeoutMs: 15_000, pollMs: 10 });

async function twoNodes(applicationName: string): Promise<[PostgresStore, PostgresStore]> {
  const schema = schemas.fresh();
  const open = () => PostgresStore.open(postgresTestUrl, { schema, configCacheCheckMs: 60_000, applicationName });
  const a = open();
  await a.migrate();
  const b = open();
  await b.migrate();
  await waitFor('both stores listening', () => a.listeningForConfigChanges && b.listeningForConfigChanges);
  return [a, b];
}

if (await requirePostgres('live configuration over LISTEN/NOTIFY')) {
  test('a channel changed on node A is read fresh on node B by notification, well before the version check of node B (every minute)', async () => {
    const [a, b] = await twoNodes('reswipe-notify-test');
    const heard: ConfigChange[] = [];
    const stop = b.onConfigChange((change) => heard.push(change));
    try {
      await a.write((tx) => tx.upsertChannel(channel('bank-a', { priority: 1 })));
      await waitFor('B to read bank-a', async () => (await b.getChannel('bank-a'))?.priority === 1);
      // Cached on B now: only the notice can make B read it again.
      assert.equal((await b.getChannel('bank-a'))?.priority, 1);
      await a.write((tx) => tx.upsertChannel(channel('bank-a', { priority: 7, disabled: true })));
      const startedMs = Date.now();
      await waitFor('B to read the new priority', async () => (await b.getChannel('bank-a'))?.priority === 7);
      assert.ok(Date.now() - startedMs < 1_000);
      assert.ok(heard.some((change) => change.kind === 'channel' && change.id === 'bank-a'));
    } finally {
      stop();
      await Promise.all([a.close(), b.close()]);
      await schemas.dropAll();
    }
  });

  test('a change that rolls back is never announced; notices come in commit order', async () => {
    const [a, b] = await twoNodes('reswipe-notify-test');
    const heard: ConfigChange[] = [];
    const stop = b.onConfigChange((change) => heard.push(change));
    try {
      await assert.rejects(
        a.write(async (tx) => {
          await tx.upsertMerchant(merchant('m-rolled-back'));
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      await a.write((tx) => tx.upsertMerchant(merchant('m-kept')));
      await waitFor('the committed change to be heard', () => heard.some((change) => change.kind === 'merchant' && change.id === 'm-kept'));
      assert.ok(!heard.some((change) => change.kind === 'merchant' && change.id === 'm-rolled-back'), JSON.stringify(heard));
    } finally {
      stop();
      await Promise.all([a.close(), b.close()]);
      await schemas.dropAll();
    }
  });

  test('after its listening connection is killed, a store listens again, drops everything cached, and hears the next change', async () => {
    const applicationName = `reswipe-kill-${randomBytes(3).toString('hex')}`;
    const [a, b] = await twoNodes(applicationName);
    const heard: ConfigChange[] = [];
    const stop = b.onConfigChange((change) => heard.push(change));
    const admin = new pg.Client({ connectionString: postgresTestUrl });
    await admin.connect();
    try {
      await a.write((tx) => tx.upsertChannel(channel('bank-a', { priority: 1 })));
      await waitFor('B to read bank-a', async () => (await b.getChannel('bank-a'))?.priority === 1);
      const connectsBefore = b.configListener?.connects ?? 0;
      // Both stores' listeners are killed: the server drops them as a failover would.
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`${applicationName}-listen`]);
      assert.equal(killed.rowCount, 2);
      await waitFor('B to listen again', () => (b.configListener?.connects ?? 0) > connectsBefore && b.listeningForConfigChanges);
      assert.ok(heard.some((change) => change.kind === 'all'), 'a reconnection drops everything cached');
      await waitFor('A to listen again', () => a.listeningForConfigChanges);
      await a.write((tx) => tx.upsertChannel(channel('bank-a', { priority: 9 })));
      await waitFor('B to read the change made after the reconnection', async () => (await b.getChannel('bank-a'))?.priority === 9);
    } finally {
      stop();
      await admin.end();
      await Promise.all([a.close(), b.close()]);
      await schemas.dropAll();
    }
  });
}

test('SQLite (one node): a committed change is reported to onConfigChange listeners of the same store', async () => {
  const store = await openStore('sqlite::memory:');
  const heard: ConfigChange[] = [];
  const stop = store.onConfigChange?.((change) => heard.push(change));
  try {
    await store.write((tx) => tx.upsertChannel(channel('bank-a')));
    assert.deepEqual(heard, [{ kind: 'channel', id: 'bank-a' }]);
  } finally {
    stop?.();
    await store.close();
  }
});
