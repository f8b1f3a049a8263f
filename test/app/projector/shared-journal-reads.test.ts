// Goal: the payment and analytics projectors read each batch of the payment journal once between them,
// and what they derive is the same as with a read each: a read serves its reader and one other
// projector asking for the same entries, never a stale one, and never the same projector twice.
// Method: a counting fake of the journal read; then both projectors on a temporary SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SharedJournalReads, sharedReadMaxAgeMs, type JournalEntry } from '../../../src/app/projector/shared-journal-reads.ts';
import { PaymentProjector } from '../../../src/app/projector/payment-projector.ts';
import { AnalyticsProjector } from '../../../src/app/projector/analytics-projector.ts';
import { createPaymentFeeHooks } from '../../../src/app/fees/payment-fee-hooks.ts';
import { builtinFeePlans } from '../../../src/core/fees/index.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import type { PaymentRecord, Store } from '../../../src/core/ports/store.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { attempt, merchant, payment } from '../../adapters/store/store-fixtures.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function countingJournal(entries: JournalEntry[]) {
  const calls: Array<[number, number]> = [];
  return {
    calls,
    async listPaymentJournal(afterSeq: number, limit: number) {
      calls.push([afterSeq, limit]);
      return entries.filter((entry) => entry.seq > afterSeq).slice(0, limit);
    },
  };
}

const journal = (count: number): JournalEntry[] => Array.from({ length: count }, (_, i) => ({ seq: i + 1, payment: payment(`p${i + 1}`, 'M1') }));

test('a read serves its reader and one other projector asking for the same entries, then the store is read again', async () => {
  const store = countingJournal(journal(10));
  const clock = new ManualClock(1_000_000);
  const reads = new SharedJournalReads(store, clock);
  const first = await reads.read('payments', 0, 4);
  assert.deepEqual(await reads.read('analytics', 0, 4), first, 'the other projector takes the read');
  assert.equal(store.calls.length, 1);
  assert.deepEqual((await reads.read('third', 0, 4)).map((entry) => entry.seq), [1, 2, 3, 4], 'a read serves one other projector only');
  assert.equal(store.calls.length, 2);
  // The reader itself never takes its own read again (a batch repeated after a failed unit reads afresh).
  await reads.read('payments', 4, 4);
  await reads.read('payments', 4, 4);
  assert.equal(store.calls.length, 4);
  // Another start or another size: not the same entries.
  await reads.read('analytics', 3, 4);
  await reads.read('analytics', 4, 2);
  assert.equal(store.calls.length, 6);
  assert.deepEqual(reads.stats(), { storeReads: 6, shared: 1 });
});

test('a read older than the bound, or an empty one, is not handed on', async () => {
  const store = countingJournal(journal(3));
  const clock = new ManualClock(1_000_000);
  const reads = new SharedJournalReads(store, clock);
  await reads.read('payments', 0, 256);
  clock.advance(sharedReadMaxAgeMs + 1);
  assert.equal((await reads.read('analytics', 0, 256)).length, 3);
  assert.equal(store.calls.length, 2, 'too old: read again');
  assert.deepEqual(await reads.read('payments', 3, 256), []);
  assert.deepEqual(await reads.read('analytics', 3, 256), []);
  assert.equal(store.calls.length, 4, 'an empty read is read again: new entries may have come');
});

test('both projectors on one shared read per batch derive what they derive with a read each', async () => {
  const derived = async (shared: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'reswipe-shared-journal-'));
    const store: Store = await openStore(`sqlite:${join(dir, 's.db')}`);
    try {
      await store.write((tx) => tx.upsertMerchant(merchant('M1', { feePlan: 'standard' })));
      const clock = new ManualClock(1_764_000_100_000);
      let storeReads = 0;
      const counted = new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'listPaymentJournal') {
            return (afterSeq: number, limit: number) => {
              storeReads += 1;
              return target.listPaymentJournal(afterSeq, limit);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const journalReads = shared ? new SharedJournalReads(counted, clock) : undefined;
      const hooks = createPaymentFeeHooks({ plans: () => builtinFeePlans, settings: { timeZone: 'Asia/Shanghai', settleMode: 't1', cutoff: '23:00' }, clock, logger: silent, approvedFees: 'projector' });
      const payments = new PaymentProjector({ store: counted, clock, logger: silent, fees: hooks, batchMax: 3, ...(journalReads === undefined ? {} : { journal: journalReads }) });
      const analytics = new AnalyticsProjector({ store: counted, clock, logger: silent, batchMax: 3, timeZone: 'Asia/Shanghai', ...(journalReads === undefined ? {} : { journal: journalReads }) });
      for (let i = 0; i < 8; i += 1) {
        const id = `p${i}`;
        const pending: PaymentRecord = payment(id, 'M1', { status: 'pending', responseCode: null, authCode: null, rrn: null, decline: null, cardType: 'credit', terminalId: null, createdAtMs: 1_764_000_000_000 + i });
        const status = i % 3 === 2 ? 'declined' : 'approved';
        await store.write(async (tx) => {
          await tx.insertPayment(pending);
          await tx.insertAttempt(attempt(`a${i}`, id, { stan: String(100 + i).padStart(6, '0'), outcome: status, responseCode: status === 'approved' ? '00' : '51', createdAtMs: pending.createdAtMs }));
          await tx.updatePayment(pending, { ...pending, status, responseCode: status === 'approved' ? '00' : '51' });
        });
      }
      // The gateway runs both drains side by side (compose-gateway.ts): here too.
      await Promise.all([payments.drain(), analytics.drain()]);
      const rollup = await store.sumRollup({ fromMs: 0, toMs: 4_000_000_000_000, groupBy: ['outcome'], rowsMax: 100 });
      return {
        storeReads,
        fees: (await store.listFeeLines({ merchantId: 'M1' })).map((line) => [line.id, line.feeMinor]),
        events: (await store.listEvents(0, 100, 'payment.completed')).map((event) => event.subjectId),
        rollup: rollup.map((row) => [row.group.outcome, row.values.payments, row.values.amountMinor]).sort(),
      };
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const apart = await derived(false);
  const together = await derived(true);
  assert.deepEqual({ ...together, storeReads: 0 }, { ...apart, storeReads: 0 });
  assert.equal(apart.fees.length, 6);
  assert.equal(apart.events.length, 8);
  assert.ok(together.storeReads < apart.storeReads, `shared ${together.storeReads} reads, apart ${apart.storeReads}`);
});
