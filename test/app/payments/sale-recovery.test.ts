// Goal: the engine turns a transient failure into a sale when it provably can, and never sends a new
// attempt while an earlier one may still have moved money. Method: the real engine, reversal worker and
// SQLite store with scripted fake channels that keep their own books (approved sales charge by STAN,
// confirmed reversals remove the charge); each test checks what the client was told against the books.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';
import { createFixture, reply, sale, type Fixture, type Script } from './sale-fixture.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';

/** An issuer's books behind a fake channel: approved sales charge, confirmed reversals refund. */
class Book {
  readonly charged = new Set<string>();
  approve(request: IsoMessage): void {
    this.charged.add(getText(request, 11) ?? '');
  }
  reverse(request: IsoMessage): void {
    this.charged.delete((getText(request, 90) ?? '').slice(4, 10));
  }
}

const noReply = (): ChannelSendResult => ({ kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() });
const notSent = (): ChannelSendResult => ({ kind: 'not_sent', reason: 'no_connection', detail: 'down' });

/** A bank that approves every sale but loses the reply of the first `lostReplies`, and confirms reversals. */
function flakyBank(book: Book, lostReplies: number, events: string[], name: string): Script {
  let sales = 0;
  return (request) => {
    if (request.mti.startsWith('04')) {
      book.reverse(request);
      events.push(`${name}:0400`);
      return reply(request, '00');
    }
    sales += 1;
    book.approve(request);
    events.push(`${name}:0200`);
    return sales <= lostReplies ? noReply() : reply(request, '00');
  };
}

async function withFixture(options: Parameters<typeof createFixture>[0], body: (fixture: Fixture) => Promise<void>): Promise<void> {
  const fixture = await createFixture(options);
  try {
    await body(fixture);
  } finally {
    await fixture.close();
  }
}

test('retry after a confirmed reversal: approved on the second channel, the first attempt reversed, charged once', async () => {
  const bookA = new Book();
  const bookB = new Book();
  const events: string[] = [];
  await withFixture({ scripts: [flakyBank(bookA, 1, events, 'a'), flakyBank(bookB, 0, events, 'b')] }, async ({ engine }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    assert.deepEqual(result.view.attempts.map((a) => [a.channel, a.outcome]), [['bank-a', 'reversed'], ['bank-b', 'approved']]);
    // Invariant 1: the new attempt only after the first one's reversal was confirmed.
    assert.deepEqual(events, ['a:0200', 'a:0400', 'b:0200']);
    assert.equal(bookA.charged.size + bookB.charged.size, 1, 'charged exactly once');
    assert.equal(result.view.recovery?.en, 'Approved on the second try; the first try was reversed, not charged.');
    assert.equal(result.view.recovery?.zh, '第2次尝试成功；第1次已冲正，未扣款。');
  });
});

test('retry after a confirmed reversal on the only channel: a new attempt with a new STAN, approved', async () => {
  const book = new Book();
  const events: string[] = [];
  await withFixture({ scripts: [flakyBank(book, 1, events, 'a')] }, async ({ engine, channels }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind === 'completed' && result.view.status, 'approved');
    assert.deepEqual(events, ['a:0200', 'a:0400', 'a:0200']);
    const stans = channels[0]?.sales().map((message) => getText(message, 11));
    assert.equal(new Set(stans).size, 2, 'each attempt has its own STAN');
    assert.equal(book.charged.size, 1);
  });
});

test('the reversal is never confirmed: no new attempt, the client is told WAIT', async () => {
  const book = new Book();
  let sales = 0;
  const script: Script = (request) => {
    if (request.mti.startsWith('04')) return notSent();
    sales += 1;
    book.approve(request);
    return noReply();
  };
  const fixtureOptions = { scripts: [script, script], settings: { terminalTimeoutMs: 1_500 } };
  await withFixture(fixtureOptions, async ({ engine }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.diagnosis.code, '98');
    assert.equal(result.diagnosis.verdict, 'wait');
    assert.equal(result.view.status, 'pending');
    assert.equal(sales, 1, 'no second attempt while the first may have moved money');
  });
});

