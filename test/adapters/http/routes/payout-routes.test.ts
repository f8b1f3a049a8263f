// Goal: over the HTTP API, a merchant key reads its own settlements, statements (machine CSV, the Chinese layout, the monthly HTML page), payouts, fee lines and masked account, and is refused another merchant's (403 for the merchant in the path, 404 for another's payout); payout routes and the answer import are admin only. Method: the real app over a real SQLite store (http-fixture), a settled day and payouts made through the use cases, then app.inject requests with keys of each kind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalKeyVault } from '../../../../src/adapters/crypto/terminal-key-vault.ts';
import { generateApiKey } from '../../../../src/adapters/http/auth.ts';
import { recordFeesForApprovedPayment } from '../../../../src/app/fees/record-payment-fees.ts';
import { settleMerchantDay } from '../../../../src/app/fees/settle-day.ts';
import { createPayouts } from '../../../../src/app/payouts/create-payouts.ts';
import { exportPayoutFile } from '../../../../src/app/payouts/export-payout-file.ts';
import type { PayoutDeps } from '../../../../src/app/payouts/payout-deps.ts';
import { setPayoutAccount } from '../../../../src/app/payouts/set-payout-account.ts';
import { builtinFeePlans, builtinHolidayCalendar } from '../../../../src/core/fees/builtin-fee-plans.ts';
import { payment } from '../../store/store-fixtures.ts';
import { bearer, createHttpFixture, merchantId, otherMerchantId, type HttpFixture } from '../http-fixture.ts';

const at = (local: string): number => Date.parse(`${local}+08:00`);
const date = '2026-06-18';
let fixture: HttpFixture;
let ownKey = '';
let otherKey = '';
let fileId = '';
const payoutIds: Record<string, string> = {};

before(async () => {
  fixture = await createHttpFixture();
  const store = fixture.engine.store;
  const nowMs = Date.now();
  const own = generateApiKey({ scopes: ['settlements:read'], merchantId }, 'statements', nowMs);
  const other = generateApiKey({ scopes: ['settlements:read'], merchantId: otherMerchantId }, 'statements other', nowMs);
  await store.write(async (tx) => {
    await tx.insertApiKey(own.record);
    await tx.insertApiKey(other.record);
    for (const [id, merchant, amountMinor] of [['s1', merchantId, 33_333], ['s2', otherMerchantId, 10_000]] as const) {
      const sale = payment(id, merchant, { terminalId: null, amountMinor, cardType: 'credit', createdAtMs: at(`${date}T10:00:00`), updatedAtMs: at(`${date}T10:00:00`) });
      await tx.insertPayment(sale);
      await recordFeesForApprovedPayment(tx, sale, { plans: builtinFeePlans, merchantFeePlan: 'standard', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs });
    }
  });
  ownKey = own.key;
  otherKey = other.key;
  const deps: PayoutDeps = { store, vault: TerminalKeyVault.fromSettings({ developmentMode: true }), calendar: builtinHolidayCalendar, timeZone: 'Asia/Shanghai', cutoff: '23:00', actor: 'cli:test' };
  for (const id of [merchantId, otherMerchantId]) {
    await settleMerchantDay(store, id, date, { timeZone: 'Asia/Shanghai', cutoff: '23:00', settleMode: 't1', calendar: builtinHolidayCalendar }, at('2026-06-19T01:00:00'));
    await setPayoutAccount(deps, id, { bankCode: '102100099996', accountName: `户名 ${id}`, accountNumber: '6222020200112233445' }, nowMs);
  }
  for (const result of await createPayouts(deps, date, at('2026-06-19T02:00:00'))) if ('payout' in result) payoutIds[result.merchantId] = result.payout.id;
  // Sent on Friday 19 June (a working day before the Dragon Boat Festival): expected Monday 22 June.
  fileId = (await exportPayoutFile(deps, at('2026-06-19T09:00:00')))?.fileId ?? '';
});

after(async () => {
  await fixture.close();
});

async function get(url: string, key: string) {
  return fixture.app.inject({ method: 'GET', url, headers: bearer(key) });
}

