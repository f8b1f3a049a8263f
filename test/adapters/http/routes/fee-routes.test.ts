// Goal: the fee and settlement HTTP API answers quotes, plans, comparisons, batches and statements, validates input with problem+json errors carrying the catalogue code, and replaces a plan only when the whole plan is valid. Method: a bare Fastify instance with the plugin under /v1 and inject(), over a temporary SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { feeRoutes, type FeeRoutesOptions } from '../../../../src/adapters/http/routes/fee-routes.ts';
import { openStore } from '../../../../src/adapters/store/open-store.ts';
import { recordFeesForApprovedPayment } from '../../../../src/app/fees/record-payment-fees.ts';
import { settleMerchantDay } from '../../../../src/app/fees/settle-day.ts';
import { createFeeUseCases } from '../../../../src/app/fees/fee-use-cases.ts';
import { builtinFeePlans, builtinHolidayCalendar, mergeFeePlanSets, parseStatementCsv, type FeePlanSet } from '../../../../src/core/fees/index.ts';
import type { AuditRecord, Store } from '../../../../src/core/ports/store.ts';
import { LiveFeePlans } from '../../../../src/app/fees/live-fee-plans.ts';
import { merchant, payment } from '../../store/store-fixtures.ts';
import { silentLogger } from '../../../app/payments/sale-fixture.ts';

/** Plans held in memory, as a store-backed holder would hold them after its refresh. */
function plansInMemory(): Pick<FeeRoutesOptions, 'plans' | 'putPlan'> & { audits: AuditRecord[] } {
  let current: FeePlanSet = builtinFeePlans;
  const audits: AuditRecord[] = [];
  return {
    audits,
    plans: () => current,
    putPlan: async (plan, audit) => {
      current = mergeFeePlanSets(current, { plans: new Map([[plan.name, plan]]) });
      audits.push(audit);
    },
  };
}

