// Goal: a bad plan document is rejected whole, with a stable code and the path of the bad entry, and a good one is normalized and frozen. Method: table of broken documents, each derived from one valid plan by a single change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinFeePlans, getFeePlan, mergeFeePlanSets, validateFeePlan, validateFeePlans } from '../../../src/core/fees/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

function basePlan(): Record<string, unknown> {
  return {
    name: 'shop',
    refundPolicy: 'pro_rata',
    methods: { credit: { rateBps: 60 }, debit: { rateBps: 50, capMinor: 2500 } },
    promotions: [{ name: 'p1', from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00', methods: { credit: { rateBps: 40 } } }],
  };
}

interface Row {
  name: string;
  change: (plan: Record<string, unknown>) => void;
  code: string;
  field: string;
}

const rows: Row[] = [
  { name: 'unknown method', change: (p) => (p.methods = { bitcoin: { rateBps: 10 } }), code: 'RSW_FEE_UNKNOWN_METHOD', field: 'plans[0].methods.bitcoin' },
  { name: 'cap below minimum', change: (p) => (p.methods = { credit: { rateBps: 60, capMinor: 10, minMinor: 20 } }), code: 'RSW_FEE_CAP_BELOW_MINIMUM', field: 'plans[0].methods.credit' },
  { name: 'negative rate', change: (p) => (p.methods = { credit: { rateBps: -1 } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].methods.credit.rateBps' },
  { name: 'fractional rate', change: (p) => (p.methods = { credit: { rateBps: 0.5 } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].methods.credit.rateBps' },
  { name: 'rate above 100 %', change: (p) => (p.methods = { credit: { rateBps: 10_001 } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].methods.credit.rateBps' },
  { name: 'typo in a key', change: (p) => (p.methods = { credit: { rateBps: 60, capMinr: 5 } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].methods.credit.capMinr' },
  { name: 'no methods', change: (p) => (p.methods = {}), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].methods' },
  { name: 'bad refund policy', change: (p) => (p.refundPolicy = 'sometimes'), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].refundPolicy' },
  { name: 'bad plan name', change: (p) => (p.name = 'Shop Plan'), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].name' },
  { name: 'tiers not rising', change: (p) => (p.methods = { credit: { tiers: [{ upToMinor: 100, rateBps: 1 }, { upToMinor: 100, rateBps: 2 }, { rateBps: 3 }] } }), code: 'RSW_FEE_BAD_TIERS', field: 'plans[0].methods.credit.tiers[1].upToMinor' },
  { name: 'last tier closed', change: (p) => (p.methods = { credit: { tiers: [{ upToMinor: 100, rateBps: 1 }] } }), code: 'RSW_FEE_BAD_TIERS', field: 'plans[0].methods.credit.tiers[0]' },
  { name: 'open tier not last', change: (p) => (p.methods = { credit: { tiers: [{ rateBps: 1 }, { upToMinor: 100, rateBps: 1 }] } }), code: 'RSW_FEE_BAD_TIERS', field: 'plans[0].methods.credit.tiers[0]' },
  { name: 'no tiers', change: (p) => (p.methods = { credit: { tiers: [] } }), code: 'RSW_FEE_BAD_TIERS', field: 'plans[0].methods.credit.tiers' },
  { name: 'tiers and a flat rate', change: (p) => (p.methods = { credit: { rateBps: 1, tiers: [{ rateBps: 1 }] } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].methods.credit' },
  { name: 'cap below minimum inside a tier', change: (p) => (p.methods = { credit: { tiers: [{ upToMinor: 100, rateBps: 1, capMinor: 1, minMinor: 2 }, { rateBps: 1 }] } }), code: 'RSW_FEE_CAP_BELOW_MINIMUM', field: 'plans[0].methods.credit.tiers[0]' },
  {
    name: 'overlapping promotions',
    change: (p) => (p.promotions = [
      { name: 'p1', from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00', methods: { credit: { rateBps: 40 } } },
      { name: 'p2', from: '2026-01-31T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', methods: { credit: { rateBps: 30 } } },
    ]),
    code: 'RSW_FEE_PROMOTIONS_OVERLAP',
    field: 'plans[0].promotions[1]',
  },
  {
    name: 'promotions overlapping through an MCC-scoped one',
    change: (p) => (p.promotions = [
      { name: 'p1', from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00', methods: { credit: { rateBps: 40 } } },
      { name: 'p2', from: '2026-01-15T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', mccs: ['5812'], methods: { credit: { rateBps: 30 } } },
    ]),
    code: 'RSW_FEE_PROMOTIONS_OVERLAP',
    field: 'plans[0].promotions[1]',
  },
  { name: 'promotion ending before it starts', change: (p) => (p.promotions = [{ name: 'p1', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z', methods: { credit: { rateBps: 1 } } }]), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].promotions[0].to' },
  { name: 'promotion time without a zone', change: (p) => (p.promotions = [{ name: 'p1', from: '2026-01-01T00:00:00', to: '2026-02-01T00:00:00Z', methods: { credit: { rateBps: 1 } } }]), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].promotions[0].from' },
  { name: 'bad MCC', change: (p) => (p.overrides = [{ name: 'o', mccs: ['581'], methods: { credit: { rateBps: 1 } } }]), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].overrides[0].mccs[0]' },
  {
    name: 'one MCC in two overrides for one method',
    change: (p) => (p.overrides = [
      { name: 'a', mccs: ['5812'], methods: { credit: { rateBps: 1 } } },
      { name: 'b', mccs: ['5411', '5812'], methods: { credit: { rateBps: 2 } } },
    ]),
    code: 'RSW_FEE_PLAN_INVALID',
    field: 'plans[0].overrides[1]',
  },
  { name: 'bad surcharge', change: (p) => (p.settlement = { d0: { perTransactionMinor: -200 } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].settlement.d0.perTransactionMinor' },
  { name: 'unknown settle mode', change: (p) => (p.settlement = { t0: { perTransactionMinor: 200 } }), code: 'RSW_FEE_PLAN_INVALID', field: 'plans[0].settlement.t0' },
];

for (const row of rows) {
  test(`rejects: ${row.name}`, () => {
    const plan = basePlan();
    row.change(plan);
    assert.throws(
      () => validateFeePlans({ plans: [plan] }, 'test.json'),
      (error: unknown) => isReswipeError(error) && error.code === row.code && error.field === row.field,
    );
  });
}

test('the base plan itself is valid, and non-overlapping promotions are accepted', () => {
  const plan = basePlan();
  plan.promotions = [
    { name: 'p1', from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00', methods: { credit: { rateBps: 40 } } },
    { name: 'p2', from: '2026-02-01T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', methods: { credit: { rateBps: 30 } } },
    { name: 'p3', from: '2026-01-15T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', methods: { wechat: { rateBps: 30 } } },
    { name: 'p4', from: '2026-01-15T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', mccs: ['5812'], methods: { debit: { rateBps: 30 } } },
    { name: 'p5', from: '2026-01-15T00:00:00+08:00', to: '2026-03-01T00:00:00+08:00', mccs: ['5411'], methods: { debit: { rateBps: 30 } } },
  ];
  const set = validateFeePlans({ plans: [plan] }, 'test.json');
  const shop = getFeePlan(set, 'shop');
  assert.equal(shop.promotions.length, 5);
  assert.equal(shop.refundPolicy, 'pro_rata');
  assert.ok(Object.isFrozen(shop) && Object.isFrozen(shop.methods) && Object.isFrozen(shop.promotions[0]));
});

test('a plan defined twice, a non-object and a missing list are rejected', () => {
  assert.throws(() => validateFeePlans({ plans: [basePlan(), basePlan()] }, 't'), (e: unknown) => isReswipeError(e, 'RSW_FEE_PLAN_INVALID') && e.field === 'plans[1].name');
  assert.throws(() => validateFeePlans([], 't'), (e: unknown) => isReswipeError(e, 'RSW_FEE_PLAN_INVALID') && e.field === '$');
  assert.throws(() => validateFeePlans({}, 't'), (e: unknown) => isReswipeError(e, 'RSW_FEE_PLAN_INVALID') && e.field === 'plans');
});

test('the standard plan carries the article numbers', () => {
  const standard = getFeePlan(builtinFeePlans, 'standard');
  assert.equal(standard.methods.credit?.tiers[0]?.rateBps, 60);
  assert.equal(standard.methods.debit?.tiers[0]?.rateBps, 50);
  assert.equal(standard.methods.debit?.tiers[0]?.capMinor, 2500);
  assert.equal(standard.methods.wechat?.tiers[0]?.rateBps, 38);
  assert.equal(standard.methods.alipay?.tiers[0]?.rateBps, 38);
  assert.equal(standard.methods['unionpay-qr']?.tiers[0]?.rateBps, 60);
});

test('merging replaces same-named plans and keeps the others; getFeePlan names unknown plans', () => {
  const extra = validateFeePlans({ plans: [{ ...basePlan(), name: 'standard' }, basePlan()] }, 'extra');
  const merged = mergeFeePlanSets(builtinFeePlans, extra);
  assert.deepEqual([...merged.plans.keys()].sort(), ['shop', 'standard']);
  assert.equal(getFeePlan(merged, 'standard').refundPolicy, 'pro_rata');
  assert.throws(() => getFeePlan(merged, 'gold'), (e: unknown) => isReswipeError(e, 'RSW_FEE_UNKNOWN_PLAN') && e.message.includes('shop, standard'));
  assert.equal(validateFeePlan(basePlan(), 'http').name, 'shop');
});
