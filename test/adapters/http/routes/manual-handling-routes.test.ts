// Goal: /v1/manual-handling lists flagged payments and lets an admin retry a dead reversal or resolve
// a payment as charged / not charged, with Idempotency-Key replay, problem+json refusals naming the
// field with stable RSW_MANUAL_* codes, an audit record per action and an event on the stream; and the
// money follows (charged: approved with its fee; a confirmed retry: reversed and resolved).
// Method: Fastify inject over the real engine and SQLite store; a scripted channel never answers the
// sale and refuses reversals until the test lets them through, so the reversal is really dead-lettered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IsoMessage } from '../../../../src/core/iso8583/index.ts';
import { bearer, createHttpFixture, newIdempotencyKey, saleBody, type HttpFixture } from '../http-fixture.ts';
import { reply } from '../../../app/payments/sale-fixture.ts';
import { waitingFor } from '../../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 20 });

/** Sales get no reply; reversals are refused (not sent) until `reversalsAnswer` is set. */
function scriptedBank() {
  const state: { reversalsAnswer: string | null } = { reversalsAnswer: null };
  const script = (request: IsoMessage) => {
    if (request.mti.startsWith('04')) {
      return state.reversalsAnswer === null ? { kind: 'not_sent' as const, reason: 'no_connection' as const, detail: 'down' } : reply(request, state.reversalsAnswer);
    }
    return { kind: 'no_reply' as const, reason: 'timeout' as const, sentAtMs: Date.now() };
  };
  return { state, script };
}

/** A sale over HTTP whose reversal dies; resolves with the payment id once it is flagged, the worker stopped so nothing moves unless the test says so. */
async function flaggedSale(fixture: HttpFixture): Promise<string> {
  const created = await fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: { ...bearer(fixture.merchantKey), 'idempotency-key': newIdempotencyKey() }, payload: saleBody() });
  assert.equal(created.statusCode, 201, created.body);
  const paymentId = (created.json() as { id: string; status: string }).id;
  assert.equal((created.json() as { status: string }).status, 'pending');
  await waitFor('the payment to be flagged', async () => (await fixture.engine.store.getPayment(paymentId))?.manualHandlingSinceMs);
  await fixture.engine.worker.stop();
  return paymentId;
}

function post(fixture: HttpFixture, url: string, payload: unknown, options: { key?: string; idempotencyKey?: string | null } = {}) {
  const headers: Record<string, string> = { ...bearer(options.key ?? fixture.adminKey), 'content-type': 'application/json' };
  if (options.idempotencyKey !== null) headers['idempotency-key'] = options.idempotencyKey ?? newIdempotencyKey();
  return fixture.app.inject({ method: 'POST', url, headers, payload: JSON.stringify(payload) });
}

function problem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }): { status: number; code: string; field?: string } {
  assert.match(String(response.headers['content-type']), /application\/problem\+json/);
  const body = response.json() as { code: string; field?: string };
  return { status: response.statusCode, code: body.code, ...(body.field === undefined ? {} : { field: body.field }) };
}

