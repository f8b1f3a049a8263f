// Goal: faults hit the requests the table and the rates say, and nothing else. Method: table tests over magic amounts and message types, a seeded run whose fault mix matches the rates, and rejected settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { decideFault, isProcessedBeforeFault, linkFaultMix, linkFaultNames, mergeFaultSettings, noFaults } from '../../../src/sim/issuer/fault-plan.ts';
import { magicAmounts } from '../../../src/sim/issuer/test-cards.ts';
import { echoRequest, freshStan, reversalOf, saleRequest } from './issuer-requests.ts';

const pan = '6222020000000000018';

test('each magic fault amount forces its fault on sales, refunds and pre-authorizations, and says whether money moves first', () => {
  for (const row of magicAmounts) {
    if (row.effect.kind !== 'fault') continue;
    for (const request of [
      saleRequest({ pan, amountMinor: row.amountMinor }),
      saleRequest({ pan, amountMinor: row.amountMinor, processingCode: '200000' }),
      saleRequest({ pan, amountMinor: row.amountMinor, mti: '0100', processingCode: '030000' }),
    ]) {
      assert.equal(decideFault(request, noFaults, new SeededRandom(1)), row.effect.fault, `${row.amountMinor} ${request.mti}`);
    }
    assert.equal(isProcessedBeforeFault(row.effect.fault), row.isProcessed, String(row.amountMinor));
  }
});

test('a reversal carrying a magic fault amount is never faulted by it, nor is an ordinary amount or an echo', () => {
  const faulty = saleRequest({ pan, amountMinor: 88_801 });
  assert.equal(decideFault(reversalOf(faulty, freshStan()), noFaults, new SeededRandom(1)), null);
  assert.equal(decideFault(saleRequest({ pan, amountMinor: 10_000 }), noFaults, new SeededRandom(1)), null);
  const always = mergeFaultSettings(noFaults, { noReply: 1 });
  assert.equal(decideFault(echoRequest(), always, new SeededRandom(1)), null, 'network management is exempt from random faults');
  assert.equal(decideFault(reversalOf(faulty, freshStan()), always, new SeededRandom(1)), 'no_reply', 'random faults do hit reversals');
});

test('random faults follow the rates and replay from the seed', () => {
  const settings = mergeFaultSettings(noFaults, { noReply: 0.1, lateReply: 0.2, drop: 0.05 });
  const run = (seed: number): Record<string, number> => {
    const random = new SeededRandom(seed);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const fault = decideFault(saleRequest({ pan, amountMinor: 10_000, stan: '000001' }), settings, random) ?? 'none';
      counts[fault] = (counts[fault] ?? 0) + 1;
    }
    return counts;
  };
  const counts = run(42);
  assert.deepEqual(run(42), counts);
  assert.ok(Math.abs((counts.no_reply ?? 0) - 1000) < 150, JSON.stringify(counts));
  assert.ok(Math.abs((counts.late_reply ?? 0) - 2000) < 200, JSON.stringify(counts));
  assert.ok(Math.abs((counts.drop_on_receipt ?? 0) - 500) < 100, JSON.stringify(counts));
  assert.equal(counts.reply_lost, undefined);
});

test('fault settings are validated: probabilities in [0, 1], sum at most 1, known names, bounded lateReplyMs', () => {
  const rejected: unknown[] = [{ noReply: 1.5 }, { noReply: -0.1 }, { noReply: 'x' }, { noReply: 0.6, drop: 0.6 }, { typo: 0.1 }, { lateReplyMs: -1 }, { lateReplyMs: 1.5 }, { lateReplyMs: 10_000_000 }, [], null];
  for (const update of rejected) {
    assert.throws(() => mergeFaultSettings(noFaults, update), (error: unknown) => isReswipeError(error, 'RSW_SIM_FAULTS_INVALID'), JSON.stringify(update));
  }
  const merged = mergeFaultSettings(noFaults, { replyLost: 0.25, lateReplyMs: 50 });
  assert.equal(merged.replyLost, 0.25);
  assert.equal(merged.lateReplyMs, 50);
  assert.equal(merged.noReply, 0);
  assert.ok(Object.isFrozen(merged));
});

test('a fault mix of 25 % faults a quarter of sales and reversals, spread evenly over the six link faults', () => {
  const settings = mergeFaultSettings(noFaults, linkFaultMix(0.25));
  const random = new SeededRandom(13);
  const counts = new Map<string, number>();
  const total = 24_000;
  for (let index = 0; index < total; index++) {
    const sale = saleRequest({ pan, amountMinor: 10_000 });
    const request = index % 2 === 0 ? sale : reversalOf(sale, freshStan());
    const fault = decideFault(request, settings, random);
    counts.set(fault ?? 'none', (counts.get(fault ?? 'none') ?? 0) + 1);
  }
  const faulted = total - (counts.get('none') ?? 0);
  assert.ok(Math.abs(faulted / total - 0.25) < 0.02, `faulted share ${faulted / total}`);
  assert.equal(counts.size, linkFaultNames.length + 1, 'each link fault occurs, malformed replies do not');
  for (const [fault, count] of counts) if (fault !== 'none') assert.ok(Math.abs(count / total - 0.25 / 6) < 0.01, `${fault} ${count}`);
});

test('a fault mix outside 0..1 is refused with the field named', () => {
  for (const share of [-0.1, 1.5, Number.NaN]) {
    assert.throws(() => linkFaultMix(share), (error: unknown) => isReswipeError(error) && error.code === 'RSW_SIM_FAULTS_INVALID' && error.field === 'faultMix');
  }
});
