// Goal: the server enforces the permission matrix (docs/console-access.md) on every /v1 route, for console
// roles and API keys with the same check, and confines merchant-bound users to their merchants.
// Method: the gateway composeGateway() wires, driven through inject. First, the route table covers every
// route the app serves (from its OpenAPI document). Then a table generated from the matrix: every
// protected route, asked by every role (and three kinds of key), is refused with RSW_AUTH_ROLE (keys:
// their old scope refusal) exactly when the matrix says so. Then hand-written critical cases: a cashier
// cannot refund, merchant A cannot see or refund merchant B's payment by id or in lists, an auditor
// changes nothing, an operator touches neither fee plans nor users.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateApiKey } from '../../../src/adapters/http/auth.ts';
import { permissionScopes, principalAllows, roles, type Permission } from '../../../src/core/access/permissions.ts';
import { routePermissions } from '../../../src/core/access/route-permissions.ts';
import { scopesAllow, type ApiScope } from '../../../src/core/access/api-scope.ts';
import { asUser, createConsoleFixture, logIn, merchantA, merchantB, terminalA, terminalB, type ConsoleFixture, type LoggedIn } from './console-fixture.ts';

/** A concrete URL for a route template: merchant ids are merchant A's (so merchant scoping lets it through), other ids do not exist. */
function concreteUrl(template: string): string {
  return template
    .replace(/^\/v1\/merchants\/:id/, `/v1/merchants/${merchantA}`)
    .replace(':merchantId', merchantA)
    .replace(':date', '2026-01-01')
    .replace(/:[A-Za-z]+/g, 'zz-missing-1');
}

describe('console roles and keys against every route', () => {
  let fixture: ConsoleFixture;
  const sessions = new Map<string, LoggedIn>();
  const keys = new Map<string, { key: string; scopes: readonly ApiScope[] }>();
  before(async () => {
    fixture = await createConsoleFixture();
    for (const role of roles) {
      const name = { admin: 'root', operator: 'ops', merchant: 'shop-a', cashier: 'till-a', auditor: 'audit' }[role];
      sessions.set(role, await logIn(fixture.app, name, fixture.passwords.get(name) ?? ''));
    }
    const nowMs = Date.now();
    const kinds: Array<[string, readonly ApiScope[], string | null]> = [
      ['admin key', ['admin'], null],
      ['till key', ['payments:write', 'payments:read', 'refunds:write'], merchantA],
      ['books key', ['settlements:read'], merchantA],
    ];
    await fixture.gateway.store.write(async (tx) => {
      for (const [label, scopes, merchantId] of kinds) {
        const created = generateApiKey({ scopes, merchantId }, label, nowMs);
        await tx.insertApiKey(created.record);
        keys.set(label, { key: created.key, scopes });
      }
    });
  });
  after(async () => fixture.close());

  test('the route table names every /v1 route the app serves, and nothing it does not serve', () => {
    const document = fixture.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const served = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const method of Object.keys(operations)) if (method !== 'head') served.add(`${method.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`);
    }
    const listed = new Set(Object.keys(routePermissions));
    assert.deepEqual([...served].filter((route) => !listed.has(route)), [], 'routes without an entry in route-permissions.ts');
    assert.deepEqual([...listed].filter((route) => !served.has(route)), [], 'entries for routes the app does not serve');
  });

  const protectedRoutes = Object.entries(routePermissions).filter((entry): entry is [string, Permission] => entry[1] !== 'public' && entry[1] !== 'session');

  for (const role of roles) {
    test(`role ${role}: refused exactly where the matrix says`, async () => {
      const session = sessions.get(role);
      assert.ok(session !== undefined);
      const wrong: string[] = [];
      for (const [route, permission] of protectedRoutes) {
        const [method = 'GET', template = ''] = route.split(' ');
        const allowed = principalAllows({ kind: 'user', role }, permission);
        const answer = await asUser(fixture.app, session, method, concreteUrl(template), method === 'GET' || method === 'DELETE' ? {} : { payload: {} });
        const code = answer.statusCode === 403 ? (answer.json() as { code?: string }).code : undefined;
        const refused = code === 'RSW_AUTH_ROLE';
        if (answer.statusCode === 401 || answer.statusCode >= 500 || refused === allowed) wrong.push(`${route} (${permission}): ${answer.statusCode} ${code ?? ''}, matrix says ${allowed ? 'allowed' : 'refused'}`);
      }
      assert.deepEqual(wrong, []);
    });
  }

  for (const kind of ['admin key', 'till key', 'books key']) {
    test(`${kind}: refused exactly where its scopes say, with the scope refusal keys always had`, async () => {
      const held = keys.get(kind);
      assert.ok(held !== undefined);
      const wrong: string[] = [];
      for (const [route, permission] of protectedRoutes) {
        const [method = 'GET', template = ''] = route.split(' ');
        const scope = permissionScopes[permission];
        const allowed = scopesAllow(held.scopes, scope);
        const answer = await fixture.app.inject({ method: method as 'GET', url: concreteUrl(template), headers: { authorization: `Bearer ${held.key}` }, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) });
        const code = answer.statusCode === 403 ? (answer.json() as { code?: string }).code : undefined;
        const refused = code === (scope === 'admin' ? 'RSW_AUTH_ADMIN_REQUIRED' : 'RSW_AUTH_SCOPE');
        if (answer.statusCode === 401 || answer.statusCode >= 500 || refused === allowed) wrong.push(`${route} (${scope}): ${answer.statusCode} ${code ?? ''}, scopes say ${allowed ? 'allowed' : 'refused'}`);
      }
      assert.deepEqual(wrong, []);
    });
  }
});