test('resolve as charged: admin only, note checked, once, replayed by its Idempotency-Key, audited and announced; the payment is approved with its fee', async () => {
  const bank = scriptedBank();
  const fixture = await createHttpFixture({ script: bank.script });
  try {
    const paymentId = await flaggedSale(fixture);
    const adminKeyId = (await fixture.engine.store.listApiKeys()).find((key) => key.scopes.includes('admin'))?.id;

    const list = await fixture.app.inject({ method: 'GET', url: '/v1/manual-handling', headers: bearer(fixture.adminKey) });
    assert.equal(list.statusCode, 200);
    const [entry] = (list.json() as { data: Array<{ id: string; state: string; cardMasked: string; reversals: Array<{ state: string; tries: number }> }> }).data;
    assert.equal(entry?.id, paymentId);
    assert.equal(entry?.state, 'open');
    assert.equal(entry?.reversals[0]?.state, 'dead');
    assert.match(entry?.cardMasked ?? '', /^622202\*+0018$/);
    assert.doesNotMatch(list.body, /6222020000000000018/, 'never the PAN');

    const merchantTry = await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note: 'ok' }, { key: fixture.merchantKey });
    assert.deepEqual(problem(merchantTry), { status: 403, code: 'RSW_AUTH_ADMIN_REQUIRED' });
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note: 'ok' }, { idempotencyKey: null })), { status: 400, code: 'RSW_IDEMPOTENCY_KEY_MISSING', field: 'idempotency-key' });
    assert.equal(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged' })).field, 'note', 'the note is mandatory');
    assert.equal(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'maybe', note: 'x' })).field, 'outcome');
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note: 'card 6222020000000000018 paid' })), { status: 422, code: 'RSW_CARD_NUMBER_IN_TEXT', field: 'note' });
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note: 'two\nlines' })), { status: 400, code: 'RSW_MANUAL_NOTE_INVALID', field: 'note' });
    assert.deepEqual(problem(await post(fixture, '/v1/manual-handling/pay_nope/resolve', { outcome: 'charged', note: 'x' })), { status: 404, code: 'RSW_MANUAL_PAYMENT_NOT_FOUND', field: 'paymentId' });

    const key = newIdempotencyKey();
    const note = 'bank hotline 2026-12-05 23:10, agent Li, ref 88812: captured';
    const resolved = await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note }, { idempotencyKey: key });
    assert.equal(resolved.statusCode, 200, resolved.body);
    const view = resolved.json() as { state: string; status: string; resolution: { outcome: string; note: string; actor: string } };
    assert.equal(view.state, 'resolved');
    assert.equal(view.status, 'approved');
    assert.deepEqual({ ...view.resolution, at: undefined }, { outcome: 'charged', note, actor: `key:${adminKeyId}`, at: undefined });

    const replay = await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note }, { idempotencyKey: key });
    assert.equal(replay.statusCode, 200);
    assert.deepEqual(replay.json(), resolved.json(), 'the same key and body replay the first answer');
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'not-charged', note }, { idempotencyKey: key })), { status: 422, code: 'RSW_IDEMPOTENCY_MISMATCH', field: 'idempotency-key' });
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'not-charged', note })), { status: 409, code: 'RSW_MANUAL_ALREADY_RESOLVED', field: 'paymentId' });
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/retry`, {})), { status: 409, code: 'RSW_MANUAL_ALREADY_RESOLVED', field: 'paymentId' });

    // The money: the payment view says approved, with the fee an approved sale gets.
    const payment = await fixture.app.inject({ method: 'GET', url: `/v1/payments/${paymentId}`, headers: bearer(fixture.merchantKey) });
    const paymentView = payment.json() as { status: string; fee: { feeMinor: number } | null; attempts: Array<{ outcome: string }>; decline: unknown };
    assert.equal(paymentView.status, 'approved');
    assert.ok(paymentView.fee !== null && paymentView.fee.feeMinor > 0, 'the fee line is recorded');
    assert.deepEqual(paymentView.attempts.map((attempt) => attempt.outcome), ['approved']);
    assert.equal(paymentView.decline, null);

    const audit = (await fixture.engine.store.listAudit({ limit: 50 })).filter((record) => record.subjectId === paymentId);
    assert.deepEqual(audit.map((record) => [record.action, record.actor]), [['manual_handling.resolve', `key:${adminKeyId}`]], 'one audit record: refusals and replays write none');
    assert.equal(audit[0]?.detail.note, note);
    const events = (await fixture.engine.store.listEvents(0, 500, 'payment.manual_resolved')).filter((event) => event.subjectId === paymentId);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.payload.outcome, 'charged');
    assert.equal(events[0]?.payload.status, 'approved');

    const after = await fixture.app.inject({ method: 'GET', url: '/v1/manual-handling', headers: bearer(fixture.adminKey) });
    assert.deepEqual((after.json() as { data: unknown[] }).data, [], 'resolved payments leave the list');
    const one = await fixture.app.inject({ method: 'GET', url: `/v1/manual-handling/${paymentId}`, headers: bearer(fixture.adminKey) });
    assert.equal((one.json() as { state: string }).state, 'resolved', 'and stay readable one by one');
  } finally {
    await fixture.close();
  }
});

test('retry now: the dead reversal is queued again with a fresh STAN; a confirmation resolves the payment as reversed, loudly', async () => {
  const bank = scriptedBank();
  const fixture = await createHttpFixture({ script: bank.script });
  try {
    const paymentId = await flaggedSale(fixture);
    const reversalsBefore = fixture.engine.channels[0]?.reversals().length ?? 0;
    const deadStan = (await fixture.engine.store.listAttempts(paymentId)).map((attempt) => attempt.id).map(async (id) => (await fixture.engine.store.getReversal(`rev_${id}`))?.stan);
    const oldStan = await deadStan[0];

    const retried = await post(fixture, `/v1/manual-handling/${paymentId}/retry`, { note: 'bank line back up' });
    assert.equal(retried.statusCode, 200, retried.body);
    const view = retried.json() as { state: string; status: string; reversals: Array<{ state: string; tries: number }> };
    assert.equal(view.state, 'retrying');
    assert.equal(view.status, 'pending');
    assert.deepEqual(view.reversals.map((reversal) => [reversal.state, reversal.tries]), [['pending', 0]], 'a fresh budget');
    const reopened = await fixture.engine.store.getReversal(`rev_${(await fixture.engine.store.listAttempts(paymentId))[0]?.id}`);
    assert.notEqual(reopened?.stan, oldStan, 'a fresh STAN: a repeat of the old 0400 could be answered from the host\'s duplicate memory');

    // While it is queued, nothing else may act on the payment.
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/retry`, {})), { status: 409, code: 'RSW_MANUAL_REVERSAL_IN_PROGRESS', field: 'paymentId' });
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'charged', note: 'x' })), { status: 409, code: 'RSW_MANUAL_REVERSAL_IN_PROGRESS', field: 'paymentId' });

    bank.state.reversalsAnswer = '00';
    assert.equal(await fixture.engine.worker.runOnce(), 1, 'the queue sends it once');
    assert.equal((fixture.engine.channels[0]?.reversals().length ?? 0) - reversalsBefore, 1, 'one 0400');

    const payment = await fixture.engine.store.getPayment(paymentId);
    assert.equal(payment?.status, 'reversed');
    const one = await fixture.app.inject({ method: 'GET', url: `/v1/manual-handling/${paymentId}`, headers: bearer(fixture.adminKey) });
    const resolved = one.json() as { state: string; resolution: { outcome: string; actor: string } };
    assert.equal(resolved.state, 'resolved');
    assert.equal(resolved.resolution.outcome, 'reversed');
    assert.equal(resolved.resolution.actor, 'reversal-worker');
    const audit = (await fixture.engine.store.listAudit({ limit: 50 })).filter((record) => record.subjectId === paymentId).map((record) => [record.action, record.actor.split(':')[0]]).reverse();
    assert.deepEqual(audit, [['manual_handling.retry_reversal', 'key'], ['manual_handling.resolve', 'reversal-worker']]);
    // payment.completed comes from the projector on its own timer, so where it falls among these is chance: left out.
    const types = (await fixture.engine.store.listEvents(0, 500)).filter((event) => event.subjectId === paymentId && event.type !== 'payment.completed').map((event) => event.type);
    assert.deepEqual(types.slice(types.indexOf('reversal.reopened')), ['reversal.reopened', 'payment.manual_retry', 'payment.reversed', 'payment.manual_resolved', 'reversal.completed']);
  } finally {
    await fixture.close();
  }
});

