// The console-access part of the store behaviour suite (migration 0019): users round-trip and update,
// a second user of a name is a conflict, sessions are found by hash, touched forward only, ended one,
// all but one, or by lifetime, and failed logins are counted per user name and per client address
// within a window, newest first and bounded. sqlite-store.test.ts and postgres-store.test.ts run it
// unchanged against both adapters.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../../src/core/ports/store.ts';
import type { ConsoleSessionRecord, ConsoleUserRecord } from '../../../src/core/ports/console-access-store.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { baseAtMs, merchant } from './store-fixtures.ts';

function user(name: string, overrides: Partial<ConsoleUserRecord> = {}): ConsoleUserRecord {
  return { name, role: 'merchant', merchantIds: ['m1', 'm2'], passwordHash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==', disabled: false, createdAtMs: baseAtMs, updatedAtMs: baseAtMs, passwordChangedAtMs: baseAtMs, ...overrides };
}

function session(idHash: string, userName: string, overrides: Partial<ConsoleSessionRecord> = {}): ConsoleSessionRecord {
  return { idHash, userName, csrfToken: `csrf-${idHash}`, createdAtMs: baseAtMs, lastSeenAtMs: baseAtMs, expiresAtMs: baseAtMs + 3_600_000, clientAddress: '10.0.0.1', ...overrides };
}

export function defineConsoleAccessStoreBehaviour(name: string, openFresh: () => Promise<Store>, cleanup: () => Promise<void>): void {
  describe(`store behaviour, console access: ${name}`, () => {
    after(cleanup);
    function withStore(title: string, body: (store: Store) => Promise<void>): void {
      test(title, async () => {
        const store = await openFresh();
        try {
          await body(store);
        } finally {
          await store.close();
        }
      });
    }

    withStore('users round-trip, update and list by name; a second user of a name is a conflict', async (store) => {
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('m1'));
        await tx.insertConsoleUser(user('zoe'));
        await tx.insertConsoleUser(user('amy', { role: 'admin', merchantIds: [] }));
      });
      assert.deepEqual(await store.getConsoleUser('zoe'), user('zoe'));
      assert.deepEqual((await store.listConsoleUsers()).map((u) => u.name), ['amy', 'zoe']);
      const changed = user('zoe', { role: 'cashier', merchantIds: ['m1'], disabled: true, passwordHash: 'scrypt$65536$8$1$eA==$eQ==', updatedAtMs: baseAtMs + 5, passwordChangedAtMs: baseAtMs + 5 });
      assert.equal(await store.write((tx) => tx.updateConsoleUser(changed)), true);
      assert.deepEqual(await store.getConsoleUser('zoe'), changed);
      assert.equal(await store.write((tx) => tx.updateConsoleUser(user('nobody'))), false);
      await assert.rejects(
        store.write((tx) => tx.insertConsoleUser(user('zoe'))),
        (error: unknown) => isReswipeError(error) && error.code === 'RSW_STORE_CONFLICT',
      );
      assert.equal(await store.getConsoleUser('ghost'), null);
    });

    withStore('sessions: found by hash, touched forward only, ended one, all but one, or past their lifetime', async (store) => {
      await store.write(async (tx) => {
        await tx.insertConsoleUser(user('zoe'));
        await tx.insertConsoleUser(user('amy'));
        await tx.insertConsoleSession(session('h1', 'zoe'));
        await tx.insertConsoleSession(session('h2', 'zoe'));
        await tx.insertConsoleSession(session('h3', 'zoe', { expiresAtMs: baseAtMs + 10 }));
        await tx.insertConsoleSession(session('h4', 'amy', { clientAddress: null }));
      });
      assert.deepEqual(await store.findConsoleSession('h1'), session('h1', 'zoe'));
      assert.deepEqual(await store.findConsoleSession('h4'), session('h4', 'amy', { clientAddress: null }));
      await store.write((tx) => tx.touchConsoleSession('h1', baseAtMs + 100));
      await store.write((tx) => tx.touchConsoleSession('h1', baseAtMs + 50));
      assert.equal((await store.findConsoleSession('h1'))?.lastSeenAtMs, baseAtMs + 100);
      assert.equal(await store.write((tx) => tx.deleteEndedConsoleSessions(baseAtMs + 10, 100)), 1);
      assert.equal(await store.findConsoleSession('h3'), null);
      assert.equal(await store.write((tx) => tx.deleteConsoleSessionsOf('zoe', 'h1')), 1);
      assert.equal(await store.findConsoleSession('h2'), null);
      assert.notEqual(await store.findConsoleSession('h1'), null);
      assert.equal(await store.write((tx) => tx.deleteConsoleSession('h1')), true);
      assert.equal(await store.write((tx) => tx.deleteConsoleSession('h1')), false);
      assert.equal(await store.write((tx) => tx.deleteConsoleSessionsOf('amy')), 1);
      await assert.rejects(store.write((tx) => tx.insertConsoleSession(session('h9', 'nobody'))), 'a session of no user is refused by the foreign key');
    });

    withStore('failed logins: counted per user name and per address within the window, newest first, bounded; cleared and pruned', async (store) => {
      await store.write(async (tx) => {
        for (let n = 0; n < 7; n += 1) await tx.insertLoginFailure({ id: `f${n}`, userName: 'zoe', clientAddress: n < 3 ? '10.0.0.1' : '10.0.0.2', atMs: baseAtMs + n * 1000 });
        await tx.insertLoginFailure({ id: 'g1', userName: 'amy', clientAddress: '10.0.0.1', atMs: baseAtMs + 500 });
      });
      const seen = await store.recentLoginFailures({ userName: 'zoe', clientAddress: '10.0.0.1', sinceMs: baseAtMs + 1000, limit: 5 });
      assert.deepEqual(seen.byUserMs, [6, 5, 4, 3, 2].map((n) => baseAtMs + n * 1000));
      assert.deepEqual(seen.byAddressMs, [baseAtMs + 2000], 'only failures after sinceMs count');
      await store.write((tx) => tx.clearLoginFailuresOf('zoe'));
      const cleared = await store.recentLoginFailures({ userName: 'zoe', clientAddress: '10.0.0.1', sinceMs: 0, limit: 5 });
      assert.deepEqual(cleared, { byUserMs: [], byAddressMs: [baseAtMs + 500] });
      assert.equal(await store.write((tx) => tx.deleteLoginFailuresBefore(baseAtMs + 501, 10)), 1);
      assert.deepEqual(await store.recentLoginFailures({ userName: 'amy', clientAddress: 'x', sinceMs: 0, limit: 5 }), { byUserMs: [], byAddressMs: [] });
    });

    withStore('payment lists filter by a list of merchants; an empty list matches nothing', async (store) => {
      const page = await store.listPayments({ limit: 10, merchantIds: [] });
      assert.deepEqual(page.data, []);
      const all = await store.listPayments({ limit: 10, merchantIds: ['m1', 'm2'] });
      assert.deepEqual(all.data, []);
    });
  });
}
