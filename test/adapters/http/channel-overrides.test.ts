// Goal: an operator's hold on a channel (docs/channels.md, "Operator overrides") changes routing at once
// and is audited; GET /v1/routing/explain answers the routing decision with the reason for every channel
// and sends nothing; the payments list filters by reference and settlement batch; a payment's follow-ups
// come from GET /v1/payments/{id}/follow-ups.
// Method: the real gateway (composeGateway, SQLite, fake channels that approve) driven through inject as
// console users; what routing does is seen through real sales and the health monitor's view.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asUser, createConsoleFixture, logIn, merchantA, merchantB, terminalA, type ConsoleFixture, type LoggedIn } from './console-fixture.ts';
import { waitingFor } from '../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 15_000, pollMs: 20 });

const twoChannels = {
  channels: [
    { name: 'bank-a', host: '127.0.0.1', port: 1, priority: 1, timeoutMs: 1_000, acquirerId: '00000000001', echoIntervalMs: 0 },
    { name: 'bank-b', host: '127.0.0.1', port: 2, priority: 2, timeoutMs: 1_000, acquirerId: '00000000001', echoIntervalMs: 0 },
  ],
};

describe('channel overrides, routing explain, payment filters', () => {
  let fixture: ConsoleFixture;
  let ops: LoggedIn;
  let auditor: LoggedIn;
  let shop: LoggedIn;
  let saleNo = 0;
  before(async () => {
    fixture = await createConsoleFixture({ configOverrides: twoChannels });
    const login = (name: string) => logIn(fixture.app, name, fixture.passwords.get(name) ?? '');
    [ops, auditor, shop] = [await login('ops'), await login('audit'), await login('shop-a')];
  });
  after(async () => fixture.close());

  const sale = async (reference?: string) => {
    saleNo += 1;
    const answer = await fixture.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { authorization: `Bearer ${fixture.adminKey}`, 'idempotency-key': `override-sale-${saleNo}` },
      payload: { merchantId: merchantA, terminalId: terminalA, amountMinor: 500 + saleNo, currency: 'CNY', card: { number: '6222020000000000018', expiry: '3012', entryMode: 'chip' }, capture: true, ...(reference === undefined ? {} : { reference }) },
    });
    assert.equal(answer.statusCode, 201, answer.body);
    return answer.json() as { id: string; status: string; attempts: Array<{ channel: string }> };
  };
  const explain = async (session: LoggedIn) => {
    const answer = await asUser(fixture.app, session, 'GET', `/v1/routing/explain?merchantId=${merchantA}&terminalId=${terminalA}&amountMinor=1000&cardBin=622202`);
    assert.equal(answer.statusCode, 200, answer.body);
    return answer.json() as { rule: string; brand: string; channels: Array<{ name: string; position: number | null; reason: string; forced: string | null }> };
  };
  const routed = (explanation: Awaited<ReturnType<typeof explain>>) => explanation.channels.map((channel) => `${channel.name}:${channel.position ?? '-'}:${channel.reason}`);
  const viewOf = (name: string) => fixture.gateway.healthMonitor.view().find((view) => view.name === name);

  test('explain answers the route by priority without sending anything', async () => {
    const before = await fixture.gateway.store.listPayments({ limit: 100 });
    const explanation = await explain(ops);
    assert.equal(explanation.rule, 'all-channels');
    assert.equal(explanation.brand, 'unionpay');
    assert.deepEqual(routed(explanation), ['bank-a:1:used', 'bank-b:2:used']);
    assert.equal((await fixture.gateway.store.listPayments({ limit: 100 })).data.length, before.data.length, 'no payment was made');
  });

  test('explain takes a BIN only, and a merchant sees only its own merchants', async () => {
    const pan = await asUser(fixture.app, ops, 'GET', `/v1/routing/explain?merchantId=${merchantA}&amountMinor=1000&cardBin=6222020000000000018`);
    assert.equal(pan.statusCode, 400);
    assert.equal(pan.json().code, 'RSW_HTTP_VALIDATION');
    assert.equal((await asUser(fixture.app, ops, 'GET', `/v1/routing/explain?merchantId=${merchantB}&terminalId=${terminalA}&amountMinor=1000&cardBin=622202`)).statusCode, 400, "another merchant's terminal");
    const foreign = await asUser(fixture.app, shop, 'GET', `/v1/routing/explain?merchantId=${merchantB}&amountMinor=1000&cardBin=622202`);
    assert.equal(foreign.statusCode, 403, foreign.body);
  });

  test('an operator forces bank-a open: sales go to bank-b at once, the view and explain say why, and it is audited', async () => {
    const forced = await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'open', note: 'bank maintenance window', untilMinutes: 30 } });
    assert.equal(forced.statusCode, 200, forced.body);
    assert.equal(forced.json().circuitOverride.state, 'open');
    assert.equal(forced.json().circuitOverride.by, 'user:ops');
    assert.equal(forced.json().circuitOverride.inForce, true);
    await waitFor('the health monitor to see bank-a forced open', () => viewOf('bank-a')?.forced === 'open');
    assert.equal(viewOf('bank-a')?.circuit, 'open');
    assert.equal(viewOf('bank-a')?.breakerCircuit, 'closed');
    assert.deepEqual(routed(await explain(ops)), ['bank-b:1:used', 'bank-a:-:circuit_forced_open']);
    const payment = await sale();
    assert.equal(payment.status, 'approved');
    assert.deepEqual(payment.attempts.map((attempt) => attempt.channel), ['bank-b']);
    const audit = (await fixture.gateway.store.listAudit({ limit: 50 })).filter((record) => record.action === 'channel.circuit');
    assert.equal(audit[0]?.actor, 'user:ops');
    assert.equal(audit[0]?.subjectId, 'bank-a');
    const events = await fixture.gateway.store.listEvents(0, 500, 'channel.circuit_forced');
    assert.ok(events.some((event) => event.subjectId === 'bank-a' && (event.payload as { by?: string }).by === 'user:ops'));
  });

  test('the forced hold ends by itself at its end, and auto gives the channel back to the breaker', async () => {
    // Looked at without a request: 31 minutes on, the console sessions have ended too.
    fixture.advance(31 * 60_000);
    assert.equal(viewOf('bank-a')?.forced, null, 'past untilMinutes');
    assert.equal(fixture.gateway.healthMonitor.circuit('bank-a'), 'closed');
    fixture.advance(-31 * 60_000);
    assert.equal(viewOf('bank-a')?.forced, 'open');
    const auto = await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'auto', note: 'maintenance over' } });
    assert.equal(auto.statusCode, 200, auto.body);
    assert.equal(auto.json().circuitOverride, null);
    await waitFor('bank-a back to the breaker', () => viewOf('bank-a')?.forced === null);
    assert.deepEqual((await sale()).attempts.map((attempt) => attempt.channel), ['bank-a']);
  });

  test('forcing closed keeps sales on a channel whose breaker is open', async () => {
    // Three failed echo probes open bank-a's breaker (the default failure threshold).
    for (let i = 0; i < 10 && viewOf('bank-a')?.breakerCircuit !== 'open'; i++) fixture.gateway.healthMonitor.recordEcho('bank-a', false);
    assert.equal(viewOf('bank-a')?.breakerCircuit, 'open');
    assert.deepEqual(routed(await explain(ops)), ['bank-b:1:used', 'bank-a:-:circuit_open']);
    const closed = await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'closed', note: 'the bank says it is fine' } });
    assert.equal(closed.statusCode, 200, closed.body);
    assert.equal(closed.json().circuitOverride.until, null);
    await waitFor('bank-a forced closed', () => viewOf('bank-a')?.forced === 'closed');
    assert.deepEqual((await sale()).attempts.map((attempt) => attempt.channel), ['bank-a']);
    assert.equal((await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'auto', note: 'done' } })).statusCode, 200);
  });

  test('draining keeps new sales off a channel, its payments still take follow-ups, and undrain brings it back', async () => {
    // bank-a's breaker is still open from the test before: forced closed, it takes sales again.
    assert.equal((await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'closed', note: 'test' } })).statusCode, 200);
    await waitFor('bank-a forced closed', () => viewOf('bank-a')?.forced === 'closed');
    const onA = await sale('order-drain-1');
    assert.deepEqual(onA.attempts.map((attempt) => attempt.channel), ['bank-a']);
    const drained = await asUser(fixture.app, ops, 'PATCH', '/v1/channels/bank-a', { payload: { draining: true } });
    assert.equal(drained.statusCode, 200, drained.body);
    assert.equal(drained.json().draining, true);
    await waitFor('routing to drain bank-a', async () => routed(await explain(ops)).join() === 'bank-b:1:used,bank-a:-:draining');
    assert.deepEqual((await sale()).attempts.map((attempt) => attempt.channel), ['bank-b']);
    const voided = await fixture.app.inject({ method: 'POST', url: `/v1/payments/${onA.id}/void`, headers: { authorization: `Bearer ${fixture.adminKey}`, 'idempotency-key': 'drain-void' }, payload: {} });
    assert.equal(voided.statusCode, 201, voided.body);
    assert.equal(voided.json().status, 'approved', 'the void of a bank-a payment still went to bank-a');
    const followUps = await asUser(fixture.app, auditor, 'GET', `/v1/payments/${onA.id}/follow-ups`);
    assert.equal(followUps.statusCode, 200, followUps.body);
    assert.deepEqual((followUps.json().data as Array<{ id: string; kind: string }>).map((payment) => payment.kind), ['void']);
    assert.equal((await fixture.gateway.store.listEvents(0, 500, 'channel.drained')).length, 1);
    assert.equal((await asUser(fixture.app, ops, 'PATCH', '/v1/channels/bank-a', { payload: { draining: false } })).statusCode, 200);
    await waitFor('bank-a back in routing', async () => routed(await explain(ops)).join() === 'bank-a:1:used,bank-b:2:used');
    assert.equal((await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'auto', note: 'done' } })).statusCode, 200);
  });

  test('an auditor cannot force a circuit or drain; bad bodies are refused with the field', async () => {
    const refused = await asUser(fixture.app, auditor, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'open', note: 'x' } });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'RSW_AUTH_ROLE');
    assert.equal((await asUser(fixture.app, auditor, 'PATCH', '/v1/channels/bank-a', { payload: { draining: true } })).statusCode, 403);
    const auto = await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'auto', note: 'x', untilMinutes: 5 } });
    assert.equal(auto.statusCode, 400);
    assert.equal(auto.json().field, 'untilMinutes');
    assert.equal((await asUser(fixture.app, ops, 'POST', '/v1/channels/bank-a/circuit', { payload: { state: 'open', note: '' } })).statusCode, 400);
    assert.equal((await asUser(fixture.app, ops, 'POST', '/v1/channels/nope/circuit', { payload: { state: 'open', note: 'x' } })).statusCode, 404);
  });

  test('payments filter by reference', async () => {
    const tagged = await sale('order-ref-42');
    const found = await asUser(fixture.app, auditor, 'GET', '/v1/payments?reference=order-ref-42');
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual((found.json().data as Array<{ id: string }>).map((payment) => payment.id), [tagged.id]);
    assert.deepEqual((await asUser(fixture.app, auditor, 'GET', '/v1/payments?reference=order-ref-43')).json().data, []);
  });

  test('payments filter by settlement batch: exactly the payments with a fee line of its merchant and business date', async () => {
    const [inBatch, otherDay] = [await sale('order-batch-1'), await sale('order-batch-2')];
    const nowMs = Date.now();
    await fixture.gateway.store.write(async (tx) => {
      await tx.upsertSettlementBatch({ id: 'sb_test_1', merchantId: merchantA, businessDate: '2031-03-01', grossMinor: 0, refundsMinor: 0, feesMinor: 0, netMinor: 0, payoutDate: '2031-03-02', settleMode: 't1', state: 'closed', createdAtMs: nowMs });
      const line = { kind: 'fee' as const, method: 'card', plan: 'standard', rule: 'test', amountMinor: 1, feeMinor: 0, rateBps: 0, createdAtMs: nowMs };
      await tx.insertFeeLine({ ...line, id: 'fee_batch_test_1', paymentId: inBatch.id, merchantId: merchantA, businessDate: '2031-03-01' });
      await tx.insertFeeLine({ ...line, id: 'fee_batch_test_2', paymentId: otherDay.id, merchantId: merchantA, businessDate: '2031-03-02' });
    });
    const found = await asUser(fixture.app, auditor, 'GET', '/v1/payments?batch=sb_test_1');
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual((found.json().data as Array<{ id: string }>).map((payment) => payment.id), [inBatch.id]);
    assert.deepEqual((await asUser(fixture.app, auditor, 'GET', '/v1/payments?batch=sb_missing')).json().data, []);
    assert.equal((await asUser(fixture.app, auditor, 'GET', '/v1/payments?batch=bad%20id')).statusCode, 400);
  });
});