test('resolve as not charged: the payment ends reversed without a fee; a payment that was never flagged is refused', async () => {
  const bank = scriptedBank();
  const fixture = await createHttpFixture({ script: bank.script });
  try {
    const paymentId = await flaggedSale(fixture);
    const resolved = await post(fixture, `/v1/manual-handling/${paymentId}/resolve`, { outcome: 'not-charged', note: 'issuer says no authorization on file' });
    assert.equal(resolved.statusCode, 200, resolved.body);
    assert.equal((resolved.json() as { status: string }).status, 'reversed');
    const payment = await fixture.app.inject({ method: 'GET', url: `/v1/payments/${paymentId}`, headers: bearer(fixture.merchantKey) });
    const view = payment.json() as { status: string; fee: unknown; attempts: Array<{ outcome: string }>; decline: { verdict: string } | null };
    assert.equal(view.status, 'reversed');
    assert.equal(view.fee, null);
    assert.deepEqual(view.attempts.map((attempt) => attempt.outcome), ['reversed']);
    assert.ok(view.decline !== null);

    bank.state.reversalsAnswer = '00';
    const approved = await fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: { ...bearer(fixture.merchantKey), 'idempotency-key': newIdempotencyKey() }, payload: saleBody({ amountMinor: 777 }) });
    const otherId = (approved.json() as { id: string }).id;
    assert.deepEqual(problem(await post(fixture, `/v1/manual-handling/${otherId}/resolve`, { outcome: 'charged', note: 'x' })), { status: 409, code: 'RSW_MANUAL_NOT_FLAGGED', field: 'paymentId' });
    const one = await fixture.app.inject({ method: 'GET', url: `/v1/manual-handling/${otherId}`, headers: bearer(fixture.adminKey) });
    assert.deepEqual(problem(one), { status: 409, code: 'RSW_MANUAL_NOT_FLAGGED', field: 'paymentId' });
  } finally {
    await fixture.close();
  }
});