test('a merchant key reads its own settlements, payouts, fee lines and masked account', async () => {
  const settlements = await get(`/v1/merchants/${merchantId}/settlements?date=${date}`, ownKey);
  assert.equal(settlements.statusCode, 200, settlements.body);
  assert.deepEqual(settlements.json().data.map((b: { netMinor: number }) => b.netMinor), [33_333 - 200]);
  const payouts = await get(`/v1/merchants/${merchantId}/payouts`, ownKey);
  assert.equal(payouts.statusCode, 200);
  const [view] = payouts.json().data;
  assert.deepEqual([view.state, view.expectedArrivalDate, view.actualArrivalDate, view.accountNumberMasked, view.amountYuan], ['sent', '2026-06-22', null, '****3445', '331.33']);
  assert.ok(!payouts.body.includes('6222020200112233445') && !payouts.body.includes('Sealed'));
  const one = await get(`/v1/merchants/${merchantId}/payouts/${payoutIds[merchantId]}`, ownKey);
  assert.equal(one.statusCode, 200);
  const fees = await get(`/v1/merchants/${merchantId}/fee-lines?from=2026-06-01&to=2026-06-30`, ownKey);
  assert.equal(fees.statusCode, 200);
  assert.deepEqual(fees.json().data.map((line: { feeMinor: number }) => line.feeMinor), [200]);
  const account = await get(`/v1/merchants/${merchantId}/payout-account`, ownKey);
  assert.equal(account.statusCode, 200);
  assert.equal(account.json().accountNumberMasked, '****3445');
  assert.ok(!account.body.includes('6222020200112233445'));
});

test("another merchant's data: 403 for the merchant in the path, 404 for its payout under one's own path", async () => {
  for (const path of ['settlements?date=2026-06-18', 'payouts', `statements/${date}`, 'statements/monthly?month=2026-06', 'fee-lines?date=2026-06-18', 'payout-account', `payouts/${payoutIds[otherMerchantId]}`]) {
    const response = await get(`/v1/merchants/${otherMerchantId}/${path}`, ownKey);
    assert.equal(response.statusCode, 403, path);
    assert.equal(response.json().code, 'RSW_AUTH_MERCHANT_SCOPE', path);
  }
  const foreign = await get(`/v1/merchants/${merchantId}/payouts/${payoutIds[otherMerchantId]}`, ownKey);
  assert.equal(foreign.statusCode, 404);
  assert.equal(foreign.json().code, 'RSW_PAYOUT_NOT_FOUND');
  // The other merchant's own key reads it.
  assert.equal((await get(`/v1/merchants/${otherMerchantId}/payouts/${payoutIds[otherMerchantId]}`, otherKey)).statusCode, 200);
  // A till key without settlements:read reads nothing here; no key at all is 401.
  const till = await get(`/v1/merchants/${merchantId}/payouts`, fixture.merchantKey);
  assert.equal(till.statusCode, 403);
  assert.equal(till.json().code, 'RSW_AUTH_SCOPE');
  assert.equal((await fixture.app.inject({ method: 'GET', url: `/v1/merchants/${merchantId}/payouts` })).statusCode, 401);
  // Admin reads any merchant.
  assert.equal((await get(`/v1/merchants/${otherMerchantId}/payouts`, fixture.adminKey)).statusCode, 200);
});