async function withApp(options: Partial<FeeRoutesOptions>, run: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const app = Fastify();
  // The API's auth hook sets the principal; this bare app has none (audited as anonymous).
  app.decorateRequest('principal', null);
  await app.register(feeRoutes, { prefix: '/v1', ...plansInMemory(), nowMs: () => Date.parse('2026-06-18T10:00:00+08:00'), ...options });
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

test('POST /v1/fees/quote prices the DOMAIN examples', async () => {
  await withApp({}, async (app) => {
    const cases: Array<[Record<string, unknown>, number, boolean]> = [
      [{ amountMinor: 1_000_000, method: 'debit' }, 2500, true],
      [{ amountMinor: 33_333, method: 'credit' }, 200, false],
      [{ amountMinor: 10, method: 'wechat' }, 0, false],
      [{ amountMinor: 10_000, method: 'credit', settleMode: 'd0' }, 260, false],
    ];
    for (const [body, feeMinor, capped] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/fees/quote', payload: body });
      assert.equal(response.statusCode, 200, response.body);
      const quote = response.json() as Record<string, unknown>;
      assert.equal(quote.feeMinor, feeMinor);
      assert.equal(quote.capped, capped);
      assert.equal(quote.plan, 'standard');
      assert.equal(quote.rule, 'base');
      assert.equal(quote.netMinor, (body.amountMinor as number) - feeMinor);
    }
  });
});

test('bad quotes are problem+json with the catalogue code and the field', async () => {
  await withApp({}, async (app) => {
    const cases: Array<[Record<string, unknown>, number, string, string | undefined]> = [
      [{ amountMinor: -1, method: 'credit' }, 400, 'RSW_FEE_BAD_AMOUNT', 'amountMinor'],
      [{ amountMinor: 1.5, method: 'credit' }, 400, 'RSW_FEE_BAD_AMOUNT', 'amountMinor'],
      [{ amountMinor: '100', method: 'credit' }, 400, 'RSW_FEE_BAD_AMOUNT', 'amountMinor'],
      [{ amountMinor: 100, method: 'credit', extra: 1 }, 400, 'RSW_BAD_ARGUMENT', 'extra'],
      [{ amountMinor: 100, method: 'bitcoin' }, 400, 'RSW_FEE_UNKNOWN_METHOD', 'method'],
      [{ amountMinor: 100 }, 400, 'RSW_FEE_UNKNOWN_METHOD', 'method'],
      [{ amountMinor: 100, method: 'credit', plan: 'gold' }, 404, 'RSW_FEE_UNKNOWN_PLAN', 'plan'],
      [{ amountMinor: 100, method: 'credit', at: 'noon' }, 400, 'RSW_FEE_BAD_DATE', 'at'],
    ];
    for (const [body, status, code, field] of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/fees/quote', payload: body });
      assert.equal(response.statusCode, status, `${JSON.stringify(body)}: ${response.body}`);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      const problem = response.json() as Record<string, unknown>;
      assert.equal(problem.code, code, JSON.stringify(body));
      assert.equal(problem.status, status);
      assert.equal(problem.type, `urn:reswipe:error:${code}`);
      if (field !== undefined) assert.equal(problem.field, field);
    }
  });
});

test('PUT /v1/fee-plans/{name} replaces a plan only when it is valid and storing it succeeds, with its audit record', async () => {
  const held = plansInMemory();
  let storeFails = false;
  await withApp(
    {
      plans: held.plans,
      putPlan: async (plan, audit) => {
        if (storeFails) throw new Error('disk full');
        await held.putPlan(plan, audit);
      },
    },
    async (app) => {
      const shop = { refundPolicy: 'pro_rata', methods: { credit: { rateBps: 45 } } };
      const created = await app.inject({ method: 'PUT', url: '/v1/fee-plans/shop', payload: shop });
      assert.equal(created.statusCode, 200, created.body);
      assert.deepEqual(created.json(), { ...shop, name: 'shop' });
      assert.ok(held.plans().plans.has('shop'));
      assert.deepEqual(held.audits.map((audit) => [audit.action, audit.subjectId, audit.detail]), [['fee_plan.put', 'shop', { plan: shop }]]);
      const quote = await app.inject({ method: 'POST', url: '/v1/fees/quote', payload: { amountMinor: 100_000, method: 'credit', plan: 'shop' } });
      assert.equal((quote.json() as { feeMinor: number }).feeMinor, 450);

      const overlapping = {
        methods: { credit: { rateBps: 10 } },
        promotions: [
          { name: 'a', from: '2026-01-01T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', methods: { credit: { rateBps: 5 } } },
          { name: 'b', from: '2026-02-01T00:00:00+08:00', to: '2026-04-01T00:00:00+08:00', methods: { credit: { rateBps: 6 } } },
        ],
      };
      const bad: Array<[Record<string, unknown>, string]> = [
        [overlapping, 'RSW_FEE_PROMOTIONS_OVERLAP'],
        [{ methods: { credit: { rateBps: 10, capMinor: 1, minMinor: 5 } } }, 'RSW_FEE_CAP_BELOW_MINIMUM'],
        [{ methods: { credit: { rateBps: 10, capMinr: 1 } } }, 'RSW_FEE_PLAN_INVALID'],
        [{ methods: { paypal: { rateBps: 10 } } }, 'RSW_FEE_UNKNOWN_METHOD'],
        [{ name: 'other', methods: { credit: { rateBps: 10 } } }, 'RSW_BAD_ARGUMENT'],
      ];
      for (const [body, code] of bad) {
        const response = await app.inject({ method: 'PUT', url: '/v1/fee-plans/shop', payload: body });
        assert.equal((response.json() as { code: string }).code, code, response.body);
      }
      storeFails = true;
      const failed = await app.inject({ method: 'PUT', url: '/v1/fee-plans/shop', payload: { methods: { credit: { rateBps: 99 } } } });
      assert.equal(failed.statusCode, 500);
      // Nothing half-applied: the plan in force is still the first one.
      const current = await app.inject({ method: 'GET', url: '/v1/fee-plans/shop' });
      assert.deepEqual(current.json(), { ...shop, name: 'shop' });
      const list = await app.inject({ method: 'GET', url: '/v1/fee-plans' });
      assert.deepEqual((list.json() as { data: Array<{ name: string }> }).data.map((plan) => plan.name), ['shop', 'standard']);
      const missing = await app.inject({ method: 'GET', url: '/v1/fee-plans/gold' });
      assert.equal(missing.statusCode, 404);
    },
  );
});

test('settlements, statement CSV and compare over the store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-fee-routes-'));
  const store: Store = await openStore(`sqlite:${join(dir, 'fees.db')}`);
  try {
    const at = Date.parse('2026-06-18T10:00:00+08:00');
    const sale = payment('s1', 'M1', { amountMinor: 1_000_000, cardType: 'debit', createdAtMs: at, updatedAtMs: at });
    await store.write(async (tx) => {
      await tx.upsertMerchant(merchant('M1'));
      await tx.insertPayment(sale);
      await recordFeesForApprovedPayment(tx, sale, { plans: builtinFeePlans, merchantFeePlan: 'standard', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs: at });
    });
    await settleMerchantDay(store, 'M1', '2026-06-18', { timeZone: 'Asia/Shanghai', settleMode: 't1', calendar: builtinHolidayCalendar }, at);
    await withApp({ store, useCases: createFeeUseCases(store, new LiveFeePlans({ store, fromFile: builtinFeePlans, logger: silentLogger })) }, async (app) => {
      const list = await app.inject({ method: 'GET', url: '/v1/settlements?merchantId=M1&date=2026-06-18' });
      assert.equal(list.statusCode, 200, list.body);
      const [batch] = (list.json() as { data: Array<Record<string, unknown>> }).data;
      assert.equal(batch?.netMinor, 1_000_000 - 2500);
      assert.equal(batch?.payoutDate, '2026-06-22');

      const csv = await app.inject({ method: 'GET', url: '/v1/settlements/M1/2026-06-18/statement.csv' });
      assert.equal(csv.statusCode, 200, csv.body);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      const rows = parseStatementCsv(csv.body);
      assert.deepEqual(rows.map((row) => [row.record_type, row.fee_minor]), [['detail', '2500'], ['total', '2500']]);

      const none = await app.inject({ method: 'GET', url: '/v1/settlements/M1/2026-06-17/statement.csv' });
      assert.equal((none.json() as { code: string }).code, 'RSW_FEE_BATCH_NOT_FOUND');
      const badDate = await app.inject({ method: 'GET', url: '/v1/settlements?date=2026-02-30' });
      assert.equal((badDate.json() as { code: string }).code, 'RSW_FEE_BAD_DATE');

      const compare = await app.inject({ method: 'POST', url: '/v1/fees/compare', payload: { merchantId: 'M1', from: '2026-06-18', to: '2026-06-18', plan: 'standard' } });
      assert.equal(compare.statusCode, 200, compare.body);
      assert.deepEqual((compare.json() as Record<string, unknown>).differenceMinor, 0);
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a store only quotes and plans are served', async () => {
  await withApp({}, async (app) => {
    const response = await app.inject({ method: 'GET', url: '/v1/settlements' });
    assert.equal(response.statusCode, 404);
  });
});