describe('critical cases', () => {
  let fixture: ConsoleFixture;
  let shop: LoggedIn;
  let till: LoggedIn;
  let auditor: LoggedIn;
  let ops: LoggedIn;
  before(async () => {
    fixture = await createConsoleFixture();
    const login = (name: string) => logIn(fixture.app, name, fixture.passwords.get(name) ?? '');
    [shop, till, auditor, ops] = [await login('shop-a'), await login('till-a'), await login('audit'), await login('ops')];
  });
  after(async () => fixture.close());
  const refund = (session: LoggedIn, paymentId: string, key: string) => asUser(fixture.app, session, 'POST', `/v1/payments/${paymentId}/refunds`, { payload: { amountMinor: 100 }, headers: { 'idempotency-key': key } });

  test('a cashier looks up its merchant’s payment but cannot refund, void, capture or cancel it', async () => {
    assert.equal((await asUser(fixture.app, till, 'GET', `/v1/payments/${fixture.paymentA}`)).statusCode, 200);
    for (const action of ['refunds', 'void', 'capture', 'cancel']) {
      const answer = await asUser(fixture.app, till, 'POST', `/v1/payments/${fixture.paymentA}/${action}`, { payload: {}, headers: { 'idempotency-key': `till-${action}` } });
      assert.equal(answer.statusCode, 403, action);
      assert.equal(answer.json().code, 'RSW_AUTH_ROLE');
    }
    assert.equal((await asUser(fixture.app, till, 'GET', `/v1/payments/${fixture.paymentB}`)).statusCode, 404, "another merchant's payment");
  });

  test("merchant A cannot read or refund merchant B's payment by id: 404, as if it did not exist", async () => {
    const read = await asUser(fixture.app, shop, 'GET', `/v1/payments/${fixture.paymentB}`);
    assert.equal(read.statusCode, 404);
    const missing = await asUser(fixture.app, shop, 'GET', '/v1/payments/pay_does_not_exist');
    assert.equal(read.json().code, missing.json().code);
    const refused = await refund(shop, fixture.paymentB, 'shop-a-refund-b');
    assert.equal(refused.statusCode, 404);
    const ledger = await fixture.gateway.store.listFollowUps(fixture.paymentB);
    assert.deepEqual(ledger, [], "nothing was done to B's payment");
    assert.equal((await refund(shop, fixture.paymentA, 'shop-a-refund-a')).statusCode, 201, 'its own payment it refunds');
  });

  test("merchant A's lists hold only merchant A: payments, CSV, terminals, merchants; B's objects by id are 404", async () => {
    const payments = (await asUser(fixture.app, shop, 'GET', '/v1/payments')).json().data as Array<{ merchantId: string; id: string }>;
    assert.ok(payments.some((payment) => payment.id === fixture.paymentA));
    assert.deepEqual([...new Set(payments.map((payment) => payment.merchantId))], [merchantA]);
    assert.deepEqual((await asUser(fixture.app, shop, 'GET', `/v1/payments?merchantId=${merchantB}`)).json().data, []);
    const csv = (await asUser(fixture.app, shop, 'GET', '/v1/payments.csv')).body;
    assert.ok(csv.includes(fixture.paymentA));
    assert.ok(!csv.includes(fixture.paymentB));
    const terminals = (await asUser(fixture.app, shop, 'GET', '/v1/terminals')).json().data as Array<{ id: string }>;
    assert.deepEqual(terminals.map((terminal) => terminal.id), [terminalA]);
    assert.deepEqual((await asUser(fixture.app, shop, 'GET', `/v1/terminals?merchantId=${merchantB}`)).json().data, []);
    assert.equal((await asUser(fixture.app, shop, 'GET', `/v1/terminals/${terminalB}`)).statusCode, 404);
    const merchants = (await asUser(fixture.app, shop, 'GET', '/v1/merchants')).json().data as Array<{ id: string }>;
    assert.deepEqual(merchants.map((merchant) => merchant.id), [merchantA]);
    for (const url of [`/v1/merchants/${merchantB}`, `/v1/merchants/${merchantB}/settlements?date=2026-01-01`, `/v1/merchants/${merchantB}/fee-lines?date=2026-01-01`, `/v1/settlements?merchantId=${merchantB}`]) {
      assert.equal((await asUser(fixture.app, shop, 'GET', url)).statusCode, 404, url);
    }
    assert.equal((await asUser(fixture.app, shop, 'GET', `/v1/merchants/${merchantA}/fee-lines?date=2026-01-01`)).statusCode, 200);
  });

  test('a merchant user bound to both merchants sees both, in one list', async () => {
    const root = await logIn(fixture.app, 'root', fixture.passwords.get('root') ?? '');
    const created = await asUser(fixture.app, root, 'POST', '/v1/users', { payload: { name: 'group', role: 'merchant', merchantIds: [merchantB, merchantA] } });
    assert.equal(created.statusCode, 201);
    assert.deepEqual(created.json().user.merchantIds, [merchantA, merchantB]);
    const group = await logIn(fixture.app, 'group', created.json().password);
    const ids = ((await asUser(fixture.app, group, 'GET', '/v1/payments')).json().data as Array<{ id: string }>).map((payment) => payment.id);
    assert.ok(ids.includes(fixture.paymentA) && ids.includes(fixture.paymentB));
    assert.equal((await asUser(fixture.app, group, 'GET', `/v1/payments/${fixture.paymentB}`)).statusCode, 200);
  });

  test('an auditor reads everything and changes nothing', async () => {
    assert.equal((await asUser(fixture.app, auditor, 'GET', `/v1/payments/${fixture.paymentB}`)).statusCode, 200);
    assert.equal((await asUser(fixture.app, auditor, 'GET', '/v1/users')).statusCode, 200);
    const attempts: Array<[string, string, unknown]> = [
      ['POST', `/v1/payments/${fixture.paymentA}/refunds`, { amountMinor: 1 }],
      ['PATCH', `/v1/terminals/${terminalA}`, { disabled: true }],
      ['PATCH', '/v1/channels/bank-a', { disabled: true }],
      ['PUT', '/v1/fee-plans/standard', {}],
      ['POST', '/v1/users', { name: 'sneaky', role: 'admin' }],
      ['PATCH', '/v1/users/audit', { role: 'admin' }],
    ];
    for (const [method, url, payload] of attempts) {
      const answer = await asUser(fixture.app, auditor, method, url, { payload, headers: { 'idempotency-key': `auditor-${url}` } });
      assert.equal(answer.statusCode, 403, `${method} ${url}`);
      assert.equal(answer.json().code, 'RSW_AUTH_ROLE');
    }
    assert.equal((await fixture.gateway.store.getConsoleUser('audit'))?.role, 'auditor');
    assert.equal((await fixture.gateway.store.getTerminal(terminalA))?.state, 'active');
  });

  test('an operator runs terminals but touches neither fee plans nor users nor money', async () => {
    const disabled = await asUser(fixture.app, ops, 'PATCH', `/v1/terminals/${terminalB}`, { payload: { disabled: true } });
    assert.equal(disabled.statusCode, 200, disabled.body);
    assert.equal((await asUser(fixture.app, ops, 'PATCH', `/v1/terminals/${terminalB}`, { payload: { disabled: false } })).statusCode, 200);
    for (const [method, url, payload] of [
      ['PUT', '/v1/fee-plans/standard', {}],
      ['POST', '/v1/users', { name: 'ops-friend', role: 'admin' }],
      ['PATCH', '/v1/users/ops', { role: 'admin' }],
      ['POST', '/v1/users/root/password-reset', undefined],
      ['POST', `/v1/payments/${fixture.paymentA}/refunds`, { amountMinor: 1 }],
    ] as Array<[string, string, unknown]>) {
      const answer = await asUser(fixture.app, ops, method, url, { payload, headers: { 'idempotency-key': `ops-${url}` } });
      assert.equal(answer.statusCode, 403, `${method} ${url}`);
      assert.equal(answer.json().code, 'RSW_AUTH_ROLE');
    }
  });

  test('merchant and cashier users do not read the gateway-wide event stream or audit log', async () => {
    for (const session of [shop, till]) {
      for (const url of ['/v1/events', '/v1/audit', '/v1/channels']) assert.equal((await asUser(fixture.app, session, 'GET', url)).statusCode, 403, url);
    }
  });
});