test('a retry only when it fits: too little time left after the reversal, answered reversed (not charged)', async () => {
  const book = new Book();
  const events: string[] = [];
  // 3 000 ms deadline, 200 ms margin: 2 800 ms at most for anything, less than one useful attempt (2 900 ms).
  await withFixture({ scripts: [flakyBank(book, 1, events, 'a'), flakyBank(new Book(), 0, events, 'b')], settings: { attemptMinMs: 2_900 } }, async ({ engine }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'reversed');
    assert.equal(result.diagnosis.code, '98');
    assert.deepEqual(events, ['a:0200', 'a:0400']);
    assert.equal(book.charged.size, 0);
  });
});

test('the store fails after the request went upstream: 98 WAIT, the reversal is held, then written and sent when the store is back', async () => {
  const book = new Book();
  let storeDown = false;
  const script: Script = (request) => {
    if (request.mti.startsWith('04')) {
      book.reverse(request);
      return reply(request, '00');
    }
    book.approve(request);
    storeDown = true; // the bank approved; the write of that outcome will fail
    return reply(request, '00');
  };
  await withFixture({ scripts: [script] }, async ({ engine, store, channels }) => {
    const write = store.write.bind(store);
    store.write = ((unit: Parameters<typeof store.write>[0]) => {
      if (storeDown) return Promise.reject(new ReswipeError('RSW_STORE_UNAVAILABLE', { reason: 'disk I/O error (test)' }));
      return write(unit);
    }) as typeof store.write;
    const request = sale();
    const result = await engine.authorize(request);
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.diagnosis.code, '98');
    assert.equal(result.diagnosis.verdict, 'wait', 'the bank may have approved: never a 96 "not sent"');
    assert.equal(result.view.status, 'pending');
    assert.deepEqual(engine.recoveryStats(), { storeFailuresAfterSend: 1, reversalsHeld: 1 });
    assert.equal(channels[0]?.reversals().length, 0, 'nothing can be written, so nothing is sent yet');

    storeDown = false;
    await eventually('the held reversal is written and confirmed', async () => (await store.getPayment(result.view.id))?.status === 'reversed');
    assert.equal(engine.recoveryStats().reversalsHeld, 0);
    assert.equal(channels[0]?.reversals().length, 1);
    assert.equal(book.charged.size, 0, 'the approval the client was not told of is reversed');
    const unknown = await store.listEvents(0, 100, 'payment.unknown');
    assert.deepEqual(unknown.map((event) => event.payload.by), ['store_failure']);
    // A resend of the sale replays what the client was told.
    const replay = await engine.authorize(request);
    assert.equal(replay.kind === 'replayed' && replay.diagnosis.verdict, 'wait');
  });
});

test('the store fails while an earlier attempt is still being reversed: 98 WAIT, not a 96', async () => {
  let storeDown = false;
  const script: Script = (request) => {
    if (request.mti.startsWith('04')) {
      storeDown = true; // the reversal is durable and on its way; every later write fails
      return notSent();
    }
    return noReply();
  };
  await withFixture({ scripts: [script], settings: { terminalTimeoutMs: 1_500 } }, async ({ engine, store }) => {
    const write = store.write.bind(store);
    store.write = ((unit: Parameters<typeof store.write>[0]) => {
      if (storeDown) return Promise.reject(new ReswipeError('RSW_STORE_UNAVAILABLE', { reason: 'disk I/O error (test)' }));
      return write(unit);
    }) as typeof store.write;
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.diagnosis.code, '98');
    assert.equal(result.diagnosis.verdict, 'wait');
    assert.equal(engine.recoveryStats().reversalsHeld, 0, 'the reversal was already durable: nothing to hold');
    storeDown = false;
  });
});

async function eventually(what: string, check: () => Promise<boolean>, limitMs = 5_000): Promise<void> {
  for (let waitedMs = 0; waitedMs < limitMs; waitedMs += 25) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
