// The web console in a real Chromium against a real gateway holding the demo's shop day
// (docs/console.md, "Tests"): each role logs in through the login page and sees its pages, with
// their data, in zh-CN and in en; a refund and a void are done from the console; a merchant's user
// sees and touches only its merchant (in the pages and through the API with its session cookie); a
// cashier gets no refund button and the API refuses it too; no page shows a test card's full number;
// failed logins are throttled. Chromium missing fails the suite (CI installs it).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { APIRequestContext, Page } from 'playwright-core';
import {
  fullCardNumbersOnPage,
  lotusId,
  noodlesId,
  logIn,
  logOut,
  openBrowser,
  openPage,
  startConsoleGateway,
  useLanguage,
  waitInPage,
  type ConsoleBrowser,
  type ConsoleGateway,
  type Role,
} from './console-harness.ts';

type Messages = Record<string, Record<string, unknown>>;
const locales: Record<'zh-CN' | 'en', Messages> = {
  'zh-CN': JSON.parse(readFileSync(fileURLToPath(new URL('../../console/src/locales/zh-CN.json', import.meta.url)), 'utf8')) as Messages,
  en: JSON.parse(readFileSync(fileURLToPath(new URL('../../console/src/locales/en.json', import.meta.url)), 'utf8')) as Messages,
};
const navText = (language: 'zh-CN' | 'en', page: string): string => String(locales[language].nav?.[page]);

/** The menu each role must see (the server's permission matrix decides what its pages may read). */
const expectedPages: Record<Role, string[]> = {
  admin: ['today', 'payments', 'failures', 'terminals', 'channels', 'manual', 'settlement', 'events', 'users'],
  operator: ['today', 'payments', 'failures', 'terminals', 'channels', 'manual', 'settlement', 'events'],
  merchant: ['today', 'payments', 'failures', 'terminals', 'settlement'],
  cashier: ['payments'],
  auditor: ['today', 'payments', 'failures', 'terminals', 'channels', 'manual', 'settlement', 'events', 'users'],
};

/** What must be on each page once its data arrived: a selector with at least one row, or a figure. */
const pageData: Record<string, string> = {
  today: '[data-test="today-sales"]',
  payments: '[data-test="payments-table"] tbody tr',
  failures: '[data-test="failures-table"]',
  terminals: '[data-test="terminals-table"] tbody tr',
  channels: '[data-test="channels-table"] tbody tr',
  manual: '[data-test="queue-depth"]',
  settlement: '[data-test="batches-table"]',
  events: '[data-test="events-table"] tbody tr',
  users: '[data-test="users-table"] tbody tr',
};

interface PaymentRow {
  id: string;
  merchantId: string;
  status: string;
  kind: string;
  amountMinor: number;
}

let gateway: ConsoleGateway;
let browser: ConsoleBrowser;

before(async () => {
  gateway = await startConsoleGateway();
  browser = await openBrowser();
});

// A test that failed half-way must not leave its user logged in for the next one.
afterEach(async () => {
  await browser?.context.clearCookies();
});

after(async () => {
  await browser?.close();
  await gateway?.stop();
});

async function menuOf(page: Page): Promise<string[]> {
  return page.$$eval('[data-nav]', (items) => items.map((item) => item.getAttribute('data-nav') ?? ''));
}

async function pageErrorsText(): Promise<string> {
  return browser.errors.join('\n');
}

/** Logs in through the API with the browser's cookie jar, for the direct API checks; returns the CSRF token. */
async function apiSession(request: APIRequestContext, user: { name: string; password: string }): Promise<string> {
  const answer = await request.post(`${gateway.url}/v1/sessions`, { data: { user: user.name, password: user.password } });
  assert.equal(answer.status(), 201, await answer.text());
  return String(((await answer.json()) as { csrfToken: string }).csrfToken);
}

async function approvedSalesOf(merchantId: string): Promise<PaymentRow[]> {
  const answer = await gateway.api('GET', `/v1/payments?merchantId=${merchantId}&status=approved&limit=200`);
  return ((answer.body as { data: PaymentRow[] }).data ?? []).filter((payment) => payment.kind === 'sale');
}