test('statements: machine CSV, the Chinese layout with yuan, and the printable monthly page with its own CSP', async () => {
  const machine = await get(`/v1/merchants/${merchantId}/statements/${date}`, ownKey);
  assert.equal(machine.statusCode, 200, machine.body);
  assert.match(machine.headers['content-type'] as string, /^text\/csv/);
  assert.ok(machine.body.startsWith('record_type,merchant_id,'));
  const zh = await get(`/v1/merchants/${merchantId}/statements/${date}?layout=zh`, ownKey);
  assert.equal(zh.statusCode, 200);
  assert.ok(zh.body.startsWith('\uFEFF记录类型,商户号,'));
  assert.ok(zh.body.includes(',333.33,2.00,331.33,0.60,'));
  assert.equal((await get(`/v1/merchants/${merchantId}/statements/${date}?layout=xml`, ownKey)).statusCode, 400);
  const monthly = await get(`/v1/merchants/${merchantId}/statements/monthly?month=2026-06&format=html`, ownKey);
  assert.equal(monthly.statusCode, 200);
  assert.match(monthly.headers['content-type'] as string, /^text\/html/);
  assert.match(monthly.headers['content-security-policy'] as string, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; frame-ancestors 'none'$/);
  assert.ok(monthly.body.includes('¥331.33') && monthly.body.includes('已发送 sent') && monthly.body.includes('2026-06-22'));
  const json = await get(`/v1/merchants/${merchantId}/statements/monthly?month=2026-06&format=json`, ownKey);
  assert.equal(json.json().totals.netMinor, 33_133);
  const bad = await get(`/v1/merchants/${merchantId}/statements/monthly?month=2026-13`, ownKey);
  assert.equal(bad.statusCode, 400);
  // Downloads are audited with the key that took them.
  const audits = await fixture.engine.store.listAudit({ limit: 20, action: 'settlement.export' });
  assert.deepEqual(audits.map((a) => a.detail).reverse().slice(0, 3), [{ date, layout: 'machine' }, { date, layout: 'zh' }, { month: '2026-06', format: 'html' }]);
  // Other answers keep the API's nothing-loads policy.
  assert.equal(machine.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
});

test('payout routes and the answer import are admin only; an answer marks paid and failed', async () => {
  assert.equal((await get('/v1/payouts', ownKey)).statusCode, 403);
  const list = await get(`/v1/payouts?fileId=${fileId}`, fixture.adminKey);
  assert.equal(list.statusCode, 200);
  assert.equal(list.json().data.length, 2);
  const answer = [
    `H|RSWANS|1|${fileId}|2026-06-22T10:00:00+08:00|2`,
    `D|1|${payoutIds[merchantId]}|S|331.33|B1||`,
    `D|2|${payoutIds[otherMerchantId]}|F|99.40||ACCOUNT_NAME_MISMATCH|账户名不符`,
    'T|2|430.73',
  ].join('\r\n');
  const refused = await fixture.app.inject({ method: 'POST', url: '/v1/payouts/answers', headers: { ...bearer(ownKey), 'content-type': 'text/plain' }, payload: answer });
  assert.equal(refused.statusCode, 403);
  const broken = await fixture.app.inject({ method: 'POST', url: '/v1/payouts/answers', headers: { ...bearer(fixture.adminKey), 'content-type': 'text/plain' }, payload: answer.replace('T|2|430.73', 'T|2|430.74') });
  assert.equal(broken.statusCode, 400);
  assert.equal(broken.json().code, 'RSW_PAYOUT_FILE_INVALID');
  const imported = await fixture.app.inject({ method: 'POST', url: '/v1/payouts/answers', headers: { ...bearer(fixture.adminKey), 'content-type': 'text/plain; charset=utf-8' }, payload: answer });
  assert.equal(imported.statusCode, 200, imported.body);
  assert.deepEqual([imported.json().paid, imported.json().failed], [1, 1]);
  const failed = await get(`/v1/merchants/${otherMerchantId}/payouts/${payoutIds[otherMerchantId]}`, otherKey);
  assert.equal(failed.json().state, 'failed');
  assert.deepEqual(failed.json().reason, { code: 'account_name_mismatch', zh: '账户名不符', en: 'the account name does not match the account number', party: 'merchant', bankText: '账户名不符' });
  const paid = await get(`/v1/payouts/${payoutIds[merchantId]}`, fixture.adminKey);
  assert.equal(paid.json().state, 'paid');
  assert.equal(paid.json().actualArrivalDate, '2026-06-22');
  const audit = await fixture.engine.store.listAudit({ limit: 10, action: 'payout.answer_import' });
  assert.equal(audit.length, 1);
  assert.match(audit[0]?.actor ?? '', /^key:/);
});

test('an admin records a payout account over HTTP: sealed at once, answered masked, audited masked; a merchant key may not', async () => {
  const put = (key: string, body: Record<string, unknown>) =>
    fixture.app.inject({ method: 'PUT', url: `/v1/merchants/${merchantId}/payout-account`, headers: { ...bearer(key), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  // A debit card number as the account: not refused as card data in text, since it is sealed, not stored in clear.
  const body = { bankCode: '102100099996', accountName: '新户名有限公司', accountNumber: '6222 0200 0000 0000 018' };
  assert.equal((await put(ownKey, body)).statusCode, 403);
  const bad = await put(fixture.adminKey, { ...body, bankCode: '1021' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'RSW_PAYOUT_ACCOUNT_INVALID');
  assert.equal(bad.json().field, 'bankCode');
  const ok = await put(fixture.adminKey, body);
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual([ok.json().accountName, ok.json().accountNumberMasked], ['新户名有限公司', '****0018']);
  const stored = await fixture.engine.store.getPayoutAccount(merchantId);
  assert.ok(stored !== null && !stored.accountNumberSealed.includes('6222020000000000018') && stored.accountNumberSealed.startsWith('v1.'));
  const [audit] = await fixture.engine.store.listAudit({ limit: 1, action: 'payout_account.set' });
  assert.equal(audit?.detail.accountNumberMasked, '****0018');
  assert.ok(!JSON.stringify(audit).includes('6222020000000000018'));
  const seen = await get(`/v1/merchants/${merchantId}/payout-account`, ownKey);
  assert.equal(seen.json().accountName, '新户名有限公司');
});