test('the OpenAPI document describes the manual-handling routes with response schemas', async () => {
  const fixture = await createHttpFixture();
  try {
    const document = (await fixture.app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(fixture.adminKey) })).json() as { paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }>; parameters?: Array<{ name: string; in: string }> }>> };
    for (const [path, method] of [['/v1/manual-handling', 'get'], ['/v1/manual-handling/{paymentId}', 'get'], ['/v1/manual-handling/{paymentId}/retry', 'post'], ['/v1/manual-handling/{paymentId}/resolve', 'post']] as const) {
      const operation = document.paths[path]?.[method];
      assert.ok(operation !== undefined, `${method} ${path}`);
      assert.ok(operation.responses['200']?.content !== undefined, `${method} ${path} 200 has a schema`);
      if (method === 'post') {
        assert.ok(operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key'), `${path} takes an Idempotency-Key`);
        assert.ok(operation.responses['409'] !== undefined);
      }
    }
  } finally {
    await fixture.close();
  }
});

test('two resolutions at once: exactly one wins, the other is refused and changes nothing; the same key twice at once answers the same', async () => {
  const bank = scriptedBank();
  const fixture = await createHttpFixture({ script: bank.script });
  try {
    const first = await flaggedSale(fixture);
    const answers = await Promise.all([
      post(fixture, `/v1/manual-handling/${first}/resolve`, { outcome: 'charged', note: 'operator A: bank says captured' }),
      post(fixture, `/v1/manual-handling/${first}/resolve`, { outcome: 'not-charged', note: 'operator B: bank says nothing' }),
    ]);
    assert.deepEqual(answers.map((answer) => answer.statusCode).sort(), [200, 409]);
    const winner = answers.find((answer) => answer.statusCode === 200)?.json() as { resolution: { outcome: string }; status: string };
    const loser = answers.find((answer) => answer.statusCode === 409);
    assert.equal(loser === undefined ? undefined : problem(loser).code, 'RSW_MANUAL_ALREADY_RESOLVED');
    assert.equal((await fixture.engine.store.getPayment(first))?.status, winner.status, 'the payment is what the winner said');
    assert.equal((await fixture.engine.store.listAudit({ limit: 50 })).filter((record) => record.subjectId === first).length, 1, 'one audit record');

    await fixture.engine.worker.runOnce(); // nothing is due: the worker is stopped and the reversal dead
    const paymentsBefore = (await fixture.engine.store.listEvents(0, 1000, 'payment.manual_resolved')).length;
    const second = await createSecondFlagged(fixture, bank);
    const key = newIdempotencyKey();
    const same = await Promise.all([1, 2].map(() => post(fixture, `/v1/manual-handling/${second}/resolve`, { outcome: 'not-charged', note: 'bank: no authorization' }, { idempotencyKey: key })));
    assert.deepEqual(same.map((answer) => answer.statusCode), [200, 200]);
    assert.deepEqual(same[0]?.json(), same[1]?.json());
    assert.equal((await fixture.engine.store.listEvents(0, 1000, 'payment.manual_resolved')).length, paymentsBefore + 1, 'resolved once');
  } finally {
    await fixture.close();
  }
});

/** A second flagged sale in the same fixture (its worker is stopped): the test drives the queue by hand until the reversal dies. */
async function createSecondFlagged(fixture: HttpFixture, bank: ReturnType<typeof scriptedBank>): Promise<string> {
  bank.state.reversalsAnswer = null;
  const created = fixture.app.inject({ method: 'POST', url: '/v1/payments', headers: { ...bearer(fixture.merchantKey), 'idempotency-key': newIdempotencyKey() }, payload: saleBody({ amountMinor: 4_321 }) });
  const flagged = waitFor('the second payment to be flagged', async () => {
    await fixture.engine.worker.runOnce();
    return (await fixture.engine.store.listManualHandlingPayments(10)).find((payment) => payment.amountMinor === 4_321)?.id;
  });
  const [response, paymentId] = await Promise.all([created, flagged]);
  assert.equal(response.statusCode, 201);
  return paymentId;
}
