// Goal: console sessions keep their contract (docs/console-access.md): login, current session and logout;
// the same 401 for an unknown user and a wrong password; throttling after five failures per user name and
// per client address, kept in the store so it outlives the process; CSRF on cookie requests that change
// state; the idle timeout and lifetime; a disabled user's session dying at once; a password change ending
// the other sessions; audit records naming the user. Method: the gateway composeGateway() wires, driven
// through inject, with its clock moved forward where time matters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asUser, createConsoleFixture, logIn, merchantA, type ConsoleFixture } from './console-fixture.ts';

describe('console sessions', () => {
  let fixture: ConsoleFixture;
  before(async () => {
    fixture = await createConsoleFixture();
  });
  after(async () => fixture.close());
  const password = (name: string): string => fixture.passwords.get(name) ?? '';

  test('login answers the user, role, merchants, CSRF token and idle timeout, and sets an HttpOnly SameSite=Strict cookie', async () => {
    const session = await logIn(fixture.app, 'shop-a', password('shop-a'));
    assert.deepEqual(session.body.user, { name: 'shop-a', role: 'merchant', merchantIds: [merchantA] });
    assert.equal(session.body.idleTimeoutSeconds, 30 * 60);
    assert.match(session.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.match(session.setCookie, /^reswipe_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/, 'no Secure on a plain-HTTP listener');
    const current = await asUser(fixture.app, session, 'GET', '/v1/sessions/current');
    assert.equal(current.statusCode, 200);
    assert.deepEqual(current.json(), session.body);
  });

  test('only the hash of the session id is stored', async () => {
    const session = await logIn(fixture.app, 'ops', password('ops'));
    const id = session.cookie.split('=')[1] ?? '';
    assert.equal(await fixture.gateway.store.findConsoleSession(id), null);
    const { createHash } = await import('node:crypto');
    assert.notEqual(await fixture.gateway.store.findConsoleSession(createHash('sha256').update(id).digest('hex')), null);
  });

  test('logout needs the CSRF token, ends the session and clears the cookie', async () => {
    const session = await logIn(fixture.app, 'ops', password('ops'));
    const refused = await asUser(fixture.app, session, 'DELETE', '/v1/sessions/current', { csrf: null });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'RSW_CSRF_TOKEN_MISSING');
    const out = await asUser(fixture.app, session, 'DELETE', '/v1/sessions/current');
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /^reswipe_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
    const after = await asUser(fixture.app, session, 'GET', '/v1/sessions/current');
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().code, 'RSW_SESSION_MISSING');
  });

  test('without a cookie the current session is 401, and an API key has no session', async () => {
    const none = await fixture.app.inject({ method: 'GET', url: '/v1/sessions/current' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'RSW_SESSION_MISSING');
    const key = await fixture.app.inject({ method: 'GET', url: '/v1/sessions/current', headers: { authorization: `Bearer ${fixture.adminKey}` } });
    assert.equal(key.statusCode, 401);
  });

  test('an unknown user and a wrong password get the same answer', async () => {
    const wrong = await fixture.app.inject({ method: 'POST', url: '/v1/sessions', payload: { user: 'ops', password: 'not-the-password' }, remoteAddress: '10.9.0.1' });
    const unknown = await fixture.app.inject({ method: 'POST', url: '/v1/sessions', payload: { user: 'nobody', password: 'not-the-password' }, remoteAddress: '10.9.0.2' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    assert.deepEqual(strip(wrong.json()), strip(unknown.json()));
    assert.equal(wrong.json().code, 'RSW_LOGIN_FAILED');
    assert.equal(wrong.headers['set-cookie'], undefined);
  });

  test('CSRF: a cookie request that changes state without the token or with another is refused, with it accepted; an API key needs none', async () => {
    const session = await logIn(fixture.app, 'root', password('root'));
    const body = { name: 'csrf-check', role: 'auditor' };
    const missing = await asUser(fixture.app, session, 'POST', '/v1/users', { payload: body, csrf: null });
    assert.equal(missing.statusCode, 403);
    assert.equal(missing.json().code, 'RSW_CSRF_TOKEN_MISSING');
    const wrong = await asUser(fixture.app, session, 'POST', '/v1/users', { payload: body, csrf: 'x'.repeat(43) });
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().code, 'RSW_CSRF_TOKEN_INVALID');
    assert.equal(await fixture.gateway.store.getConsoleUser('csrf-check'), null, 'nothing was created by the refused requests');
    const right = await asUser(fixture.app, session, 'POST', '/v1/users', { payload: body });
    assert.equal(right.statusCode, 201);
    assert.match(right.json().password, /^[A-Za-z0-9]{20}$/);
    const byKey = await fixture.app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${fixture.adminKey}` }, payload: { name: 'csrf-check-key', role: 'auditor' } });
    assert.equal(byKey.statusCode, 201);
  });

  test('the idle timeout ends a session left alone; use keeps it alive until its lifetime', async () => {
    const idle = await logIn(fixture.app, 'audit', password('audit'));
    const busy = await logIn(fixture.app, 'audit', password('audit'));
    fixture.advance(20 * 60_000);
    assert.equal((await asUser(fixture.app, busy, 'GET', '/v1/sessions/current')).statusCode, 200);
    fixture.advance(20 * 60_000);
    const ended = await asUser(fixture.app, idle, 'GET', '/v1/payments');
    assert.equal(ended.statusCode, 401);
    assert.equal(ended.json().code, 'RSW_SESSION_EXPIRED');
    assert.equal((await asUser(fixture.app, busy, 'GET', '/v1/payments')).statusCode, 200, 'used 20 minutes ago: alive');
    for (let step = 0; step < 12 * 3; step += 1) {
      fixture.advance(20 * 60_000);
      const answer = await asUser(fixture.app, busy, 'GET', '/v1/sessions/current');
      if (answer.statusCode !== 200) {
        assert.equal(answer.json().code, 'RSW_SESSION_EXPIRED');
        return;
      }
    }
    assert.fail('a session used every 20 minutes must still end after console.sessionMaxHours');
  });

  test("disabling a user ends their sessions at once; enabling does not bring them back", async () => {
    const root = await logIn(fixture.app, 'root', password('root'));
    const created = await asUser(fixture.app, root, 'POST', '/v1/users', { payload: { name: 'temp-cashier', role: 'cashier', merchantIds: [merchantA] } });
    assert.equal(created.statusCode, 201);
    const cashier = await logIn(fixture.app, 'temp-cashier', created.json().password);
    assert.equal((await asUser(fixture.app, cashier, 'GET', '/v1/payments')).statusCode, 200);
    const disabled = await asUser(fixture.app, root, 'PATCH', '/v1/users/temp-cashier', { payload: { disabled: true } });
    assert.equal(disabled.statusCode, 200);
    assert.equal(disabled.json().disabled, true);
    assert.equal((await asUser(fixture.app, cashier, 'GET', '/v1/payments')).statusCode, 401);
    const relogin = await fixture.app.inject({ method: 'POST', url: '/v1/sessions', payload: { user: 'temp-cashier', password: created.json().password }, remoteAddress: '10.8.0.1' });
    assert.equal(relogin.statusCode, 401, 'a disabled user cannot log in');
    assert.equal((await asUser(fixture.app, root, 'PATCH', '/v1/users/temp-cashier', { payload: { disabled: false } })).statusCode, 200);
    assert.equal((await asUser(fixture.app, cashier, 'GET', '/v1/payments')).statusCode, 401);
  });

  test('changing one’s own password checks the current one and the strength rule, and ends the other sessions', async () => {
    const root = await logIn(fixture.app, 'root', password('root'));
    const created = await asUser(fixture.app, root, 'POST', '/v1/users', { payload: { name: 'changer', role: 'operator' } });
    const first = created.json().password as string;
    const one = await logIn(fixture.app, 'changer', first);
    const two = await logIn(fixture.app, 'changer', first);
    const wrong = await asUser(fixture.app, one, 'POST', '/v1/sessions/current/password', { payload: { currentPassword: 'nope-nope-nope', newPassword: 'Another-Good-Pass-1' } });
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().code, 'RSW_PASSWORD_WRONG');
    const weak = await asUser(fixture.app, one, 'POST', '/v1/sessions/current/password', { payload: { currentPassword: first, newPassword: 'short' } });
    assert.equal(weak.statusCode, 422);
    assert.equal(weak.json().code, 'RSW_PASSWORD_WEAK');
    const changed = await asUser(fixture.app, one, 'POST', '/v1/sessions/current/password', { payload: { currentPassword: first, newPassword: 'Another-Good-Pass-1' } });
    assert.equal(changed.statusCode, 204);
    assert.equal((await asUser(fixture.app, one, 'GET', '/v1/sessions/current')).statusCode, 200, 'the session that changed it stays');
    assert.equal((await asUser(fixture.app, two, 'GET', '/v1/sessions/current')).statusCode, 401, 'the other session ended');
    await logIn(fixture.app, 'changer', 'Another-Good-Pass-1');
  });

  test('an admin password reset gives a new password once and ends the user’s sessions', async () => {
    const root = await logIn(fixture.app, 'root', password('root'));
    const created = await asUser(fixture.app, root, 'POST', '/v1/users', { payload: { name: 'forgetful', role: 'auditor' } });
    const session = await logIn(fixture.app, 'forgetful', created.json().password);
    const reset = await asUser(fixture.app, root, 'POST', '/v1/users/forgetful/password-reset');
    assert.equal(reset.statusCode, 200);
    assert.notEqual(reset.json().password, created.json().password);
    assert.equal((await asUser(fixture.app, session, 'GET', '/v1/sessions/current')).statusCode, 401);
    await logIn(fixture.app, 'forgetful', reset.json().password);
  });

  test('audit records carry the user: logins, failed logins (never the password), user changes, refunds', async () => {
    const shop = await logIn(fixture.app, 'shop-a', password('shop-a'));
    const refund = await asUser(fixture.app, shop, 'POST', `/v1/payments/${fixture.paymentA}/refunds`, { payload: { amountMinor: 100 }, headers: { 'idempotency-key': 'audit-refund-1' } });
    assert.equal(refund.statusCode, 201, refund.body);
    await fixture.app.inject({ method: 'POST', url: '/v1/sessions', payload: { user: 'shop-a', password: 'Secret-Tried-123' }, remoteAddress: '10.7.0.1' });
    const audit = await fixture.app.inject({ method: 'GET', url: '/v1/audit?limit=500', headers: { authorization: `Bearer ${fixture.adminKey}` } });
    const records = audit.json().data as Array<{ actor: string; action: string; subjectId: string | null; detail: Record<string, unknown> }>;
    assert.ok(records.some((record) => record.action === 'session.login' && record.actor === 'user:shop-a'));
    assert.ok(records.some((record) => record.action === 'payment.refund' && record.actor === 'user:shop-a'));
    assert.ok(records.some((record) => record.action === 'user.create' && record.actor === 'user:root'));
    assert.ok(records.some((record) => record.action === 'user.update' && record.actor === 'user:root'));
    assert.ok(records.some((record) => record.action === 'session.logout' && record.actor === 'user:ops'));
    const failed = records.find((record) => record.action === 'session.login_failed' && record.subjectId === 'shop-a');
    assert.ok(failed !== undefined);
    assert.doesNotMatch(JSON.stringify(records), /Secret-Tried-123|not-the-password/);
  });

  test('the last enabled admin can be neither disabled nor demoted', async () => {
    const root = await logIn(fixture.app, 'root', password('root'));
    for (const payload of [{ disabled: true }, { role: 'operator' }]) {
      const refused = await asUser(fixture.app, root, 'PATCH', '/v1/users/root', { payload });
      assert.equal(refused.statusCode, 400, JSON.stringify(payload));
      assert.match(refused.json().reason, /last enabled admin/);
    }
    assert.equal((await fixture.gateway.store.getConsoleUser('root'))?.role, 'admin');
  });

  test('an auditor reads the audit log as a console user', async () => {
    const auditor = await logIn(fixture.app, 'audit', password('audit'));
    const answer = await asUser(fixture.app, auditor, 'GET', '/v1/audit');
    assert.equal(answer.statusCode, 200);
  });
});

describe('login throttling', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-console-throttle-'));
  let fixture: ConsoleFixture;
  before(async () => {
    fixture = await createConsoleFixture({ dir });
  });
  after(async () => {
    await fixture.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const attempt = (user: string, password: string, remoteAddress: string) => fixture.app.inject({ method: 'POST', url: '/v1/sessions', payload: { user, password }, remoteAddress });

  test('by user name: five failures from five addresses, then the sixth try is 429 even with the right password', async () => {
    for (let n = 1; n <= 5; n += 1) assert.equal((await attempt('ops', 'wrong-password-x', `10.1.0.${n}`)).statusCode, 401);
    const sixth = await attempt('ops', fixture.passwords.get('ops') ?? '', '10.1.0.6');
    assert.equal(sixth.statusCode, 429);
    assert.equal(sixth.json().code, 'RSW_LOGIN_THROTTLED');
    const retryAfterS = Number(sixth.headers['retry-after']);
    assert.ok(retryAfterS > 0 && retryAfterS <= 15 * 60, `Retry-After ${retryAfterS}`);
    assert.equal((await attempt('root', fixture.passwords.get('root') ?? '', '10.1.0.7')).statusCode, 201, 'another user from another address is not held');
  });

  test('by client address: five failures for five names, then the sixth try from that address is 429', async () => {
    for (let n = 1; n <= 5; n += 1) assert.equal((await attempt(`guess-${n}`, 'wrong-password-x', '10.2.0.1')).statusCode, 401);
    const sixth = await attempt('audit', fixture.passwords.get('audit') ?? '', '10.2.0.1');
    assert.equal(sixth.statusCode, 429);
    assert.equal(sixth.json().code, 'RSW_LOGIN_THROTTLED');
    assert.equal((await attempt('audit', fixture.passwords.get('audit') ?? '', '10.2.0.2')).statusCode, 201, 'the same user from another address logs in');
  });

  test('the count is in the store: a restarted gateway on the same database still refuses, and the window ends it', async () => {
    const passwords = fixture.passwords;
    await fixture.close();
    fixture = await createConsoleFixture({ dir, seed: false });
    const again = await attempt('ops', passwords.get('ops') ?? '', '10.1.0.9');
    assert.equal(again.statusCode, 429);
    fixture.advance(15 * 60_000 + 1000);
    assert.equal((await attempt('ops', passwords.get('ops') ?? '', '10.1.0.9')).statusCode, 201);
  });
});

describe('console disabled', () => {
  let fixture: ConsoleFixture;
  before(async () => {
    fixture = await createConsoleFixture({ configOverrides: { console: { enabled: false } } });
  });
  after(async () => fixture.close());

  test('no login route, and a session cookie is not looked at', async () => {
    const login = await fixture.app.inject({ method: 'POST', url: '/v1/sessions', payload: { user: 'root', password: fixture.passwords.get('root') } });
    assert.equal(login.statusCode, 404);
    const withCookie = await fixture.app.inject({ method: 'GET', url: '/v1/payments', headers: { cookie: `reswipe_session=${'a'.repeat(43)}` } });
    assert.equal(withCookie.statusCode, 401);
    assert.equal(withCookie.json().code, 'RSW_AUTH_MISSING');
  });
});
