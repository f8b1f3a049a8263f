// Goal: failover moves a payment to the next channel only when the earlier attempt provably moved no money,
// an open circuit is skipped, and the re-swipe guard keeps a customer from being charged twice when the
// first reply is lost and the cashier swipes again at once. Method: the composed gateway (engine, reversal worker, breaker and router) on a
// SQLite store with scripted fake channels that keep their own books (charges by STAN, removed by reversals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';
import { createFixture, reply, sale, terminalId, type Script } from './sale-fixture.ts';

/** An issuer's books behind a fake channel: approved sales charge, confirmed reversals refund. */
class Book {
  readonly charged = new Map<string, number>();
  get netCharges(): number {
    return this.charged.size;
  }
  approve(request: IsoMessage): void {
    this.charged.set(getText(request, 11) ?? '', Number(getText(request, 4) ?? '0'));
  }
  reverse(request: IsoMessage): void {
    const original = getText(request, 90) ?? '';
    this.charged.delete(original.slice(4, 10));
  }
}

const noReply = (): ChannelSendResult => ({ kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() });
const notSent = (): ChannelSendResult => ({ kind: 'not_sent', reason: 'no_connection', detail: 'down' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settled(check: () => Promise<boolean>, limitMs = 8_000): Promise<void> {
  for (let waitedMs = 0; waitedMs < limitMs; waitedMs += 25) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error('condition not reached in time');
}

test('a channel-side decline (91) fails over to the next channel and is approved there', async () => {
  const fixture = await createFixture({ scripts: [(request) => reply(request, request.mti.startsWith('04') ? '00' : '91'), (request) => reply(request, '00')] });
  try {
    const result = await fixture.engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    assert.deepEqual(result.view.attempts.map((attempt) => `${attempt.channel}:${attempt.outcome}`), ['bank-a:declined', 'bank-b:approved']);
  } finally {
    await fixture.close();
  }
});

test('a card-side decline (51) never moves to another channel', async () => {
  const fixture = await createFixture({ scripts: [(request) => reply(request, '51'), (request) => reply(request, '00')] });
  try {
    const result = await fixture.engine.authorize(sale());
    assert.equal(result.kind === 'completed' && result.view.status, 'declined');
    assert.equal(fixture.channels[1]?.sales().length, 0);
  } finally {
    await fixture.close();
  }
});

test('a timeout fails over only after its reversal is confirmed; the customer is charged once', async () => {
  const bookA = new Book();
  const bookB = new Book();
  const scriptA: Script = (request) => {
    if (request.mti.startsWith('04')) {
      bookA.reverse(request);
      return reply(request, '00');
    }
    bookA.approve(request); // the issuer approved, but the reply is lost
    return noReply();
  };
  const scriptB: Script = (request) => {
    bookB.approve(request);
    return reply(request, '00');
  };
  const fixture = await createFixture({ scripts: [scriptA, scriptB] });
  try {
    const result = await fixture.engine.authorize(sale());
    assert.equal(result.kind === 'completed' && result.view.status, 'approved');
    const channelA = fixture.channels[0];
    assert.ok(channelA !== undefined);
    // The reversal of bank-a was sent (and confirmed) before bank-b got the sale.
    const order = [...channelA.sent.map((message) => `a:${message.mti}`), ...(fixture.channels[1]?.sent ?? []).map((message) => `b:${message.mti}`)];
    assert.deepEqual(order, ['a:0200', 'a:0400', 'b:0200']);
    assert.equal(bookA.netCharges + bookB.netCharges, 1);
  } finally {
    await fixture.close();
  }
});

test('an open circuit is skipped: after the first channel fails twice, sales go straight to the second', async () => {
  // The gateway's own breaker and router, configured to open after two failures and stay open.
  const fixture = await createFixture({
    scripts: [notSent, (request) => reply(request, '00')],
    breaker: { failuresMax: 2, windowMs: 60_000, windowAttemptsMin: 100, failureRateMaxBps: 10_000, openMs: 600_000, halfOpenSuccessesMin: 1 },
  });
  const { engine, healthMonitor: monitor } = fixture.gateway;
  try {
    for (let i = 0; i < 5; i++) {
      const result = await engine.authorize(sale({ amountMinor: 100 + i }));
      assert.equal(result.kind === 'completed' && result.view.status, 'approved', `sale ${i}`);
    }
    assert.equal(fixture.channels[0]?.sales().length, 2, 'bank-a gets only the two sales that opened its circuit');
    assert.equal(fixture.channels[1]?.sales().length, 5);
    const view = monitor.view();
    assert.equal(view.find((channel) => channel.name === 'bank-a')?.circuit, 'open');
    assert.deepEqual(view.find((channel) => channel.name === 'bank-a')?.failovers, { from: 2, to: 0 });
    assert.deepEqual(view.find((channel) => channel.name === 'bank-b')?.failovers, { from: 0, to: 2 });
    await monitor.stop();
    const events = await fixture.store.listEvents(0, 500, 'channel.opened');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.subjectId, 'bank-a');
  } finally {
    await fixture.close();
  }
});

test('re-swipe: the first reply is lost, the cashier swipes again at once; WAIT names the first, and the customer is charged once', async () => {
  const book = new Book();
  let reversalDelayMs = 3_500;
  const script: Script = async (request) => {
    if (request.mti.startsWith('04')) {
      await sleep(reversalDelayMs); // the host is slow to confirm: the first sale is answered WAIT meanwhile
      book.reverse(request);
      return reply(request, '00');
    }
    book.approve(request);
    return book.netCharges === 1 && getText(request, 4) === '000000010000' && lostFirst() ? noReply() : reply(request, '00');
  };
  let lost = false;
  const lostFirst = () => {
    if (lost) return false;
    lost = true;
    return true;
  };
  const fixture = await createFixture({ scripts: [script], settings: { reswipeGuardWindowMs: 120_000 } });
  try {
    const first = fixture.engine.authorize(sale({ intake: 'iso' }));
    await sleep(50);
    const second = fixture.engine.authorize(sale({ intake: 'iso' }));
    const [firstResult, secondResult] = await Promise.all([first, second]);
    assert.equal(firstResult.kind, 'completed');
    assert.equal(secondResult.kind, 'completed');
    if (firstResult.kind !== 'completed' || secondResult.kind !== 'completed') return;
    assert.equal(firstResult.diagnosis.verdict, 'wait', 'the lost reply is answered WAIT');
    assert.equal(secondResult.diagnosis.verdict, 'wait');
    assert.equal(secondResult.diagnosis.code, '94');
    assert.match(secondResult.diagnosis.reason ?? '', new RegExp(firstResult.view.id));
    assert.equal(fixture.channels[0]?.sales().length, 1, 'the second swipe was never sent');
    const blocked = await fixture.store.listEvents(0, 500, 'payment.reswipe_blocked');
    assert.deepEqual(blocked.map((event) => event.payload.earlierPaymentId), [firstResult.view.id]);
    // Once the reversal settles, the cashier swipes again and the sale goes through: one charge in all.
    await settled(async () => (await fixture.store.getPayment(firstResult.view.id))?.status === 'reversed');
    reversalDelayMs = 0;
    const third = await fixture.engine.authorize(sale({ intake: 'iso' }));
    assert.equal(third.kind === 'completed' && third.view.status, 'approved');
    assert.equal(book.netCharges, 1, 'charged exactly once');
  } finally {
    await fixture.close();
  }
});

test('two sales of one card and amount at the same instant: never two charges that stand', async () => {
  const book = new Book();
  const script: Script = async (request) => {
    if (request.mti.startsWith('04')) book.reverse(request);
    else book.approve(request);
    await sleep(30);
    return reply(request, '00');
  };
  const fixture = await createFixture({ scripts: [script], settings: { reswipeGuardWindowMs: 120_000 } });
  try {
    // HTTP sales without a terminal share no terminal queue, so the guard and the double-approval check race for real.
    const results = await Promise.all([fixture.engine.authorize(sale({ terminalId: null })), fixture.engine.authorize(sale({ terminalId: null }))]);
    const views = results.map((result) => (result.kind === 'completed' ? result.view : null));
    assert.ok(views.every((view) => view !== null));
    await settled(async () => {
      const statuses = await Promise.all(views.map(async (view) => (await fixture.store.getPayment(view?.id ?? ''))?.status));
      return statuses.filter((status) => status === 'approved').length === 1 && book.netCharges === 1;
    });
    const blocked = await fixture.store.listEvents(0, 500, 'payment.reswipe_blocked');
    const doubles = await fixture.store.listEvents(0, 500, 'payment.double_approval');
    assert.equal(blocked.length + doubles.length, 1, 'either the guard blocked the second, or the double approval was reversed');
  } finally {
    await fixture.close();
  }
});

for (const slowFirst of [true, false]) {
  test(`two sales of one card and amount at the same instant, the ${slowFirst ? 'first' : 'second'} one sent answered last: the newer is reversed, whichever approval is checked last`, async () => {
    const book = new Book();
    let sales = 0;
    const script: Script = async (request) => {
      if (request.mti.startsWith('04')) {
        book.reverse(request);
        return reply(request, '00');
      }
      book.approve(request);
      sales += 1;
      // One approval is committed (and checked) well before the other.
      await sleep((sales === 1) === slowFirst ? 300 : 20);
      return reply(request, '00');
    };
    const fixture = await createFixture({ scripts: [script], settings: { reswipeGuardWindowMs: 120_000 } });
    try {
      const results = await Promise.all([fixture.engine.authorize(sale({ terminalId: null })), fixture.engine.authorize(sale({ terminalId: null }))]);
      const views = results.map((result) => (result.kind === 'completed' ? result.view : null));
      if (views[0] === null || views[1] === null || views[0] === undefined || views[1] === undefined) return assert.fail('both sales are answered');
      if (views.some((view) => view?.status !== 'approved')) return; // the guard saw the first in time: nothing to reverse
      await settled(async () => book.netCharges === 1);
      const stored = await Promise.all(views.map((view) => fixture.store.getPayment(view?.id ?? '')));
      const [older, newer] = [...stored].sort((a, b) => (a?.createdAtMs ?? 0) - (b?.createdAtMs ?? 0) || ((a?.id ?? '') < (b?.id ?? '') ? -1 : 1));
      await settled(async () => (await fixture.store.getPayment(newer?.id ?? ''))?.status === 'reversed');
      assert.equal((await fixture.store.getPayment(older?.id ?? ''))?.status, 'approved', 'the earlier sale stands');
      const doubles = await fixture.store.listEvents(0, 500, 'payment.double_approval');
      assert.deepEqual(doubles.map((event) => [event.payload.earlierPaymentId, event.payload.reversedPaymentId]), [[older?.id, newer?.id]]);
    } finally {
      await fixture.close();
    }
  });
}

test('the guard does not block a separate purchase once the first is settled', async () => {
  const fixture = await createFixture({ settings: { reswipeGuardWindowMs: 120_000 } });
  try {
    const first = await fixture.engine.authorize(sale());
    // A later millisecond: the check compares the first's approval instant with the second's arrival, and
    // within one millisecond (an instant simulated bank) it cannot tell them apart and reverses, on purpose.
    await sleep(2);
    const second = await fixture.engine.authorize(sale());
    assert.equal(first.kind === 'completed' && first.view.status, 'approved');
    assert.equal(second.kind === 'completed' && second.view.status, 'approved');
    await sleep(100);
    assert.equal((await fixture.store.listEvents(0, 500, 'payment.double_approval')).length, 0);
    assert.equal((await fixture.store.getPayment(second.kind === 'completed' ? second.view.id : ''))?.status, 'approved');
  } finally {
    await fixture.close();
  }
});

void terminalId;
