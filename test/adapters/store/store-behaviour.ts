// The store behaviour suite: one set of node:test tests that every Store adapter must pass
// unchanged. sqlite-store.test.ts and postgres-store.test.ts call defineStoreBehaviour with a
// factory for a fresh, migrated, empty store.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isReswipeError, type ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { ErrorCode } from '../../../src/core/errors/catalogue.ts';
import { paymentProjectorName, type ConfigChange, type FeePlanRecord, type PaymentRecord, type Store, type TerminalKeyRecord } from '../../../src/core/ports/store.ts';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { defineReconStoreBehaviour } from './recon-store-behaviour.ts';
import { apiKey, attempt, audit, baseAtMs, channel, feeLine, idempotency, merchant, payment, payoutAccount, payoutRecord, reversal, settlementBatch, terminal } from './store-fixtures.ts';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the promise to reject');
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<ReswipeError> {
  const error = await rejection(promise);
  assert.ok(isReswipeError(error, code), `expected ${code}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return error;
}

/** A merchant m1 with terminal t1, which most tests need as parents. */
async function seedParents(store: Store): Promise<void> {
  await store.write(async (tx) => {
    await tx.upsertMerchant(merchant('m1'));
    await tx.upsertMerchant(merchant('m2'));
    await tx.upsertTerminal(terminal('t1', 'm1'));
    await tx.upsertTerminal(terminal('t2', 'm1'));
    await tx.upsertTerminal(terminal('t3', 'm2'));
  });
}

export function defineStoreBehaviour(name: string, openFresh: () => Promise<Store>, cleanup: () => Promise<void>): void {
  describe(`store behaviour: ${name}`, () => {
    after(cleanup);

    /** Runs a test body on a fresh store and always closes it. */
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

    withStore('migrations are recorded and running them again applies nothing', async (store) => {
      const latest = migrations[migrations.length - 1]?.version;
      const again = await store.migrate();
      assert.deepEqual(again, { applied: [], current: latest });
      await seedParents(store);
      const third = await store.migrate();
      assert.deepEqual(third.applied, []);
      assert.equal((await store.listMerchants()).length, 2, 'data survives a repeated migrate');
    });

    withStore('every record type round-trips unchanged', async (store) => {
      await seedParents(store);
      const m = merchant('m3', { accepts: ['credit'], limits: { perMonthMinor: 9_007_199_254_740_991 }, disabled: true });
      const t = terminal('t9', 'm3', { signedOn: false, lastSeenAtMs: null, limits: { perSaleMinor: 100 } });
      const c = channel('bank-a', { disabled: true, priority: 3 });
      const p = payment('p1', 'm3', {
        terminalId: 't9',
        intake: 'iso',
        terminalStan: '000123',
        terminalTransmittedAt: '1125213000',
        status: 'declined',
        responseCode: '51',
        authCode: null,
        decline: {
          code: '51',
          category: 'insufficient_funds',
          party: 'cardholder',
          verdict: 'fix',
          waitSeconds: null,
          advice: { cashier: { zh: '余额不足', en: 'Insufficient funds' }, customer: { zh: '请换卡', en: 'Use another card' } },
        },
      });
      const refund = payment('p2', 'm3', { kind: 'refund', originalPaymentId: 'p1', cardIssuer: null, reference: 'order-9', rrn: null });
      const a = attempt('a1', 'p1', { outcome: 'declined', responseCode: '51', latencyMs: 120, sentAtMs: baseAtMs + 1, completedAtMs: baseAtMs + 121 });
      const r = reversal('r1', 'a1', 'p1', { lastError: 'timeout' });
      const i = idempotency('http:m3', 'key-1', { paymentId: 'p1', state: 'done', responseStatus: 201, responseBody: '{"id":"p1"}' });
      const f = feeLine('f1', 'p1', 'm3');
      const b = settlementBatch('b1', 'm3');
      const au = audit('au1');
      const k = apiKey('k1', { scopes: ['payments:write', 'refunds:write'], merchantId: 'm3', expiresAtMs: baseAtMs + 86_400_000 });
      let seq = 0;
      await store.write(async (tx) => {
        await tx.upsertMerchant(m);
        await tx.upsertTerminal(t);
        await tx.upsertChannel(c);
        await tx.insertPayment(p);
        await tx.insertPayment(refund);
        await tx.insertAttempt(a);
        await tx.insertReversal(r);
        await tx.insertIdempotency(i);
        await tx.insertFeeLine(f);
        await tx.upsertSettlementBatch(b);
        seq = await tx.appendEvent({ type: 'payment.declined', subjectId: 'p1', payload: { code: '51', nested: { ok: true } }, atMs: baseAtMs });
        await tx.appendAudit(au);
        await tx.insertApiKey(k);
      });
      assert.deepEqual(await store.getMerchant('m3'), m);
      assert.deepEqual(await store.getTerminal('t9'), t);
      assert.deepEqual(await store.getChannel('bank-a'), c);
      assert.deepEqual(await store.getPayment('p1'), p);
      assert.deepEqual(await store.getPayment('p2'), refund);
      assert.deepEqual(await store.listAttempts('p1'), [a]);
      assert.deepEqual(await store.findAttemptByUpstreamKey('bank-a', '000001', '1125213000'), a);
      assert.deepEqual(await store.getReversal('r1'), r);
      assert.deepEqual(await store.getIdempotency('http:m3', 'key-1'), i);
      assert.deepEqual(await store.listFeeLines({ paymentId: 'p1' }), [f]);
      assert.deepEqual(await store.getSettlementBatch('m3', '2026-11-25'), b);
      assert.deepEqual(await store.listSettlementBatches({ merchantId: 'm3' }), [b]);
      assert.deepEqual(await store.listEvents(0, 10), [{ seq, type: 'payment.declined', subjectId: 'p1', payload: { code: '51', nested: { ok: true } }, atMs: baseAtMs }]);
      assert.deepEqual(await store.listAudit({ limit: 10 }), [au]);
      assert.deepEqual(await store.findApiKeyByHash('sha256:k1'), k);
      assert.deepEqual(await store.listApiKeys(), [k]);
      assert.equal(await store.getPayment('nope'), null);
      assert.equal(await store.getMerchant('nope'), null);

      // Upserts overwrite, updates change exactly the named record.
      await store.write(async (tx) => {
        await tx.upsertMerchant({ ...m, name: 'renamed', disabled: false });
        await tx.upsertTerminal({ ...t, state: 'disabled', signedOn: true });
        await tx.upsertChannel({ ...c, port: 9200 });
        await tx.updateAttempt({ ...a, outcome: 'unknown' });
        await tx.updateReversal({ ...r, state: 'done', tries: 2, completedAtMs: baseAtMs + 9 });
        await tx.updateIdempotency('http:m3', 'key-1', { paymentId: 'p2', state: 'done', responseStatus: 200, responseBody: 'x', updatedAtMs: baseAtMs + 7 });
        await tx.upsertSettlementBatch({ ...b, state: 'closed', netMinor: 1 });
        assert.equal(await tx.revokeApiKey('k1', baseAtMs + 8), true);
        assert.equal(await tx.revokeApiKey('k1', baseAtMs + 9), false, 'a revoked key stays revoked at its first time');
      });
      assert.equal((await store.getMerchant('m3'))?.name, 'renamed');
      assert.equal((await store.getTerminal('t9'))?.state, 'disabled');
      assert.equal((await store.getChannel('bank-a'))?.port, 9200);
      assert.equal((await store.listAttempts('p1'))[0]?.outcome, 'unknown');
      assert.equal((await store.getReversal('r1'))?.state, 'done');
      assert.deepEqual(await store.getIdempotency('http:m3', 'key-1'), { ...i, paymentId: 'p2', responseStatus: 200, responseBody: 'x', updatedAtMs: baseAtMs + 7 });
      assert.equal((await store.getSettlementBatch('m3', '2026-11-25'))?.state, 'closed');
      assert.equal((await store.findApiKeyByHash('sha256:k1'))?.revokedAtMs, baseAtMs + 8);
      assert.deepEqual((await store.listTerminals('m1')).map((x) => x.id), ['t1', 't2']);
      assert.deepEqual((await store.listMerchants()).map((x) => x.id), ['m1', 'm2', 'm3']);
      assert.deepEqual((await store.listChannels()).map((x) => x.name), ['bank-a']);
    });

    withStore('an attempt updated from its row as last written changes only the columns that differ; one equal to it is still checked to exist', async (store) => {
      const a = attempt('a1', 'p1', { outcome: 'pending', responseCode: null, authCode: null, rrn: null });
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('m1'));
        await tx.insertPayment(payment('p1', 'm1', { status: 'pending' }));
        await tx.insertAttempt(a);
      });
      const answered = { ...a, outcome: 'approved' as const, responseCode: '00', authCode: 'A1B2C3', rrn: '000000000042', completedAtMs: baseAtMs + 40 };
      // A column equal in both (the upstream terminal id) is not written: a value changed behind the caller stays.
      await store.write(async (tx) => {
        await tx.updateAttempt({ ...a, upstreamTerminalId: 'CHANGED1' });
        await tx.updateAttempt(answered, a);
      });
      assert.deepEqual((await store.listAttempts('p1'))[0], { ...answered, upstreamTerminalId: 'CHANGED1' });
      // Nothing differs: written whole, so a missing row still fails.
      await store.write((tx) => tx.updateAttempt(answered, answered));
      await expectCode(store.write((tx) => tx.updateAttempt(attempt('missing', 'p0'), attempt('missing', 'p0'))), 'RSW_STORE_NOT_FOUND');
      await assert.rejects(store.write((tx) => tx.updateAttempt(answered, attempt('other', 'p1'))), /is not/);
    });

    withStore('updates of a record that does not exist fail with RSW_STORE_NOT_FOUND', async (store) => {
      await expectCode(store.write((tx) => tx.updateAttempt(attempt('missing', 'p0'))), 'RSW_STORE_NOT_FOUND');
      await expectCode(store.write((tx) => tx.updateIdempotency('s', 'k', { paymentId: null, state: 'done', responseStatus: 200, responseBody: null, updatedAtMs: 1 })), 'RSW_STORE_NOT_FOUND');
    });

    withStore('a write naming a missing parent fails with RSW_STORE_MISSING_REFERENCE and changes nothing', async (store) => {
      await expectCode(store.write((tx) => tx.insertPayment(payment('p1', 'no-such-merchant'))), 'RSW_STORE_MISSING_REFERENCE');
      assert.equal(await store.getPayment('p1'), null);
    });

    withStore('idempotency race: of many concurrent inserts of one (scope, key) exactly one wins', async (store) => {
      const contenders = 40;
      const results = await Promise.allSettled(
        Array.from({ length: contenders }, (_, n) => store.write((tx) => tx.insertIdempotency(idempotency('http:m1', 'same-key', { requestHash: `hash-${n}` })))),
      );
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, contenders - 1);
      for (const loss of lost) {
        assert.ok(isReswipeError(loss.reason, 'RSW_STORE_CONFLICT'), String(loss.reason));
        assert.equal(loss.reason.params.constraint, 'idempotency_records_pkey');
        assert.equal(loss.reason.field, 'key');
      }
      const stored = await store.getIdempotency('http:m1', 'same-key');
      assert.ok(stored !== null && /^hash-\d+$/.test(stored.requestHash));
      // The same key in another scope is another request.
      await store.write((tx) => tx.insertIdempotency(idempotency('http:m2', 'same-key')));
    });

    withStore('an ISO retransmission (terminal, STAN, DE 7) cannot create a second payment', async (store) => {
      await seedParents(store);
      const iso = { intake: 'iso' as const, terminalId: 't1', terminalStan: '000777', terminalTransmittedAt: '1125213000' };
      await store.write((tx) => tx.insertPayment(payment('p1', 'm1', iso)));
      const error = await expectCode(store.write((tx) => tx.insertPayment(payment('p2', 'm1', iso))), 'RSW_STORE_CONFLICT');
      assert.equal(error.params.constraint, 'payments_iso_key');
      assert.equal(error.field, 'terminalStan');
      // Another DE 7, another terminal, or HTTP intake (no STAN) are different requests.
      await store.write(async (tx) => {
        await tx.insertPayment(payment('p3', 'm1', { ...iso, terminalTransmittedAt: '1125213001' }));
        await tx.insertPayment(payment('p4', 'm1', { ...iso, terminalId: 't2' }));
        await tx.insertPayment(payment('p5', 'm1'));
        await tx.insertPayment(payment('p6', 'm1'));
      });
      const duplicateId = await expectCode(store.write((tx) => tx.insertPayment(payment('p5', 'm1'))), 'RSW_STORE_CONFLICT');
      assert.equal(duplicateId.params.constraint, 'payments_pkey');
    });

    withStore('upstream keys: attempts are unique per (channel, STAN, DE 7), reversals one per attempt', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('p1', 'm1'));
        await tx.insertAttempt(attempt('a1', 'p1'));
        await tx.insertAttempt(attempt('a2', 'p1', { seq: 2, channel: 'bank-b' }));
        await tx.insertReversal(reversal('r1', 'a1', 'p1'));
      });
      const sameUpstream = await expectCode(store.write((tx) => tx.insertAttempt(attempt('a3', 'p1', { seq: 3 }))), 'RSW_STORE_CONFLICT');
      assert.equal(sameUpstream.params.constraint, 'attempts_upstream_key');
      const secondReversal = await expectCode(store.write((tx) => tx.insertReversal(reversal('r2', 'a1', 'p1'))), 'RSW_STORE_CONFLICT');
      assert.equal(secondReversal.params.constraint, 'reversals_attempt_key');
      assert.equal(secondReversal.field, 'attemptId');
      assert.equal((await store.findAttemptByUpstreamKey('bank-b', '000001', '1125213000'))?.id, 'a2');
      assert.equal(await store.findAttemptByUpstreamKey('bank-b', '000002', '1125213000'), null);
    });

    withStore('QR payments (migration 0021): the method and the provider fields round-trip, one follow-up per payment, due follow-ups listed', async (store) => {
      await seedParents(store);
      const qrPayment = payment('pq', 'm1', { method: 'wechat', panMasked: '1345**********1234', entryMode: 'qr' });
      const qrAttempt = attempt('aq', 'pq', { mti: 'QR00', providerTradeNo: '4200000001', providerCode: 'USERPAYING' });
      const followUp = { id: 'f1', paymentId: 'pq', attemptId: 'aq', channel: 'wx', outTradeNo: 'pq', state: 'pending' as const, tries: 0, nextAtMs: baseAtMs + 1000, lastError: null, createdAtMs: baseAtMs, completedAtMs: null };
      await store.write(async (tx) => {
        await tx.insertPayment(qrPayment);
        await tx.insertAttempt(qrAttempt);
        await tx.insertQrFollowUp(followUp);
        await tx.insertPayment(payment('pc', 'm1'));
      });
      assert.equal((await store.getPayment('pq'))?.method, 'wechat');
      assert.equal((await store.getPayment('pc'))?.method, undefined, 'a card payment reads as before');
      const [storedAttempt] = await store.listAttempts('pq');
      assert.equal(storedAttempt?.providerTradeNo, '4200000001');
      assert.equal(storedAttempt?.providerCode, 'USERPAYING');
      assert.deepEqual(await store.listDueQrFollowUps(baseAtMs + 999, 10), []);
      assert.deepEqual(await store.listDueQrFollowUps(baseAtMs + 1000, 10), [followUp]);
      const second = await expectCode(store.write((tx) => tx.insertQrFollowUp({ ...followUp, id: 'f2' })), 'RSW_STORE_CONFLICT');
      assert.equal(second.params.constraint, 'qr_follow_ups_payment_key');
      await store.write((tx) => tx.updateQrFollowUp({ ...followUp, state: 'done', tries: 1, completedAtMs: baseAtMs + 2000 }));
      assert.equal((await store.getQrFollowUpOfPayment('pq'))?.state, 'done');
      assert.deepEqual(await store.listDueQrFollowUps(baseAtMs + 5000, 10), []);
    });

    withStore('optimistic update: only the writer that read the current version wins', async (store) => {
      await seedParents(store);
      const original = payment('p1', 'm1', { status: 'pending', version: 1 });
      await store.write((tx) => tx.insertPayment(original));
      assert.equal(await store.write((tx) => tx.updatePayment(original, { ...original, status: 'approved', responseCode: '00', updatedAtMs: baseAtMs + 5 })), true);
      const afterFirst = await store.getPayment('p1');
      assert.ok(afterFirst !== null);
      // Every changed field is written, the version is the next one, and nothing else moved.
      assert.deepEqual(afterFirst, { ...original, status: 'approved', responseCode: '00', updatedAtMs: baseAtMs + 5, version: 2 });
      assert.equal(await store.write((tx) => tx.updatePayment(original, { ...original, status: 'declined' })), false, 'a stale version changes nothing');
      assert.equal((await store.getPayment('p1'))?.status, 'approved');
      // Two writers that both read version 2: one wins.
      const both = await Promise.all([
        store.write((tx) => tx.updatePayment(afterFirst, { ...afterFirst, status: 'reversed' })),
        store.write((tx) => tx.updatePayment(afterFirst, { ...afterFirst, status: 'voided' })),
      ]);
      assert.deepEqual(both.filter(Boolean).length, 1);
      assert.equal((await store.getPayment('p1'))?.version, 3);
      assert.equal(await store.write((tx) => tx.updatePayment(payment('ghost', 'm1'), payment('ghost', 'm1', { status: 'declined' }))), false);
    });

    withStore('cached merchants, terminals and channels: a write through the store is read back at once, never a stale copy', async (store) => {
      await seedParents(store);
      const before = await store.getMerchant('m1');
      assert.ok(before !== null);
      assert.equal((await store.getMerchant('m1'))?.name, before.name, 'a second read (cached) is the same record');
      await store.write((tx) => tx.upsertMerchant({ ...before, name: 'Renamed', disabled: true, updatedAtMs: before.updatedAtMs + 1 }));
      assert.equal((await store.getMerchant('m1'))?.disabled, true);
      const terminal = await store.getTerminal('t1');
      assert.ok(terminal !== null);
      await store.write((tx) => tx.upsertTerminal({ ...terminal, state: 'disabled' }));
      assert.equal((await store.getTerminal('t1'))?.state, 'disabled');
      assert.equal(await store.write((tx) => tx.touchTerminal('t1', 1_900_000_000_000)), true);
      assert.equal((await store.getTerminal('t1'))?.lastSeenAtMs, 1_900_000_000_000);
      await store.write((tx) => tx.upsertChannel({ name: 'bank-z', host: 'h', port: 1, dialect: 'cups', timeoutMs: 1, priority: 1, disabled: false, draining: false, circuitOverride: null, definedBy: 'file', fileDefinition: null, createdAtMs: 1, updatedAtMs: 1 }));
      assert.equal((await store.getChannel('bank-z'))?.disabled, false);
      assert.equal((await store.getChannel('bank-z'))?.circuitOverride, null);
      const forced = { state: 'open' as const, note: 'bank maintenance', byUser: 'ops', atMs: 2, untilMs: 3_600_002 };
      await store.write((tx) => tx.upsertChannel({ name: 'bank-z', host: 'h', port: 1, dialect: 'cups', timeoutMs: 1, priority: 1, disabled: true, draining: true, circuitOverride: forced, definedBy: 'api', fileDefinition: null, createdAtMs: 1, updatedAtMs: 2 }));
      assert.equal((await store.getChannel('bank-z'))?.disabled, true);
      assert.equal((await store.getChannel('bank-z'))?.draining, true);
      assert.deepEqual((await store.getChannel('bank-z'))?.circuitOverride, forced);
      // A write that rolls back changes nothing, in the database or in the cache.
      await store.write(async (tx) => {
        await tx.upsertMerchant({ ...before, name: 'Never' });
        throw new Error('rolled back');
      }).catch(() => undefined);
      assert.equal((await store.getMerchant('m1'))?.name, 'Renamed');
    });

    withStore('nextStan is atomic under concurrency, per channel, zero-padded, and wraps after 999999', async (store) => {
      const drawn = await Promise.all(Array.from({ length: 120 }, () => store.write((tx) => tx.nextStan('bank-a'))));
      assert.deepEqual(
        [...drawn].sort(),
        Array.from({ length: 120 }, (_, n) => String(n + 1).padStart(6, '0')),
      );
      assert.equal(await store.write((tx) => tx.nextStan('bank-b')), '000001', 'each channel has its own counter');
      const wrapped = await store.write(async (tx) => {
        assert.ok(tx.setStanCounter !== undefined);
        await tx.setStanCounter('bank-a', 999_998);
        return [await tx.nextStan('bank-a'), await tx.nextStan('bank-a'), await tx.nextStan('bank-a')];
      });
      assert.deepEqual(wrapped, ['999999', '000001', '000002']);
      await expectCode(store.write((tx) => tx.setStanCounter?.('bank-a', 1_000_000) ?? Promise.resolve()), 'RSW_BAD_ARGUMENT');
    });

    withStore('listPayments: newest first, every filter, cursor pages without gaps or repeats', async (store) => {
      await seedParents(store);
      const pans = ['6222021234567890123', '4111111111111111', '5500005555555559'];
      const statuses = ['approved', 'declined', 'pending', 'reversed'] as const;
      const all: PaymentRecord[] = [];
      for (let n = 0; n < 57; n++) {
        const declined = statuses[n % 4] === 'declined';
        all.push(
          payment(`p${String(n).padStart(3, '0')}`, n % 3 === 0 ? 'm2' : 'm1', {
            // Several payments share a millisecond, so the id must break ties in the order.
            createdAtMs: baseAtMs + Math.floor(n / 3) * 1000,
            status: statuses[n % 4],
            terminalId: n % 3 === 0 ? 't3' : n % 2 === 0 ? 't1' : 't2',
            pan: pans[n % 3],
            rrn: `rrn${n % 5}`,
            intake: 'iso',
            terminalStan: String(n).padStart(6, '0'),
            terminalTransmittedAt: '1125000000',
            responseCode: declined ? '51' : '00',
            decline: declined
              ? { code: '51', category: 'insufficient_funds', party: 'cardholder', verdict: 'fix', waitSeconds: null, advice: { cashier: { zh: '', en: '' }, customer: { zh: '', en: '' } } }
              : null,
          }),
        );
      }
      await store.write(async (tx) => {
        for (const record of all) await tx.insertPayment(record);
      });
      const newestFirst = [...all].sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

      const collect = async (query: Omit<Parameters<Store['listPayments']>[0], 'limit' | 'cursor'>, limit: number): Promise<string[]> => {
        const ids: string[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 100; page++) {
          const result = await store.listPayments({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
          assert.ok(result.data.length <= limit);
          ids.push(...result.data.map((p) => p.id));
          if (result.nextCursor === null) return ids;
          cursor = result.nextCursor;
        }
        assert.fail('pagination did not end');
      };

      assert.deepEqual(await collect({}, 10), newestFirst.map((p) => p.id));
      assert.deepEqual(await collect({}, 57), newestFirst.map((p) => p.id));
      assert.deepEqual(await collect({}, 1), newestFirst.map((p) => p.id));
      const cases: Array<[Omit<Parameters<Store['listPayments']>[0], 'limit' | 'cursor'>, (p: PaymentRecord) => boolean]> = [
        [{ status: 'declined' }, (p) => p.status === 'declined'],
        [{ merchantId: 'm2' }, (p) => p.merchantId === 'm2'],
        [{ terminalId: 't1' }, (p) => p.terminalId === 't1'],
        [{ responseCode: '51' }, (p) => p.responseCode === '51'],
        [{ category: 'insufficient_funds' }, (p) => p.decline?.category === 'insufficient_funds'],
        [{ last4: '1111' }, (p) => p.panMasked.endsWith('1111')],
        [{ rrn: 'rrn2' }, (p) => p.rrn === 'rrn2'],
        [{ stan: '000042' }, (p) => p.terminalStan === '000042'],
        [{ fromMs: baseAtMs + 5000, toMs: baseAtMs + 12_000 }, (p) => p.createdAtMs >= baseAtMs + 5000 && p.createdAtMs < baseAtMs + 12_000],
        [{ merchantId: 'm1', status: 'approved', fromMs: baseAtMs + 3000 }, (p) => p.merchantId === 'm1' && p.status === 'approved' && p.createdAtMs >= baseAtMs + 3000],
      ];
      const checkEveryFilter = async (state: string): Promise<void> => {
        for (const [query, keep] of cases) {
          const expected = newestFirst.filter(keep).map((p) => p.id);
          assert.ok(expected.length > 0, `case ${JSON.stringify(query)} selects something`);
          assert.deepEqual(await collect(query, 4), expected, `${state}: ${JSON.stringify(query)}`);
        }
      };
      // Whatever the payment projector has reached (docs/projector.md, "The payment list"), a list is the same.
      await checkEveryFilter('nothing projected');
      const head = (await store.paymentJournalHead()).seq;
      assert.ok(head > 20, 'the final payments are journalled');
      const project = (afterSeq: number, throughSeq: number) =>
        store.write(async (tx) => {
          await tx.projectPaymentList(afterSeq, throughSeq);
          await tx.setProjectorCheckpoint(paymentProjectorName, throughSeq, baseAtMs);
        });
      await project(0, Math.floor(head / 2));
      await checkEveryFilter('half projected');
      await project(Math.floor(head / 2), head);
      await checkEveryFilter('all projected');

      // Payments created while a client pages never shift the pages it has not read yet.
      const first = await store.listPayments({ limit: 20 });
      await store.write(async (tx) => {
        for (let n = 0; n < 5; n++) await tx.insertPayment(payment(`new${n}`, 'm1', { createdAtMs: baseAtMs + 100_000 + n }));
      });
      const second = await store.listPayments({ limit: 100, cursor: first.nextCursor ?? undefined });
      assert.deepEqual([...first.data, ...second.data].map((p) => p.id), newestFirst.map((p) => p.id));

      await expectCode(store.listPayments({ limit: 10, cursor: 'not a cursor!' }), 'RSW_STORE_BAD_CURSOR');
      await expectCode(store.listPayments({ limit: 10, cursor: Buffer.from('x:y').toString('base64url') }), 'RSW_STORE_BAD_CURSOR');
      await expectCode(store.listPayments({ limit: 0 }), 'RSW_BAD_ARGUMENT');
    });

    withStore('the payment list: a row projected earlier never hides a later change, a repeated or older projection changes nothing, sums stay exact', async (store) => {
      await seedParents(store);
      const sale = payment('p-sale', 'm1', { status: 'approved', amountMinor: 700, terminalId: 't1', rrn: 'rrn-sale', createdAtMs: baseAtMs + 10 });
      const inFlight = payment('p-flight', 'm1', { status: 'pending', amountMinor: 300, terminalId: 't1', createdAtMs: baseAtMs + 20 });
      await store.write(async (tx) => {
        await tx.insertPayment(sale);
        await tx.insertPayment(inFlight);
      });
      const ids = async (query: Omit<Parameters<Store['listPayments']>[0], 'limit'>): Promise<string[]> => (await store.listPayments({ limit: 10, ...query })).data.map((p) => p.id);
      const sum = () => store.sumApprovedMinor({ merchantId: 'm1', terminalId: 't1' }, baseAtMs, baseAtMs + 100);
      const project = async (afterSeq: number, throughSeq: number) => {
        await store.write(async (tx) => {
          await tx.projectPaymentList(afterSeq, throughSeq);
          await tx.setProjectorCheckpoint(paymentProjectorName, throughSeq, baseAtMs);
        });
      };
      // The sale in flight (pending, never journalled) is listed though the projector cannot see it.
      assert.deepEqual(await ids({ status: 'pending' }), ['p-flight']);
      assert.deepEqual(await ids({ terminalId: 't1' }), ['p-flight', 'p-sale']);
      assert.equal(await sum(), 700);
      const firstSeq = (await store.paymentJournalHead()).seq;
      await project(0, firstSeq);
      assert.deepEqual(await ids({ rrn: 'rrn-sale' }), ['p-sale']);
      assert.equal(await sum(), 700);

      // The sale is reversed after it was projected: its list row is stale until the projector passes again.
      const stored = await store.getPayment('p-sale');
      assert.ok(stored !== null);
      await store.write(async (tx) => {
        assert.equal(await tx.updatePayment(stored, { ...stored, status: 'reversed', updatedAtMs: stored.updatedAtMs + 1, version: stored.version + 1 }), true);
      });
      assert.deepEqual(await ids({ status: 'approved' }), [], 'the stale row does not answer for the payment');
      assert.deepEqual(await ids({ status: 'reversed' }), ['p-sale']);
      assert.equal((await store.getPayment('p-sale'))?.status, 'reversed');
      assert.equal(await sum(), 0);
      const secondSeq = (await store.paymentJournalHead()).seq;
      assert.ok(secondSeq > firstSeq, 'the update took a new journal seq');
      await project(firstSeq, secondSeq);
      assert.deepEqual(await ids({ status: 'reversed' }), ['p-sale']);
      // A batch repeated after a crash, and an older range replayed, leave the newer row as it is.
      await project(firstSeq, secondSeq);
      await store.write((tx) => tx.projectPaymentList(0, secondSeq));
      assert.deepEqual(await ids({ status: 'approved' }), []);
      assert.deepEqual(await ids({ status: 'reversed' }), ['p-sale']);
      assert.deepEqual(await ids({ merchantId: 'm1' }), ['p-flight', 'p-sale']);
      assert.equal(await sum(), 0);
    });

    withStore("a limit's approved sum equals the payments' current approvals in the window, whatever the projector has seen, repeated or missed", async (store) => {
      await seedParents(store);
      // Approved, declined and in-flight payments of two merchants, on two terminals and none, inside and
      // at both edges of the window [baseAtMs, baseAtMs + 100).
      const seeds: PaymentRecord[] = [
        payment('a1', 'm1', { terminalId: 't1', amountMinor: 1_000, createdAtMs: baseAtMs }),
        payment('a2', 'm1', { terminalId: 't2', amountMinor: 2_000, createdAtMs: baseAtMs + 10 }),
        payment('a3', 'm1', { terminalId: null, amountMinor: 4_000, createdAtMs: baseAtMs + 20 }),
        payment('a4', 'm1', { terminalId: 't1', amountMinor: 8_000, createdAtMs: baseAtMs + 99 }),
        payment('edge', 'm1', { terminalId: 't1', amountMinor: 16_000, createdAtMs: baseAtMs + 100 }),
        payment('before', 'm1', { terminalId: 't1', amountMinor: 32_000, createdAtMs: baseAtMs - 1 }),
        payment('d1', 'm1', { terminalId: 't1', amountMinor: 64_000, status: 'declined', responseCode: '51', createdAtMs: baseAtMs + 30 }),
        payment('f1', 'm1', { terminalId: 't1', amountMinor: 128_000, status: 'pending', responseCode: null, authCode: null, createdAtMs: baseAtMs + 40, pan: '4111111111111111' }),
        payment('o1', 'm2', { terminalId: 't3', amountMinor: 256_000, createdAtMs: baseAtMs + 50 }),
      ];
      await store.write(async (tx) => {
        for (const seed of seeds) await tx.insertPayment(seed);
      });
      const scopes = [{ merchantId: 'm1' }, { merchantId: 'm1', terminalId: 't1' }, { merchantId: 'm1', terminalId: 't2' }, { merchantId: 'm2' }, { merchantId: 'm2', terminalId: 't1' }];
      const windows = [
        [baseAtMs, baseAtMs + 100],
        [baseAtMs, baseAtMs + 101],
        [baseAtMs - 1, baseAtMs + 100],
        [baseAtMs + 10, baseAtMs + 99],
      ] as const;
      /** Every scope and window: the store's sum against the payments as they are now. */
      const expectExact = async (stage: string): Promise<void> => {
        const now = await Promise.all(seeds.map((seed) => store.getPayment(seed.id)));
        for (const scope of scopes) {
          for (const [fromMs, toMs] of windows) {
            const expected = now
              .filter((p) => p !== null && p.status === 'approved' && p.merchantId === scope.merchantId && (scope.terminalId === undefined || p.terminalId === scope.terminalId))
              .filter((p) => p !== null && p.createdAtMs >= fromMs && p.createdAtMs < toMs)
              .reduce((sum, p) => sum + (p?.amountMinor ?? 0), 0);
            assert.equal(await store.sumApprovedMinor(scope, fromMs, toMs), expected, `${stage}: ${JSON.stringify(scope)} [${fromMs - baseAtMs}, ${toMs - baseAtMs})`);
          }
        }
      };
      const project = async (afterSeq: number, throughSeq: number): Promise<void> => {
        await store.write(async (tx) => {
          await tx.projectPaymentList(afterSeq, throughSeq);
          await tx.setProjectorCheckpoint(paymentProjectorName, throughSeq, baseAtMs);
        });
      };
      const change = async (id: string, fields: Partial<PaymentRecord>): Promise<void> => {
        const stored = await store.getPayment(id);
        assert.ok(stored !== null);
        await store.write(async (tx) => {
          assert.equal(await tx.updatePayment(stored, { ...stored, ...fields, updatedAtMs: stored.updatedAtMs + 1, version: stored.version + 1 }), true);
        });
      };
      await expectExact('nothing projected');
      const seqAfterSeeds = (await store.paymentJournalHead()).seq;
      await project(0, Math.floor(seqAfterSeeds / 2));
      await expectExact('half projected');
      await project(Math.floor(seqAfterSeeds / 2), seqAfterSeeds);
      await expectExact('all projected');

      // A projected approval voided and another reversed, the sale in flight approved: the projector behind.
      await change('a2', { status: 'voided' });
      await change('a4', { status: 'reversed' });
      await change('f1', { status: 'approved', responseCode: '00', authCode: 'A1B2C3' });
      await expectExact('changed after the checkpoint');
      const seqAfterChanges = (await store.paymentJournalHead()).seq;
      await project(seqAfterSeeds, seqAfterChanges - 1);
      await expectExact('changes half projected');
      await project(seqAfterChanges - 1, seqAfterChanges);
      await expectExact('changes projected');
      // A batch repeated after a crash, and an older range replayed by a slower node, change no sum.
      await project(seqAfterSeeds, seqAfterChanges);
      await store.write((tx) => tx.projectPaymentList(0, seqAfterChanges));
      await expectExact('repeated projections');
      // A change the projector has not seen over a row it has: the stale approved row counts nothing.
      await change('f1', { status: 'reversed' });
      await expectExact('projected approval reversed, not projected yet');
    });

    withStore('listPayments caps a page at 500 rows', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        for (let n = 0; n < 505; n++) await tx.insertPayment(payment(`p${n}`, 'm1', { createdAtMs: baseAtMs + n }));
      });
      const page = await store.listPayments({ limit: 10_000 });
      assert.equal(page.data.length, 500);
      assert.notEqual(page.nextCursor, null);
    });

    withStore('touchTerminal moves last seen forward only, for a known terminal, and changes nothing else', async (store) => {
      await seedParents(store);
      const before = await store.getTerminal('t1');
      assert.ok(before !== null);
      const results = await store.write(async (tx) => [
        await tx.touchTerminal('t1', baseAtMs + 500),
        await tx.touchTerminal('t1', baseAtMs + 400),
        await tx.touchTerminal('t1', baseAtMs + 500),
        await tx.touchTerminal('nope', baseAtMs + 500),
      ]);
      assert.deepEqual(results, [true, false, false, false], 'forward once; never back; unknown terminals are not created');
      assert.deepEqual(await store.getTerminal('t1'), { ...before, lastSeenAtMs: baseAtMs + 500 });
      assert.equal(await store.getTerminal('nope'), null);
    });

    withStore('manual handling: a flagged payment leaves the pending work list and joins the operators\' list, newest flag first', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('mh1', 'm1', { status: 'pending', createdAtMs: baseAtMs }));
        await tx.insertPayment(payment('mh2', 'm1', { status: 'pending', createdAtMs: baseAtMs + 1 }));
        await tx.insertPayment(payment('mh3', 'm1', { status: 'pending', createdAtMs: baseAtMs + 2 }));
        // A record built without the field (as before migration 0004) is stored unflagged.
        const { manualHandlingSinceMs: _omitted, ...legacy } = payment('mh4', 'm2', { status: 'approved', createdAtMs: baseAtMs + 3 });
        await tx.insertPayment(legacy);
      });
      assert.equal((await store.getPayment('mh4'))?.manualHandlingSinceMs ?? null, null);
      assert.deepEqual(await store.listManualHandlingPayments(10), []);
      await store.write(async (tx) => {
        for (const [id, sinceMs] of [['mh1', baseAtMs + 50], ['mh3', baseAtMs + 60], ['mh4', baseAtMs + 40]] as const) {
          const current = await tx.getPayment(id);
          assert.ok(current !== null);
          assert.equal(await tx.updatePayment(current, { ...current, manualHandlingSinceMs: sinceMs }), true);
        }
      });
      assert.equal((await store.getPayment('mh1'))?.manualHandlingSinceMs, baseAtMs + 50);
      assert.deepEqual((await store.listPendingPayments(baseAtMs + 100, 10)).map((p) => p.id), ['mh2']);
      // Flagged whatever the status (mh4 is approved: a terminal reversal of an approved sale that died), newest flag first.
      assert.deepEqual((await store.listManualHandlingPayments(10)).map((p) => p.id), ['mh3', 'mh1', 'mh4']);
      assert.deepEqual((await store.listManualHandlingPayments(2)).map((p) => p.id), ['mh3', 'mh1']);
      // An update that spreads the record keeps the flag.
      await store.write(async (tx) => {
        const current = await tx.getPayment('mh1');
        assert.ok(current !== null);
        assert.equal(await tx.updatePayment(current, { ...current, responseCode: '98' }), true);
      });
      assert.equal((await store.getPayment('mh1'))?.manualHandlingSinceMs, baseAtMs + 50);
      await expectCode(store.listManualHandlingPayments(0), 'RSW_BAD_ARGUMENT');
    });

    withStore('manual handling: a resolution is recorded once and takes the payment off the operators\' list', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('mr1', 'm1', { status: 'pending', createdAtMs: baseAtMs, manualHandlingSinceMs: baseAtMs + 10 }));
        await tx.insertPayment(payment('mr2', 'm1', { status: 'pending', createdAtMs: baseAtMs + 1, manualHandlingSinceMs: baseAtMs + 20 }));
      });
      assert.equal(await store.getManualResolution('mr1'), null);
      const resolution = { paymentId: 'mr1', outcome: 'charged' as const, note: 'bank hotline, ticket 4711: captured', actor: 'cli:ops', atMs: baseAtMs + 30 };
      await store.write((tx) => tx.insertManualResolution(resolution));
      assert.deepEqual(await store.getManualResolution('mr1'), resolution);
      assert.deepEqual((await store.listManualHandlingPayments(10)).map((p) => p.id), ['mr2'], 'a resolved payment leaves the list; its flag stays as history');
      assert.equal((await store.getPayment('mr1'))?.manualHandlingSinceMs, baseAtMs + 10);
      const second = await expectCode(store.write((tx) => tx.insertManualResolution({ ...resolution, outcome: 'not-charged', actor: 'key:other' })), 'RSW_STORE_CONFLICT');
      assert.equal(second.params.constraint, 'manual_resolutions_pkey');
      assert.deepEqual(await store.getManualResolution('mr1'), resolution, 'the first resolution stands');
      await expectCode(store.write((tx) => tx.insertManualResolution({ ...resolution, paymentId: 'nope' })), 'RSW_STORE_MISSING_REFERENCE');
    });

    withStore('pending work and approved sums read what the engine needs', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('p1', 'm1', { terminalId: 't1', amountMinor: 1000, createdAtMs: baseAtMs }));
        await tx.insertPayment(payment('p2', 'm1', { terminalId: 't2', amountMinor: 2000, createdAtMs: baseAtMs + 10 }));
        await tx.insertPayment(payment('p3', 'm1', { terminalId: 't1', amountMinor: 4000, status: 'declined', createdAtMs: baseAtMs + 20 }));
        await tx.insertPayment(payment('p4', 'm1', { terminalId: 't1', amountMinor: 8000, createdAtMs: baseAtMs + 100 }));
        await tx.insertPayment(payment('p5', 'm1', { status: 'pending', createdAtMs: baseAtMs + 30, pan: '4111111111111111' }));
        await tx.insertPayment(payment('p6', 'm1', { status: 'pending', createdAtMs: baseAtMs + 5, pan: '4111111111111111' }));
        await tx.insertPayment(payment('p7', 'm2', { status: 'pending', createdAtMs: baseAtMs + 500 }));
      });
      assert.equal(await store.sumApprovedMinor({ merchantId: 'm1' }, baseAtMs, baseAtMs + 100), 3000);
      assert.equal(await store.sumApprovedMinor({ merchantId: 'm1', terminalId: 't1' }, baseAtMs, baseAtMs + 101), 9000);
      assert.equal(await store.sumApprovedMinor({ merchantId: 'm2' }, baseAtMs, baseAtMs + 1000), 0);
      assert.deepEqual((await store.listPendingPayments(baseAtMs + 400, 10)).map((p) => p.id), ['p6', 'p5']);
      assert.deepEqual((await store.listPendingPayments(baseAtMs + 400, 1)).map((p) => p.id), ['p6']);
    });

    withStore('a payment keeps the id of its fingerprint key through updates; one written without it reads back without it', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('k1', 'm1', { panKeyId: 'pk_0123abcd' }));
        await tx.insertPayment(payment('k2', 'm1'));
      });
      const stored = await store.getPayment('k1');
      assert.equal(stored?.panKeyId, 'pk_0123abcd');
      assert.ok(stored !== null);
      assert.equal(await store.write((tx) => tx.updatePayment(stored, { ...stored, status: 'reversed', updatedAtMs: baseAtMs + 1 })), true);
      assert.equal((await store.getPayment('k1'))?.panKeyId, 'pk_0123abcd');
      assert.equal(Object.hasOwn((await store.getPayment('k2')) ?? {}, 'panKeyId'), false);
    });

    withStore('card declines: only upstream declines of that card, newest first, the newest kept under a limit', async (store) => {
      await seedParents(store);
      const pan = '4111111111111111';
      await store.write(async (tx) => {
        await tx.insertPayment(payment('d1', 'm1', { status: 'declined', amountMinor: 500, createdAtMs: baseAtMs, pan }));
        await tx.insertPayment(payment('d2', 'm2', { status: 'approved', amountMinor: 700, createdAtMs: baseAtMs + 10, pan }));
        await tx.insertPayment(payment('d3', 'm1', { status: 'declined', createdAtMs: baseAtMs + 20 }));
        await tx.insertAttempt(attempt('x1', 'd1', { stan: '000101', outcome: 'declined', responseCode: '51', createdAtMs: baseAtMs + 1 }));
        await tx.insertAttempt(attempt('x2', 'd1', { stan: '000102', seq: 2, outcome: 'declined', responseCode: '05', createdAtMs: baseAtMs + 2 }));
        await tx.insertAttempt(attempt('x3', 'd2', { stan: '000103', outcome: 'pending', createdAtMs: baseAtMs + 11 }));
        await tx.insertAttempt(attempt('x4', 'd2', { stan: '000104', seq: 2, outcome: 'approved', responseCode: '00', createdAtMs: baseAtMs + 12 }));
        // Another card's decline never shows up.
        await tx.insertAttempt(attempt('x5', 'd3', { stan: '000105', outcome: 'declined', responseCode: '51', createdAtMs: baseAtMs + 21 }));
      });
      const fingerprint = (await store.getPayment('d1'))?.panFingerprint ?? '';
      assert.deepEqual((await store.listCardDeclines(fingerprint, baseAtMs, 10)).map((a) => a.id), ['x2', 'x1']);
      // An attempt that becomes declined by an update is found too (the index follows the outcome).
      await store.write(async (tx) => {
        const x3 = (await tx.listAttempts('d2')).find((a) => a.id === 'x3');
        assert.ok(x3);
        await tx.updateAttempt({ ...x3, outcome: 'declined', responseCode: '91' });
      });
      const declines = await store.listCardDeclines(fingerprint, baseAtMs, 10);
      assert.deepEqual(declines.map((a) => a.id), ['x3', 'x2', 'x1']);
      assert.equal(declines[0]?.merchantId, 'm2');
      assert.equal(declines[0]?.amountMinor, 700);
      assert.equal(declines[0]?.responseCode, '91');
      assert.deepEqual((await store.listCardDeclines(fingerprint, baseAtMs, 2)).map((a) => a.id), ['x3', 'x2']);
      assert.deepEqual((await store.listCardDeclines(fingerprint, baseAtMs + 2, 10)).map((a) => a.id), ['x3', 'x2']);
    });

    withStore('merchant standing facts: the period\'s sales by entry mode and upstream outcome, and the declines of its cards from the history start', async (store) => {
      await seedParents(store);
      const visa = '4111111111111111';
      const mastercard = '5555555555554444';
      const from = baseAtMs + 1_000;
      const to = baseAtMs + 2_000;
      await store.write(async (tx) => {
        // In the period, merchant m1: a chip sale declined then approved, a fallback sale declined, a swipe sale approved,
        // a sale never sent (local decline: no attempt), a refund (not a sale), a sale whose only attempt was not sent.
        await tx.insertPayment(payment('s1', 'm1', { cardBrand: 'visa', entryMode: 'chip', createdAtMs: from, pan: visa }));
        await tx.insertAttempt(attempt('s1a', 's1', { stan: '000201', outcome: 'declined', responseCode: '51', createdAtMs: from + 1 }));
        await tx.insertAttempt(attempt('s1b', 's1', { stan: '000202', seq: 2, outcome: 'approved', responseCode: '00', createdAtMs: from + 2 }));
        await tx.insertPayment(payment('s2', 'm1', { cardBrand: 'mastercard', entryMode: 'fallback', status: 'declined', amountMinor: 800, createdAtMs: from + 10, pan: mastercard }));
        await tx.insertAttempt(attempt('s2a', 's2', { stan: '000203', outcome: 'declined', responseCode: '05', createdAtMs: from + 11 }));
        await tx.insertPayment(payment('s3', 'm1', { entryMode: 'swipe', createdAtMs: from + 20 }));
        await tx.insertAttempt(attempt('s3a', 's3', { stan: '000204', outcome: 'approved', responseCode: '00', createdAtMs: from + 21 }));
        await tx.insertPayment(payment('s4', 'm1', { entryMode: 'chip', status: 'declined', createdAtMs: from + 30 }));
        await tx.insertPayment(payment('s5', 'm1', { kind: 'refund', entryMode: 'chip', createdAtMs: from + 40 }));
        await tx.insertAttempt(attempt('s5a', 's5', { stan: '000205', outcome: 'declined', responseCode: '12', createdAtMs: from + 41 }));
        await tx.insertPayment(payment('s6', 'm1', { entryMode: 'chip', status: 'declined', createdAtMs: from + 50 }));
        await tx.insertAttempt(attempt('s6a', 's6', { stan: '000206', outcome: 'not_sent', createdAtMs: from + 51 }));
        // Before the period, inside the history: a Visa decline; before the history: another one.
        await tx.insertPayment(payment('h1', 'm1', { cardBrand: 'visa', status: 'declined', createdAtMs: from - 500, pan: visa }));
        await tx.insertAttempt(attempt('h1a', 'h1', { stan: '000207', outcome: 'declined', responseCode: '51', createdAtMs: from - 499 }));
        await tx.insertPayment(payment('h0', 'm1', { cardBrand: 'visa', status: 'declined', createdAtMs: from - 900, pan: visa }));
        await tx.insertAttempt(attempt('h0a', 'h0', { stan: '000208', outcome: 'declined', responseCode: '51', createdAtMs: from - 899 }));
        // After the period, and another merchant's decline: neither counts.
        await tx.insertPayment(payment('a1', 'm1', { cardBrand: 'visa', status: 'declined', createdAtMs: to, pan: visa }));
        await tx.insertAttempt(attempt('a1a', 'a1', { stan: '000209', outcome: 'declined', responseCode: '51', createdAtMs: to + 1 }));
        await tx.insertPayment(payment('o1', 'm2', { cardBrand: 'visa', status: 'declined', createdAtMs: from + 5, pan: visa }));
        await tx.insertAttempt(attempt('o1a', 'o1', { stan: '000210', outcome: 'declined', responseCode: '51', createdAtMs: from + 6 }));
      });
      const facts = await store.merchantStandingFacts('m1', from, to, from - 600);
      assert.deepEqual(facts.upstream, { attempted: 4, approved: 2, declined: 2 });
      assert.deepEqual(facts.entries, { chip: 3, fallback: 1, swipe: 1 });
      assert.equal(facts.truncated, false);
      const fingerprintOf = async (id: string) => (await store.getPayment(id))?.panFingerprint ?? '';
      assert.deepEqual(facts.declines, [
        { panFingerprint: await fingerprintOf('s5'), cardBrand: 'unionpay', amountMinor: 12_345, responseCode: '12', atMs: from + 41 },
        { panFingerprint: await fingerprintOf('s2'), cardBrand: 'mastercard', amountMinor: 800, responseCode: '05', atMs: from + 11 },
        { panFingerprint: await fingerprintOf('s1'), cardBrand: 'visa', amountMinor: 12_345, responseCode: '51', atMs: from + 1 },
        { panFingerprint: await fingerprintOf('h1'), cardBrand: 'visa', amountMinor: 12_345, responseCode: '51', atMs: from - 499 },
      ]);
      const empty = await store.merchantStandingFacts('m2', to, to + 1_000, to);
      assert.deepEqual(empty, { upstream: { attempted: 0, approved: 0, declined: 0 }, entries: {}, declines: [], truncated: false });
    });

    withStore('re-swipe candidates: same card, amount, currency, kind and terminal (or merchant without one), newest first', async (store) => {
      await seedParents(store);
      const pan = '4111111111111111';
      await store.write(async (tx) => {
        await tx.insertPayment(payment('r1', 'm1', { terminalId: 't1', createdAtMs: baseAtMs, pan }));
        await tx.insertPayment(payment('r2', 'm1', { terminalId: 't1', status: 'pending', createdAtMs: baseAtMs + 10, updatedAtMs: baseAtMs + 12, pan }));
        await tx.insertPayment(payment('r3', 'm1', { terminalId: 't1', createdAtMs: baseAtMs + 20, pan }));
        // Each differs from the sale in one term only, so none is a candidate.
        await tx.insertPayment(payment('x-card', 'm1', { terminalId: 't1', createdAtMs: baseAtMs + 15 }));
        await tx.insertPayment(payment('x-amount', 'm1', { terminalId: 't1', amountMinor: 99, createdAtMs: baseAtMs + 15, pan }));
        await tx.insertPayment(payment('x-currency', 'm1', { terminalId: 't1', currency: 'USD', createdAtMs: baseAtMs + 15, pan }));
        await tx.insertPayment(payment('x-kind', 'm1', { terminalId: 't1', kind: 'preauth', createdAtMs: baseAtMs + 15, pan }));
        await tx.insertPayment(payment('x-terminal', 'm1', { terminalId: 't2', createdAtMs: baseAtMs + 15, pan }));
        await tx.insertPayment(payment('x-no-terminal', 'm1', { createdAtMs: baseAtMs + 15, pan }));
        await tx.insertPayment(payment('n1', 'm1', { createdAtMs: baseAtMs + 16, pan }));
        await tx.insertPayment(payment('x-merchant', 'm2', { createdAtMs: baseAtMs + 17, pan }));
      });
      const r1 = await store.getPayment('r1');
      assert.ok(r1 !== null);
      const sale = { panFingerprint: r1.panFingerprint, amountMinor: r1.amountMinor, currency: r1.currency, kind: r1.kind, merchantId: 'm1', terminalId: 't1' };
      assert.deepEqual((await store.findReswipeCandidates(sale, baseAtMs, 10)).map((p) => p.id), ['r3', 'r2', 'r1']);
      assert.deepEqual((await store.findReswipeCandidates(sale, baseAtMs + 10, 10)).map((p) => p.id), ['r3', 'r2']);
      assert.deepEqual((await store.findReswipeCandidates(sale, baseAtMs, 2)).map((p) => p.id), ['r3', 'r2'], 'a limit keeps the newest');
      assert.deepEqual(await store.findReswipeCandidates(sale, baseAtMs + 21, 10), []);
      // Without a terminal, the twins are the merchant's sales without one.
      const noTerminal = await store.findReswipeCandidates({ ...sale, terminalId: null }, baseAtMs, 10);
      assert.deepEqual(noTerminal.map((p) => p.id), ['n1', 'x-no-terminal']);
      // The summary carries what the guard compares, as stored.
      const r2 = await store.getPayment('r2');
      assert.deepEqual((await store.findReswipeCandidates(sale, baseAtMs + 10, 10))[1], {
        id: 'r2', kind: r2?.kind, status: 'pending', merchantId: 'm1', terminalId: 't1', amountMinor: r2?.amountMinor, currency: r2?.currency, createdAtMs: baseAtMs + 10, updatedAtMs: r2?.updatedAtMs,
      });
    });

    withStore('due reversals come oldest-due first, and the queue stats count them', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('p1', 'm1'));
        const plan: Array<[string, number, 'pending' | 'done' | 'dead', number]> = [
          ['r1', 300, 'pending', 5],
          ['r2', 100, 'pending', 7],
          ['r3', 200, 'done', 1],
          ['r4', 100, 'pending', 3],
          ['r5', 900, 'pending', 2],
          ['r6', 50, 'dead', 4],
        ];
        let n = 0;
        for (const [id, nextInMs, state, createdInMs] of plan) {
          n += 1;
          await tx.insertAttempt(attempt(`a${id}`, 'p1', { seq: n, stan: String(n).padStart(6, '0') }));
          await tx.insertReversal(reversal(id, `a${id}`, 'p1', { nextAtMs: baseAtMs + nextInMs, state, createdAtMs: baseAtMs + createdInMs }));
        }
      });
      assert.deepEqual((await store.listDueReversals(baseAtMs + 300, 10)).map((r) => r.id), ['r4', 'r2', 'r1']);
      assert.deepEqual((await store.listDueReversals(baseAtMs + 300, 2)).map((r) => r.id), ['r4', 'r2']);
      assert.deepEqual(await store.listDueReversals(baseAtMs + 99, 10), []);
      assert.deepEqual(await store.reversalQueueStats(), { pending: 4, dead: 1, oldestPendingCreatedAtMs: baseAtMs + 2 });
    });

    withStore('an empty reversal queue reports zeros', async (store) => {
      assert.deepEqual(await store.reversalQueueStats(), { pending: 0, dead: 0, oldestPendingCreatedAtMs: null });
    });

    withStore('events: seq increases monotonically, pages by seq, filters by type', async (store) => {
      assert.equal(await store.latestEventSeq(), 0);
      const seqs = await Promise.all(
        Array.from({ length: 30 }, (_, n) => store.write((tx) => tx.appendEvent({ type: n % 3 === 0 ? 'payment.approved' : 'payment.declined', subjectId: `p${n}`, payload: { n }, atMs: baseAtMs + n }))),
      );
      assert.equal(new Set(seqs).size, 30);
      const seen: number[] = [];
      let after = 0;
      for (let page = 0; page < 10; page++) {
        const events = await store.listEvents(after, 7);
        if (events.length === 0) break;
        seen.push(...events.map((e) => e.seq));
        after = events[events.length - 1]?.seq ?? after;
      }
      assert.deepEqual(seen, [...seqs].sort((a, b) => a - b));
      for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) > (seen[i - 1] as number));
      // Events were submitted in order n = 0..29 and commit in that order.
      const byN = (await store.listEvents(0, 100)).map((e) => e.payload.n);
      assert.deepEqual(byN, Array.from({ length: 30 }, (_, n) => n));
      const approved = await store.listEvents(0, 100, 'payment.approved');
      assert.equal(approved.length, 10);
      assert.ok(approved.every((e) => e.type === 'payment.approved'));
      const later = await store.write((tx) => tx.appendEvent({ type: 'x', subjectId: null, payload: {}, atMs: baseAtMs }));
      assert.ok(later > Math.max(...seqs));
      // Where a new reader of the stream starts (the webhook fan-out, the alert evaluator): one read, not a walk.
      assert.equal(await store.latestEventSeq(), later);
    });

    withStore('group commit: 200 concurrent units share far fewer commits and are all durable', async (store) => {
      await seedParents(store);
      const before = store.stats?.() ?? { commits: 0, units: 0 };
      const units = 200;
      await Promise.all(
        Array.from({ length: units }, (_, n) =>
          store.write(async (tx) => {
            await tx.insertPayment(payment(`g${n}`, 'm1', { createdAtMs: baseAtMs + n }));
            await tx.appendEvent({ type: 'payment.created', subjectId: `g${n}`, payload: {}, atMs: baseAtMs + n });
          }),
        ),
      );
      const after = store.stats?.();
      assert.ok(after !== undefined, 'the adapter exposes stats()');
      const commits = after.commits - before.commits;
      assert.equal(after.units - before.units, units);
      assert.ok(commits >= 1 && commits <= units / 10, `${units} units took ${commits} commits`);
      const page = await store.listPayments({ limit: 500, merchantId: 'm1' });
      assert.equal(page.data.length, units);
    });

    withStore('audit log: newest first, filtered by action, actor and time, paged by a keyset cursor; client address and request id round-trip', async (store) => {
      const records = [
        audit('a1', { action: 'payment.refund', actor: 'key:k1', atMs: baseAtMs + 1, clientAddress: '10.0.0.7', requestId: 'req-1' }),
        audit('a2', { action: 'payment.void', actor: 'key:k1', atMs: baseAtMs + 2 }),
        audit('a3', { action: 'payment.refund', actor: 'key:k2', atMs: baseAtMs + 2 }),
        audit('a4', { action: 'merchant.update', actor: 'cli', atMs: baseAtMs + 3 }),
      ];
      await store.write(async (tx) => {
        for (const record of records) await tx.appendAudit(record);
      });
      const ids = (list: readonly { id: string }[]) => list.map((record) => record.id);
      assert.deepEqual(ids(await store.listAudit({ limit: 10 })), ['a4', 'a3', 'a2', 'a1']);
      assert.deepEqual((await store.listAudit({ limit: 10, action: 'payment.refund' })).at(-1), records[0]);
      assert.deepEqual(ids(await store.listAudit({ limit: 10, action: 'payment.refund' })), ['a3', 'a1']);
      assert.deepEqual(ids(await store.listAudit({ limit: 10, actor: 'key:k1' })), ['a2', 'a1']);
      assert.deepEqual(ids(await store.listAudit({ limit: 10, fromMs: baseAtMs + 2, toMs: baseAtMs + 3 })), ['a3', 'a2']);
      // Two records at the same instant: the cursor's id breaks the tie, so nothing is skipped or repeated.
      const first = await store.listAudit({ limit: 2 });
      assert.deepEqual(ids(first), ['a4', 'a3']);
      const last = first.at(-1);
      assert.ok(last !== undefined);
      assert.deepEqual(ids(await store.listAudit({ limit: 2, before: { atMs: last.atMs, id: last.id } })), ['a2', 'a1']);
    });

    withStore('api keys: last-used moves forward only, and unknown ids are ignored', async (store) => {
      await store.write((tx) => tx.insertApiKey(apiKey('k1')));
      await store.write((tx) => tx.touchApiKey('k1', baseAtMs + 10));
      await store.write((tx) => tx.touchApiKey('k1', baseAtMs + 5));
      await store.write((tx) => tx.touchApiKey('nope', baseAtMs + 20));
      assert.equal((await store.findApiKeyByHash('sha256:k1'))?.lastUsedAtMs, baseAtMs + 10);
      assert.equal((await store.listApiKeys()).length, 1);
    });

    withStore('group commit: a unit that throws rolls back alone; its batch-mates commit', async (store) => {
      await seedParents(store);
      const before = store.stats?.() ?? { commits: 0, units: 0 };
      const boom = new Error('unit 7 fails after writing');
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, n) =>
          store.write(async (tx) => {
            await tx.insertPayment(payment(`u${n}`, 'm1'));
            await tx.appendAudit(audit(`au${n}`));
            if (n === 7) throw boom;
            return n;
          }),
        ),
      );
      results.forEach((result, n) => {
        if (n === 7) assert.deepEqual(result, { status: 'rejected', reason: boom });
        else assert.deepEqual(result, { status: 'fulfilled', value: n });
      });
      assert.equal((store.stats?.().commits ?? 0) - before.commits, 1, 'all twenty shared one commit');
      assert.equal(await store.getPayment('u7'), null);
      assert.equal((await store.listAudit({ limit: 100 })).length, 19);
      assert.notEqual(await store.getPayment('u6'), null);
      assert.notEqual(await store.getPayment('u8'), null);
    });

    withStore('a unit that swallows a store error still rolls back, and its caller gets that error', async (store) => {
      await seedParents(store);
      await store.write((tx) => tx.insertPayment(payment('p1', 'm1')));
      const neighbour = store.write((tx) => tx.insertPayment(payment('p2', 'm1')));
      const swallowing = store.write(async (tx) => {
        await tx.appendAudit(audit('half-done'));
        await tx.insertPayment(payment('p1', 'm1')).catch(() => undefined);
        return 'pretends to succeed';
      });
      await expectCode(swallowing, 'RSW_STORE_CONFLICT');
      await neighbour;
      assert.deepEqual(await store.listAudit({ limit: 10 }), []);
      assert.notEqual(await store.getPayment('p2'), null);
      // After a failed statement the unit may not carry on: on PostgreSQL the transaction would be aborted.
      const carryingOn = store.write(async (tx) => {
        await tx.insertPayment(payment('p1', 'm1')).catch(() => undefined);
        await tx.appendAudit(audit('after-failure'));
      });
      assert.match(String(await rejection(carryingOn)), /already failed/);
    });

    withStore('reads outside a unit never see a batch that has not committed', async (store) => {
      await seedParents(store);
      let seenInside: unknown = 'unset';
      let seenOutside: unknown = 'unset';
      await store.write(async (tx) => {
        await tx.insertPayment(payment('p1', 'm1'));
        seenInside = (await tx.getPayment('p1'))?.id;
        seenOutside = await store.getPayment('p1');
      });
      assert.equal(seenInside, 'p1', 'a unit reads its own writes');
      assert.equal(seenOutside, null, 'other readers see only committed data');
      assert.notEqual(await store.getPayment('p1'), null);
    });

    withStore('misuse fails loudly: nested writes and a tx used after its unit', async (store) => {
      await seedParents(store);
      const nested = store.write(async () => store.write(async () => 1));
      assert.match(String(await rejection(nested)), /inside a unit/);
      let leaked: Parameters<Parameters<Store['write']>[0]>[0] | undefined;
      await store.write(async (tx) => {
        leaked = tx;
      });
      assert.ok(leaked !== undefined);
      assert.match(String(await rejection(leaked.getPayment('p1'))), /after its unit ended/);
    });

    withStore('lockPaymentForUpdate reads the payment as getPayment does (its own unit\'s writes included), null when unknown', async (store) => {
      await seedParents(store);
      await store.write((tx) => tx.insertPayment(payment('sale1', 'm1')));
      const read = await store.write(async (tx) => {
        const locked = await tx.lockPaymentForUpdate('sale1');
        assert.ok(locked !== null);
        await tx.updatePayment(locked, { ...locked, status: 'voided' });
        return { locked, again: await tx.lockPaymentForUpdate('sale1'), missing: await tx.lockPaymentForUpdate('nope') };
      });
      assert.deepEqual(read.locked, payment('sale1', 'm1'));
      assert.deepEqual(read.again, { ...payment('sale1', 'm1'), status: 'voided', version: 2 });
      assert.equal(read.missing, null);
      assert.deepEqual(await store.getPayment('sale1'), read.again);
    });

    withStore('transaction set reads: follow-ups of an original, pending refund advices, the last event of a subject', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('sale1', 'm1'));
        await tx.insertPayment(payment('ref1', 'm1', { kind: 'refund', originalPaymentId: 'sale1', createdAtMs: baseAtMs + 1 }));
        await tx.insertPayment(payment('ref2', 'm1', { kind: 'refund', originalPaymentId: 'sale1', createdAtMs: baseAtMs + 2 }));
        await tx.insertPayment(payment('other', 'm1'));
        await tx.insertAttempt(attempt('adv1', 'ref1', { mti: '0220', stan: '000101', outcome: 'pending', createdAtMs: baseAtMs + 1 }));
        await tx.insertAttempt(attempt('adv2', 'ref2', { mti: '0220', stan: '000102', outcome: 'approved', createdAtMs: baseAtMs + 2 }));
        await tx.insertAttempt(attempt('sale1a', 'sale1', { mti: '0200', stan: '000103', outcome: 'pending' }));
        await tx.appendEvent({ type: 'batch.settled', subjectId: 't1', payload: { batchNo: '000001' }, atMs: baseAtMs });
        await tx.appendEvent({ type: 'batch.settled', subjectId: 't1', payload: { batchNo: '000002' }, atMs: baseAtMs + 5 });
        await tx.appendEvent({ type: 'batch.settled', subjectId: 't2', payload: { batchNo: '000009' }, atMs: baseAtMs + 6 });
      });
      assert.deepEqual((await store.listFollowUps('sale1')).map((p) => p.id), ['ref1', 'ref2']);
      assert.deepEqual(await store.listFollowUps('other'), []);
      assert.deepEqual((await store.listPendingAdvices(10)).map((a) => a.id), ['adv1']);
      await store.write(async (tx) => {
        await tx.insertPayment(payment('hold1', 'm1', { kind: 'preauth', status: 'approved', createdAtMs: baseAtMs - 10 }));
        await tx.insertPayment(payment('hold2', 'm1', { kind: 'preauth', status: 'approved', createdAtMs: baseAtMs + 10 }));
        await tx.insertPayment(payment('hold3', 'm1', { kind: 'preauth', status: 'voided', createdAtMs: baseAtMs - 10 }));
      });
      assert.deepEqual((await store.listExpiredHolds(baseAtMs, 10)).map((p) => p.id), ['hold1']);
      assert.deepEqual((await store.lastEventOf('batch.settled', 't1'))?.payload, { batchNo: '000002' });
      assert.equal(await store.lastEventOf('batch.settled', 't3'), null);
    });

    withStore('set-based projector writes: fee lines only where absent, events in the order given, subjects with an event; more rows than one statement may bind', async (store) => {
      await seedParents(store);
      // More parameters than one statement may bind on either database (SQLite 32,766 in this build, PostgreSQL 65,535).
      const lineCount = 5_600; // 12 columns a line
      const ids = Array.from({ length: lineCount }, (_, i) => `bulk${String(i).padStart(5, '0')}`);
      await store.write(async (tx) => {
        for (const id of ids) await tx.insertPayment(payment(id, 'm1'));
        // Two lines are there already (written inline, or by a batch that committed): they must stay as they are.
        await tx.insertFeeLine(feeLine(`fee_${ids[7]}`, ids[7] ?? '', 'm1', { feeMinor: 7 }));
        await tx.insertFeeLine(feeLine(`fee_${ids[lineCount - 1]}`, ids[lineCount - 1] ?? '', 'm1', { feeMinor: 9 }));
      });
      const lines = ids.map((id) => feeLine(`fee_${id}`, id, 'm1', { feeMinor: 1 }));
      assert.equal(await store.write((tx) => tx.insertFeeLinesIfAbsent(lines)), lineCount - 2);
      assert.equal(await store.write((tx) => tx.insertFeeLinesIfAbsent(lines)), 0, 'a repeated batch writes nothing');
      const stored = await store.listFeeLines({ merchantId: 'm1' });
      assert.equal(stored.length, lineCount);
      assert.equal(stored.reduce((sum, line) => sum + line.feeMinor, 0), lineCount - 2 + 7 + 9);

      const eventCount = 14_000; // 5 columns an event
      const events = Array.from({ length: eventCount }, (_, i) => ({ type: 'payment.completed', subjectId: `s${i}`, payload: { i }, atMs: baseAtMs + i }));
      await store.write(async (tx) => {
        await tx.appendEvent({ type: 'payment.completed', subjectId: 'before', payload: {}, atMs: baseAtMs });
        await tx.appendEvents(events);
        await tx.appendEvents([]);
      });
      const appended: Awaited<ReturnType<Store['listEvents']>> = [];
      for (let page = await store.listEvents(0, 1000, 'payment.completed'); page.length > 0; page = await store.listEvents(page[page.length - 1]?.seq ?? 0, 1000, 'payment.completed')) appended.push(...page);
      assert.deepEqual(appended.map((event) => event.subjectId), ['before', ...events.map((event) => event.subjectId)], 'seqs follow the order given');
      assert.deepEqual(appended[eventCount]?.payload, { i: eventCount - 1 });

      // 70,000 ids: more than one statement may bind on either database.
      const asked = [...Array.from({ length: 70_000 }, (_, i) => `s${i}`), 'before', 't1'];
      const found = await store.subjectsWithEvent('payment.completed', asked);
      assert.equal(found.size, eventCount + 1);
      assert.ok(found.has('s0') && found.has(`s${eventCount - 1}`) && found.has('before') && !found.has(`s${eventCount}`) && !found.has('t1'));
      await store.write((tx) => tx.appendEvent({ type: 'batch.settled', subjectId: 't1', payload: {}, atMs: baseAtMs }));
      assert.equal((await store.subjectsWithEvent('payment.completed', ['t1'])).size, 0, 'another type of event does not count');
      assert.equal((await store.subjectsWithEvent('payment.completed', [])).size, 0);
    });

    withStore('terminal keys: upsert and read back sealed keys; working keys set only under the same TMK version; unknown terminal refused', async (store) => {
      await seedParents(store);
      const record: TerminalKeyRecord = {
        terminalId: 't1',
        algorithm: 'sm4',
        tmkSealed: 'v1.sealed-tmk',
        tmkCheckValue: '1A2B3C4D',
        tmkSource: 'components',
        tmkVersion: 1,
        workingKeys: null,
        createdAtMs: baseAtMs,
        updatedAtMs: baseAtMs,
      };
      await store.write((tx) => tx.upsertTerminalKeys(record));
      assert.deepEqual(await store.getTerminalKeys('t1'), record);
      assert.equal(await store.getTerminalKeys('t2'), null);
      const keys = { pinSealed: 'v1.pin', pinCheckValue: '11223344', macSealed: 'v1.mac', macCheckValue: '55667788', dataSealed: null, dataCheckValue: null, issuedAtMs: baseAtMs + 5 };
      assert.equal(await store.write((tx) => tx.setTerminalWorkingKeys('t1', 2, keys, baseAtMs + 5)), false, 'another TMK version: nothing changes');
      assert.equal((await store.getTerminalKeys('t1'))?.workingKeys, null);
      assert.equal(await store.write((tx) => tx.setTerminalWorkingKeys('t1', 1, keys, baseAtMs + 5)), true);
      assert.deepEqual(await store.getTerminalKeys('t1'), { ...record, workingKeys: keys, updatedAtMs: baseAtMs + 5 });
      const withData = { ...keys, dataSealed: 'v1.data', dataCheckValue: '99AABBCC', issuedAtMs: baseAtMs + 6 };
      await store.write((tx) => tx.setTerminalWorkingKeys('t1', 1, withData, baseAtMs + 6));
      assert.deepEqual((await store.getTerminalKeys('t1'))?.workingKeys, withData);
      const rotated: TerminalKeyRecord = { ...record, algorithm: '3des', tmkSealed: 'v1.other', tmkCheckValue: 'ABCDEF', tmkSource: 'generated', tmkVersion: 2, workingKeys: null, updatedAtMs: baseAtMs + 7 };
      await store.write((tx) => tx.upsertTerminalKeys(rotated));
      assert.deepEqual(await store.getTerminalKeys('t1'), rotated);
      assert.equal(await store.write((tx) => tx.setTerminalWorkingKeys('t9', 1, keys, baseAtMs)), false);
      await store.write((tx) => tx.upsertTerminalKeys({ ...record, terminalId: 't3' }));
      assert.deepEqual((await store.listTerminalKeys()).map((k) => k.terminalId), ['t1', 't3']);
      await expectCode(store.write((tx) => tx.upsertTerminalKeys({ ...record, terminalId: 'no-such-terminal' })), 'RSW_STORE_MISSING_REFERENCE');
    });

    withStore('fee plans: stored and read back whole with version and provenance; a change is announced, rolled back changes are not', async (store) => {
      const heard: ConfigChange[] = [];
      const stop = store.onConfigChange?.((change) => heard.push(change)) ?? (() => undefined);
      try {
        const shop: FeePlanRecord = {
          name: 'shop',
          document: { name: 'shop', refundPolicy: 'pro_rata', methods: { credit: { rateBps: 45 }, debit: { rateBps: 40, capMinor: 2000 } } },
          version: 1,
          definedBy: 'file',
          fileDocument: { name: 'shop', methods: { credit: { rateBps: 45 } } },
          changedBy: 'file:plans.json',
          changedAtMs: baseAtMs,
        };
        await store.write((tx) => tx.upsertFeePlan(shop));
        assert.deepEqual(await store.getFeePlanRecord('shop'), shop);
        const changed: FeePlanRecord = { ...shop, document: { name: 'shop', methods: { credit: { rateBps: 39 } } }, version: 2, definedBy: 'api', changedBy: 'api:user:ops', changedAtMs: baseAtMs + 1 };
        await store.write((tx) => tx.upsertFeePlan(changed));
        await store.write((tx) => tx.upsertFeePlan({ ...shop, name: 'gold', fileDocument: null }));
        assert.deepEqual(await store.listFeePlanRecords(), [{ ...shop, name: 'gold', fileDocument: null }, changed]);
        assert.equal(await store.getFeePlanRecord('none'), null);
        await store
          .write(async (tx) => {
            await tx.upsertFeePlan({ ...changed, name: 'never' });
            throw new Error('rolled back');
          })
          .catch(() => undefined);
        assert.equal(await store.getFeePlanRecord('never'), null);
        // Heard once durable (on PostgreSQL again through its own LISTEN): each committed plan, never the rolled-back one.
        const plansHeard = new Set(heard.flatMap((change) => (change.kind === 'fee_plan' ? [change.id] : [])));
        assert.deepEqual([...plansHeard].sort(), ['gold', 'shop']);
      } finally {
        stop();
      }
    });

    withStore('a terminal key change is announced: a new master key, and a sign-on', async (store) => {
      await seedParents(store);
      const heard: ConfigChange[] = [];
      const stop = store.onConfigChange?.((change) => heard.push(change)) ?? (() => undefined);
      try {
        const record: TerminalKeyRecord = { terminalId: 't1', algorithm: 'sm4', tmkSealed: 'v1.tmk', tmkCheckValue: '1A2B3C4D', tmkSource: 'components', tmkVersion: 1, workingKeys: null, createdAtMs: baseAtMs, updatedAtMs: baseAtMs };
        const keysOfT1Heard = (): number => heard.filter((change) => change.kind === 'terminal_keys' && change.id === 't1').length;
        await store.write((tx) => tx.upsertTerminalKeys(record));
        assert.ok(keysOfT1Heard() >= 1, 'a new master key is heard once durable');
        heard.length = 0;
        const keys = { pinSealed: 'v1.pin', pinCheckValue: '11223344', macSealed: 'v1.mac', macCheckValue: '55667788', dataSealed: null, dataCheckValue: null, issuedAtMs: baseAtMs + 5 };
        assert.equal(await store.write((tx) => tx.setTerminalWorkingKeys('t1', 1, keys, baseAtMs + 5)), true);
        assert.ok(keysOfT1Heard() >= 1, 'a sign-on is heard once durable');
      } finally {
        stop();
      }
    });

    withStore("a channel's provenance round-trips: defined by the file or the API, with the file's definition last seeded", async (store) => {
      const definition = { name: 'bank-a', host: '10.0.0.1', port: 9100, dialect: 'cups', timeoutMs: 8000, priority: 2, disabled: false };
      await store.write((tx) => tx.upsertChannel(channel('bank-a', { definedBy: 'api', fileDefinition: definition, priority: 9 })));
      const read = await store.getChannel('bank-a');
      assert.equal(read?.definedBy, 'api');
      assert.deepEqual(read?.fileDefinition, definition);
      assert.deepEqual((await store.listChannels())[0]?.fileDefinition, definition);
    });

    withStore('payout accounts: stored and read back whole; a second set replaces the first', async (store) => {
      await seedParents(store);
      await store.write((tx) => tx.upsertPayoutAccount(payoutAccount('m1')));
      assert.deepEqual(await store.getPayoutAccount('m1'), payoutAccount('m1'));
      const changed = payoutAccount('m1', { accountName: '新户名', accountNumberMasked: '****0001', updatedAtMs: baseAtMs + 5 });
      await store.write((tx) => tx.upsertPayoutAccount(changed));
      assert.deepEqual(await store.getPayoutAccount('m1'), changed);
      assert.equal(await store.getPayoutAccount('m2'), null);
      await expectCode(store.write((tx) => tx.upsertPayoutAccount(payoutAccount('nobody'))), 'RSW_STORE_MISSING_REFERENCE');
    });

    withStore('payouts: a batch has at most one live payout; after a failure a new attempt may be made', async (store) => {
      await seedParents(store);
      const batch = settlementBatch('stl_m1_2026-11-25', 'm1');
      await store.write((tx) => tx.upsertSettlementBatch(batch));
      const first = payoutRecord(batch.id, 'm1', 1);
      await store.write((tx) => tx.insertPayout(first));
      assert.deepEqual(await store.getPayout(first.id), first);
      // A second live payout of the same batch (another node, a retried command) is refused by the database.
      const twin = await expectCode(store.write((tx) => tx.insertPayout(payoutRecord(batch.id, 'm1', 2))), 'RSW_STORE_CONFLICT');
      assert.equal(twin.params.constraint, 'payouts_live_batch_key');
      await expectCode(store.write((tx) => tx.insertPayout(first)), 'RSW_STORE_CONFLICT');
      // Sent, then failed: the batch may be paid by a new attempt; attempts stay unique.
      const sent = { ...first, state: 'sent' as const, fileId: 'pf_1', sentAtMs: baseAtMs + 1, version: 2 };
      assert.equal(await store.write((tx) => tx.updatePayout(first, sent)), true);
      const failed = { ...sent, state: 'failed' as const, reasonCode: 'account_name_mismatch', reasonText: '账户名不符', answeredAtMs: baseAtMs + 2, version: 3 };
      assert.equal(await store.write((tx) => tx.updatePayout(sent, failed)), true);
      assert.deepEqual(await store.getPayout(first.id), failed);
      const second = payoutRecord(batch.id, 'm1', 2);
      await store.write((tx) => tx.insertPayout(second));
      const again = await expectCode(store.write((tx) => tx.insertPayout(payoutRecord(batch.id, 'm1', 2, { id: 'po_other' }))), 'RSW_STORE_CONFLICT');
      assert.ok(['payouts_live_batch_key', 'payouts_batch_attempt_key'].includes(String(again.params.constraint)));
      await expectCode(store.write((tx) => tx.insertPayout(payoutRecord('stl_missing', 'm1'))), 'RSW_STORE_MISSING_REFERENCE');
    });

    withStore('payouts: updates are compare-and-set on the version; a stale writer changes nothing', async (store) => {
      await seedParents(store);
      await store.write((tx) => tx.upsertSettlementBatch(settlementBatch('stl_m1_2026-11-25', 'm1')));
      const pending = payoutRecord('stl_m1_2026-11-25', 'm1');
      await store.write((tx) => tx.insertPayout(pending));
      const sentByA = { ...pending, state: 'sent' as const, fileId: 'pf_a', sentAtMs: baseAtMs + 1 };
      const sentByB = { ...pending, state: 'sent' as const, fileId: 'pf_b', sentAtMs: baseAtMs + 2 };
      assert.equal(await store.write((tx) => tx.updatePayout(pending, sentByA)), true);
      assert.equal(await store.write((tx) => tx.updatePayout(pending, sentByB)), false);
      const stored = await store.getPayout(pending.id);
      assert.equal(stored?.fileId, 'pf_a');
      assert.equal(stored?.version, 2);
    });

    withStore('payouts: listed by merchant, batch, state, file and business dates', async (store) => {
      await seedParents(store);
      await store.write(async (tx) => {
        for (const [merchantId, date] of [['m1', '2026-11-24'], ['m1', '2026-11-25'], ['m2', '2026-11-25']] as const) {
          const batchId = `stl_${merchantId}_${date}`;
          await tx.upsertSettlementBatch(settlementBatch(batchId, merchantId, { businessDate: date }));
          await tx.insertPayout(payoutRecord(batchId, merchantId, 1, { businessDate: date, ...(date === '2026-11-25' ? { state: 'sent', fileId: 'pf_1', sentAtMs: baseAtMs } : {}) }));
        }
      });
      const ids = async (query: Parameters<Store['listPayouts']>[0]) => (await store.listPayouts(query)).map((p) => p.id);
      assert.deepEqual(await ids({}), ['po_stl_m1_2026-11-24_1', 'po_stl_m1_2026-11-25_1', 'po_stl_m2_2026-11-25_1']);
      assert.deepEqual(await ids({ merchantId: 'm1' }), ['po_stl_m1_2026-11-24_1', 'po_stl_m1_2026-11-25_1']);
      assert.deepEqual(await ids({ state: 'sent' }), ['po_stl_m1_2026-11-25_1', 'po_stl_m2_2026-11-25_1']);
      assert.deepEqual(await ids({ fileId: 'pf_1', merchantId: 'm2' }), ['po_stl_m2_2026-11-25_1']);
      assert.deepEqual(await ids({ fromDate: '2026-11-24', toDate: '2026-11-24' }), ['po_stl_m1_2026-11-24_1']);
      assert.deepEqual(await ids({ batchId: 'stl_m2_2026-11-25' }), ['po_stl_m2_2026-11-25_1']);
      assert.deepEqual(await ids({ merchantId: 'nobody' }), []);
    });

    withStore('ping answers while the database is up', async (store) => {
      assert.ok(store.ping !== undefined, 'the adapter offers ping() for /readyz');
      await store.ping();
    });

    test('writeFault is null while writes are accepted and names a closed store', async () => {
      const store = await openFresh();
      assert.ok(store.writeFault !== undefined, 'the adapter offers writeFault() for /readyz');
      await store.write((tx) => tx.nextStan('bank-a'));
      assert.equal(store.writeFault(), null);
      await store.close();
      assert.equal(store.writeFault(), 'the store is closed');
    });

    test('a closed store refuses reads and writes with RSW_STORE_CLOSED', async () => {
      const store = await openFresh();
      await store.close();
      await expectCode(store.write((tx) => tx.nextStan('bank-a')), 'RSW_STORE_CLOSED');
      await expectCode(store.getPayment('p1'), 'RSW_STORE_CLOSED');
      await store.close();
    });

    withStore('drill reports: stored whole, listed newest first with a keyset cursor and a scenario filter', async (store) => {
      const report = (id: string, scenario: string, startedAtMs: number, passed: boolean) => ({ id, scenario, passed, target: 'sandbox', startedAtMs, durationMs: 15_000, report: { scenario, passed, money: { ok: passed }, checks: [{ name: 'money', ok: passed }] } });
      const first = report('drl_a', 'bank-dies', baseAtMs, true);
      const second = report('drl_b', 'bank-slow', baseAtMs + 1_000, false);
      const third = report('drl_c', 'bank-dies', baseAtMs + 2_000, true);
      await store.write(async (tx) => {
        for (const record of [first, second, third]) await tx.insertDrillReport(record);
      });
      assert.deepEqual(await store.getDrillReport('drl_b'), second);
      assert.equal(await store.getDrillReport('drl_missing'), null);
      assert.deepEqual((await store.listDrillReports({ limit: 10 })).map((record) => record.id), ['drl_c', 'drl_b', 'drl_a']);
      assert.deepEqual((await store.listDrillReports({ limit: 10, scenario: 'bank-dies' })).map((record) => record.id), ['drl_c', 'drl_a']);
      assert.deepEqual((await store.listDrillReports({ limit: 10, before: { startedAtMs: third.startedAtMs, id: third.id } })).map((record) => record.id), ['drl_b', 'drl_a']);
      await expectCode(store.write((tx) => tx.insertDrillReport(first)), 'RSW_STORE_CONFLICT');
    });

    withStore('close waits for queued units and commits them', async (store) => {
      await seedParents(store);
      const pending = Array.from({ length: 10 }, (_, n) => store.write((tx) => tx.insertPayment(payment(`c${n}`, 'm1'))));
      await store.close();
      await Promise.all(pending);
    });

    defineReconStoreBehaviour(withStore);
  });
}