describe('the web console in Chromium', { timeout: 600_000 }, () => {
  test('the gateway serves the console: the page with a self-only CSP, hashed assets cached long, any console path falls back to the page', async () => {
    const index = await fetch(`${gateway.url}/console/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'; style-src 'self'/);
    assert.doesNotMatch(index.headers.get('content-security-policy') ?? '', /unsafe/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page names its entry script');
    const asset = await fetch(`${gateway.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
    const deepLink = await fetch(`${gateway.url}/console/payments/pay_0000`);
    assert.equal(deepLink.status, 200);
    assert.equal(await deepLink.text(), html);
    assert.equal((await fetch(`${gateway.url}/console/assets/missing-0000.js`)).status, 404);
    const settings = (await (await fetch(`${gateway.url}/console/settings.json`)).json()) as { timeZone: string };
    assert.equal(settings.timeZone, 'Asia/Shanghai');
  });

  for (const role of ['admin', 'operator', 'merchant', 'cashier', 'auditor'] as const) {
    test(`${role}: logs in, sees exactly its pages, each with its data in zh-CN and en, no full card number, no page error`, async () => {
      const { page } = browser;
      const user = gateway.users[role]!;
      await logIn(page, gateway.url, user);
      assert.deepEqual(await menuOf(page), expectedPages[role]);
      for (const language of ['zh-CN', 'en'] as const) {
        for (const name of expectedPages[role]) {
          await openPage(page, gateway.url, name);
          await useLanguage(page, language);
          assert.equal((await page.textContent('.page h1'))?.trim(), navText(language, name), `${role} ${name} ${language}: title`);
          await page.waitForSelector(pageData[name]!, { timeout: 15_000 });
          const alerts = await page.$$eval('.el-alert--error', (items) => items.map((item) => item.textContent ?? ''));
          assert.deepEqual(alerts, [], `${role} ${name} ${language}: no error shown`);
          assert.deepEqual(await fullCardNumbersOnPage(page), [], `${role} ${name} ${language}: no full card number`);
        }
      }
      // A page the role may not see sends it to its first page instead.
      if (!expectedPages[role].includes('users')) {
        await page.goto(`${gateway.url}/console/users`);
        await page.waitForSelector('.page h1');
        assert.notEqual(new URL(page.url()).pathname, '/console/users');
      }
      assert.equal(await pageErrorsText(), '');
      await logOut(page);
    });
  }

  test('a merchant voids one sale and refunds part of another from the console; a refund beyond what is left is refused in the server words', async () => {
    const { page } = browser;
    const sales = await approvedSalesOf(lotusId);
    assert.ok(sales.length >= 2, 'the demo has approved Lotus sales');
    const [toVoid, toRefund] = sales as [PaymentRow, PaymentRow];
    await logIn(page, gateway.url, gateway.users.merchant!);
    await useLanguage(page, 'en');

    await page.goto(`${gateway.url}/console/payments/${toVoid.id}`);
    await page.click('[data-test="void"]');
    await page.waitForSelector('[data-test="action-done"]', { timeout: 20_000 });
    await waitInPage(page, () => document.querySelector('[data-test="payment-status"]')?.textContent?.trim(), 'Voided');
    assert.equal(((await gateway.api('GET', `/v1/payments/${toVoid.id}`)).body as PaymentRow).status, 'voided');

    await page.goto(`${gateway.url}/console/payments/${toRefund.id}`);
    await page.click('[data-test="refund"]');
    await page.fill('input[data-test="refund-amount"]', '1.00');
    await page.click('[data-test="refund-confirm"]');
    await page.waitForSelector('[data-test="action-done"]', { timeout: 20_000 });
    await page.waitForSelector('[data-test="follow-ups"] tbody tr');
    const followUps = (await gateway.api('GET', `/v1/payments?merchantId=${lotusId}&limit=500`)).body as { data: Array<PaymentRow & { originalPaymentId: string | null }> };
    const refunds = followUps.data.filter((payment) => payment.originalPaymentId === toRefund.id && payment.kind === 'refund');
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0]!.amountMinor, 100);

    // More than is left: the server refuses and the page says why, in the API's own words.
    await page.click('[data-test="refund"]');
    await page.fill('input[data-test="refund-amount"]', String(toRefund.amountMinor));
    await page.click('[data-test="refund-confirm"]');
    await page.waitForSelector('[data-test="action-error"]', { timeout: 20_000 });
    assert.match((await page.textContent('[data-test="action-error"]')) ?? '', /RSW_TXN_REFUND_EXCEEDS/);
    await logOut(page);
  });

  test('failure analytics drills down from a cause to its payments and exports the breakdown as CSV', async () => {
    const { page } = browser;
    await logIn(page, gateway.url, gateway.users.admin!);
    await openPage(page, gateway.url, 'failures');
    await useLanguage(page, 'en');
    await page.waitForSelector('[data-test="failures-table"] tbody tr');
    const download = page.waitForEvent('download');
    await page.click('[data-test="failures-csv"]');
    const csv = readFileSync(await (await download).path(), 'utf8');
    assert.match(csv, /^\uFEFF?by,group,article_cause/);
    const firstCause = (await page.textContent('[data-test="failures-table"] tbody tr td'))?.trim() ?? '';
    await page.click('[data-test="drill"]');
    await page.waitForSelector('[data-test="payments-table"] tbody tr');
    assert.equal(new URL(page.url()).pathname, '/console/payments');
    assert.ok(new URL(page.url()).searchParams.get('category'), 'the drill-down names the cause');
    const reasons = await page.$$eval('[data-test="reason"]', (cells) => cells.map((cell) => cell.textContent ?? ''));
    assert.ok(reasons.length > 0);
    for (const reason of reasons) assert.ok(reason.startsWith(firstCause), `${reason} is a ${firstCause} failure`);
    await logOut(page);
  });

  test('an operator forces a channel open and sees it, and the "which channel would this sale take" form answers why it is skipped', async () => {
    const { page } = browser;
    await logIn(page, gateway.url, gateway.users.operator!);
    await openPage(page, gateway.url, 'channels');
    await useLanguage(page, 'en');
    await page.waitForSelector('[data-test="channels-table"] tbody tr');
    const name = ((await page.textContent('[data-test="channels-table"] tbody tr td:nth-child(2)')) ?? '').trim();
    assert.ok(name !== '', 'the demo has a channel');
    await page.click(`[data-test="force-open-${name}"]`);
    await page.fill('input[data-test="hold-note"]', 'bank maintenance (console test)');
    await page.fill('input[data-test="hold-minutes"]', '30');
    await page.click('[data-test="hold-confirm"]');
    await page.waitForSelector(`[data-test="forced-${name}"]`, { timeout: 20_000 });
    assert.match((await page.textContent(`[data-test="forced-${name}"]`)) ?? '', /Forced Open by user:oscar-operator.*bank maintenance/);
    const stored = (await gateway.api('GET', `/v1/channels/${name}`)).body as { circuitOverride: { state: string; by: string } | null };
    assert.equal(stored.circuitOverride?.state, 'open');

    // The routing decision of the node answering: the channel is skipped as forced open once the node re-read it (a notice away).
    await page.fill('input[data-test="explain-merchant"]', lotusId);
    await page.fill('input[data-test="explain-amount"]', '12.50');
    await page.fill('input[data-test="explain-bin"]', '622202');
    const skippedRow = async (): Promise<string> => {
      await page.click('[data-test="explain-run"]');
      await page.waitForSelector('[data-test="explain-table"] tbody tr', { timeout: 20_000 });
      const rows = await page.$$eval('[data-test="explain-table"] tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      return rows.find((row) => row.includes(name)) ?? '';
    };
    let row = await skippedRow();
    for (let tries = 0; tries < 50 && !row.includes('circuit forced open'); tries++) {
      await page.waitForTimeout(100);
      row = await skippedRow();
    }
    assert.match(row, /skipped: circuit forced open by an operator/);
    assert.match((await page.textContent('[data-test="explain-rule"]')) ?? '', /Rule: /);

    await page.click(`[data-test="force-auto-${name}"]`);
    await page.fill('input[data-test="hold-note"]', 'maintenance over');
    await page.click('[data-test="hold-confirm"]');
    await page.waitForSelector(`[data-test="forced-${name}"]`, { state: 'detached', timeout: 20_000 });
    assert.equal(((await gateway.api('GET', `/v1/channels/${name}`)).body as { circuitOverride: unknown }).circuitOverride, null);
    await logOut(page);
  });

  test("a merchant's user neither sees nor touches another merchant's payments, in the pages or through the API with its cookie", async () => {
    const { page, context } = browser;
    const noodlesSale = (await approvedSalesOf(noodlesId))[0];
    assert.ok(noodlesSale, 'the demo has an approved Noodles sale');
    await logIn(page, gateway.url, gateway.users.merchant!);
    await openPage(page, gateway.url, 'payments');
    await page.waitForSelector('[data-test="payments-table"] tbody tr');
    const merchants = await page.$$eval('[data-test="payments-table"] tbody tr td:nth-child(2)', (cells) => [...new Set(cells.map((cell) => cell.textContent?.trim() ?? ''))]);
    assert.deepEqual(merchants, [lotusId]);
    await page.goto(`${gateway.url}/console/payments/${noodlesSale.id}`);
    await page.waitForSelector('.el-alert--error');
    assert.equal(await page.$('[data-test="refund"]'), null);

    const csrf = await apiSession(context.request, gateway.users.merchant!);
    assert.equal((await context.request.get(`${gateway.url}/v1/payments/${noodlesSale.id}`)).status(), 404);
    const listed = (await (await context.request.get(`${gateway.url}/v1/payments?merchantId=${noodlesId}`)).json()) as { data: unknown[] };
    assert.deepEqual(listed.data, []);
    const refund = await context.request.post(`${gateway.url}/v1/payments/${noodlesSale.id}/refunds`, { data: { amountMinor: 100 }, headers: { 'x-csrf-token': csrf, 'idempotency-key': 'console-test-cross-merchant' } });
    assert.equal(refund.status(), 404);
    assert.equal(((await gateway.api('GET', `/v1/payments?merchantId=${noodlesId}&limit=500`)).body as { data: Array<{ kind: string }> }).data.filter((payment) => payment.kind === 'refund').length, 0);
    await logOut(page);
  });

  test('a cashier gets no refund or void button, and the API refuses the refund with its cookie', async () => {
    const { page, context } = browser;
    const sale = (await approvedSalesOf(lotusId)).at(-1);
    assert.ok(sale);
    await logIn(page, gateway.url, gateway.users.cashier!);
    await page.goto(`${gateway.url}/console/payments/${sale.id}`);
    await page.waitForSelector('[data-test="payment-status"]');
    assert.equal(await page.$('[data-test="refund"]'), null);
    assert.equal(await page.$('[data-test="void"]'), null);
    const csrf = await apiSession(context.request, gateway.users.cashier!);
    const refund = await context.request.post(`${gateway.url}/v1/payments/${sale.id}/refunds`, { data: { amountMinor: 100 }, headers: { 'x-csrf-token': csrf, 'idempotency-key': 'console-test-cashier-refund' } });
    assert.equal(refund.status(), 403, await refund.text());
    await logOut(page);
  });

  // Last: the throttle may count by client address, and every browser here shares 127.0.0.1.
  test('failed logins are throttled, and the login page says how long to wait', async () => {
    const { page } = browser;
    await page.goto(`${gateway.url}/console/login`);
    await useLanguage(page, 'en');
    let throttled = false;
    for (let attempt = 0; attempt < 30 && !throttled; attempt += 1) {
      await page.fill('input[data-test="login-user"]', 'lotus-owner');
      await page.fill('input[data-test="login-password"]', `wrong-password-${attempt}`);
      await page.click('[data-test="login-submit"]');
      await page.waitForSelector('[data-test="login-error"]');
      const text = (await page.textContent('[data-test="login-error"]')) ?? '';
      throttled = /Too many failed logins/.test(text);
      if (!throttled) assert.match(text, /Wrong user name or password/);
    }
    assert.ok(throttled, 'the login page showed the throttling message');
    const direct = await fetch(`${gateway.url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'lotus-owner', password: gateway.users.merchant!.password }) });
    assert.equal(direct.status, 429);
    assert.ok(Number(direct.headers.get('retry-after')) > 0);
  });
});
