// Goal: pin the price of every kind of quote (base rates, caps, minimums, tiers, MCC overrides, promotions, D0 surcharge and the half-up rounding boundary). Method: table tests, one row per case with the expected fee.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinFeePlans, computeFee, getFeePlan, roundHalfUpBps, validateFeePlans, type SettleMode } from '../../../src/core/fees/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const standard = getFeePlan(builtinFeePlans, 'standard');
const atMs = Date.parse('2026-06-15T10:00:00+08:00');

const custom = getFeePlan(
  validateFeePlans(
    {
      plans: [
        {
          name: 'custom',
          refundPolicy: 'pro_rata',
          methods: {
            credit: { rateBps: 60, minMinor: 50 },
            debit: { rateBps: 50, capMinor: 2000 },
            'unionpay-qr': { tiers: [{ upToMinor: 100000, rateBps: 38 }, { rateBps: 60 }] },
            wechat: { rateBps: 38 },
          },
          overrides: [{ name: 'catering', mccs: ['5812', '5814'], methods: { credit: { rateBps: 45 } } }],
          promotions: [
            { name: 'summer-qr', from: '2026-07-01T00:00:00+08:00', to: '2026-09-01T00:00:00+08:00', methods: { wechat: { rateBps: 20 } } },
            { name: 'grocery-credit', from: '2026-07-01T00:00:00+08:00', to: '2026-08-01T00:00:00+08:00', mccs: ['5411'], methods: { credit: { rateBps: 30 } } },
          ],
          settlement: { d0: { perTransactionMinor: 300, rateBps: 20 } },
        },
      ],
    },
    'test',
  ),
  'custom',
);

interface Row {
  name: string;
  plan: typeof standard;
  method: string;
  amountMinor: number;
  mcc?: string;
  at?: string;
  settle?: SettleMode;
  feeMinor: number;
  rateBps: number;
  capped?: boolean;
  floored?: boolean;
  rule?: string;
  surchargeMinor?: number;
}

const rows: Row[] = [
  // DOMAIN §8 worked examples.
  { name: 'debit ¥10,000 → ¥50 capped at ¥25', plan: standard, method: 'debit', amountMinor: 1_000_000, feeMinor: 2500, rateBps: 50, capped: true },
  { name: 'credit ¥333.33 → 1.99998 → ¥2.00', plan: standard, method: 'credit', amountMinor: 33_333, feeMinor: 200, rateBps: 60 },
  { name: 'QR ¥0.10 → 0.038 fen → ¥0.00', plan: standard, method: 'wechat', amountMinor: 10, feeMinor: 0, rateBps: 38 },
  { name: 'alipay ¥10,000 → ¥38', plan: standard, method: 'alipay', amountMinor: 1_000_000, feeMinor: 3800, rateBps: 38 },
  { name: 'unionpay-qr at the credit rate', plan: standard, method: 'unionpay-qr', amountMinor: 1_000_000, feeMinor: 6000, rateBps: 60 },
  { name: 'credit ¥10,000 → ¥60 uncapped', plan: standard, method: 'credit', amountMinor: 1_000_000, feeMinor: 6000, rateBps: 60 },
  { name: 'debit just below the cap', plan: standard, method: 'debit', amountMinor: 499_999, feeMinor: 2500, rateBps: 50, capped: false },
  { name: 'debit exactly at the cap', plan: standard, method: 'debit', amountMinor: 500_000, feeMinor: 2500, rateBps: 50, capped: false },
  { name: 'debit one fen above the cap amount', plan: standard, method: 'debit', amountMinor: 500_100, feeMinor: 2500, rateBps: 50, capped: true },
  // The rounding boundary: credit 60 bp, 0.5 fen rounds up, 0.499.. rounds down.
  { name: 'half a fen rounds up (¥0.84 × 0.6 % = 0.504)', plan: standard, method: 'credit', amountMinor: 84, feeMinor: 1, rateBps: 60 },
  { name: 'exactly half a fen rounds up (debit ¥1.00 × 0.5 % = 0.5)', plan: standard, method: 'debit', amountMinor: 100, feeMinor: 1, rateBps: 50 },
  { name: 'just below half a fen rounds down (debit ¥0.99 × 0.5 % = 0.495)', plan: standard, method: 'debit', amountMinor: 99, feeMinor: 0, rateBps: 50 },
  { name: 'zero amount costs nothing', plan: standard, method: 'credit', amountMinor: 0, feeMinor: 0, rateBps: 60 },
  { name: 'digital RMB is free', plan: standard, method: 'digital-rmb', amountMinor: 123_456, feeMinor: 0, rateBps: 0 },
  { name: 'D0 adds ¥2 per payment', plan: standard, method: 'credit', amountMinor: 10_000, settle: 'd0', feeMinor: 260, rateBps: 60, surchargeMinor: 200 },
  { name: 'D0 on a tiny sale is limited to the amount', plan: standard, method: 'credit', amountMinor: 150, settle: 'd0', feeMinor: 150, rateBps: 60, surchargeMinor: 200 },
  // Minimum fee.
  { name: 'minimum fee floors a small credit sale', plan: custom, method: 'credit', amountMinor: 1000, feeMinor: 50, rateBps: 60, floored: true },
  { name: 'minimum fee never exceeds the amount', plan: custom, method: 'credit', amountMinor: 20, feeMinor: 20, rateBps: 60, floored: true },
  { name: 'minimum fee not needed for a large sale', plan: custom, method: 'credit', amountMinor: 100_000, feeMinor: 600, rateBps: 60, floored: false },
  // Tiers: up to ¥1,000 like QR wallets, above at the card rate (the unconfirmed UnionPay QR rule).
  { name: 'tier 1 up to ¥1,000 inclusive', plan: custom, method: 'unionpay-qr', amountMinor: 100_000, feeMinor: 380, rateBps: 38, rule: 'base#tier1' },
  { name: 'tier 2 above ¥1,000', plan: custom, method: 'unionpay-qr', amountMinor: 100_001, feeMinor: 600, rateBps: 60, rule: 'base#tier2' },
  // MCC override.
  { name: 'catering MCC gets the industry rate', plan: custom, method: 'credit', amountMinor: 100_000, mcc: '5812', feeMinor: 450, rateBps: 45, rule: 'mcc:catering' },
  { name: 'other MCC gets the base rate', plan: custom, method: 'credit', amountMinor: 100_000, mcc: '5999', feeMinor: 600, rateBps: 60, rule: 'base' },
  { name: 'override only for the methods it names', plan: custom, method: 'debit', amountMinor: 100_000, mcc: '5812', feeMinor: 500, rateBps: 50, rule: 'base' },
  // Promotions: half-open windows, optional MCC scope, and they win over overrides.
  { name: 'promotion active', plan: custom, method: 'wechat', amountMinor: 100_000, at: '2026-07-15T12:00:00+08:00', feeMinor: 200, rateBps: 20, rule: 'promotion:summer-qr' },
  { name: 'promotion starts at from (inclusive)', plan: custom, method: 'wechat', amountMinor: 100_000, at: '2026-07-01T00:00:00+08:00', feeMinor: 200, rateBps: 20, rule: 'promotion:summer-qr' },
  { name: 'promotion over at to (exclusive)', plan: custom, method: 'wechat', amountMinor: 100_000, at: '2026-09-01T00:00:00+08:00', feeMinor: 380, rateBps: 38, rule: 'base' },
  { name: 'promotion before from', plan: custom, method: 'wechat', amountMinor: 100_000, at: '2026-06-30T23:59:59+08:00', feeMinor: 380, rateBps: 38, rule: 'base' },
  { name: 'MCC-scoped promotion for its MCC', plan: custom, method: 'credit', amountMinor: 100_000, mcc: '5411', at: '2026-07-02T00:00:00+08:00', feeMinor: 300, rateBps: 30, rule: 'promotion:grocery-credit' },
  { name: 'MCC-scoped promotion not for other MCCs', plan: custom, method: 'credit', amountMinor: 100_000, mcc: '5812', at: '2026-07-02T00:00:00+08:00', feeMinor: 450, rateBps: 45, rule: 'mcc:catering' },
  { name: 'MCC-scoped promotion not without an MCC', plan: custom, method: 'credit', amountMinor: 100_000, at: '2026-07-02T00:00:00+08:00', feeMinor: 600, rateBps: 60, rule: 'base' },
  // D0 surcharge with both a per-transaction part and basis points.
  { name: 'D0 ¥3 + 0.2 %', plan: custom, method: 'wechat', amountMinor: 100_000, settle: 'd0', feeMinor: 380 + 300 + 200, rateBps: 38, surchargeMinor: 500 },
];

for (const row of rows) {
  test(`quote: ${row.name}`, () => {
    const quote = computeFee({
      amountMinor: row.amountMinor,
      method: row.method,
      plan: row.plan,
      mcc: row.mcc,
      atMs: row.at === undefined ? atMs : Date.parse(row.at),
      settleMode: row.settle ?? 't1',
    });
    assert.equal(quote.feeMinor, row.feeMinor);
    assert.equal(quote.netMinor, row.amountMinor - row.feeMinor);
    assert.equal(quote.rateBps, row.rateBps);
    if (row.capped !== undefined) assert.equal(quote.capped, row.capped);
    if (row.floored !== undefined) assert.equal(quote.floored, row.floored);
    if (row.rule !== undefined) assert.equal(quote.rule, row.rule);
    assert.equal(quote.surchargeMinor, row.surchargeMinor ?? 0);
    assert.equal(quote.rounding, 'half-up');
  });
}

test('roundHalfUpBps is exact beyond float precision', () => {
  // 999 999 999 999 × 9 999 = 9 998 999 999 990 001 is above 2^53, where floats lose the last digits.
  assert.equal(roundHalfUpBps(999_999_999_999, 9_999), 999_899_999_999);
  // Exactly 500 099 999 999.4999 fen rounds down; the float product reads ...999.5 and would round up.
  assert.equal(roundHalfUpBps(999_999_999_999, 5_001), 500_099_999_999);
  assert.equal(roundHalfUpBps(5_000, 1), 1); // 0.5 fen
  assert.equal(roundHalfUpBps(4_999, 1), 0); // 0.4999 fen
  assert.equal(roundHalfUpBps(15_000, 1), 2); // 1.5 fen → 2 (half up, not half even)
  assert.equal(roundHalfUpBps(25_000, 1), 3); // 2.5 fen → 3 (half even would give 2)
});

test('bad quote input is rejected with a clear code', () => {
  const cases: Array<[Partial<Parameters<typeof computeFee>[0]>, string]> = [
    [{ amountMinor: -1 }, 'RSW_FEE_BAD_AMOUNT'],
    [{ amountMinor: 1.5 }, 'RSW_FEE_BAD_AMOUNT'],
    [{ amountMinor: 1_000_000_000_000 }, 'RSW_FEE_BAD_AMOUNT'],
    [{ method: 'bitcoin' }, 'RSW_FEE_UNKNOWN_METHOD'],
    [{ mcc: '58' }, 'RSW_BAD_ARGUMENT'],
    [{ plan: custom, method: 'alipay' }, 'RSW_FEE_METHOD_NOT_PRICED'],
  ];
  for (const [change, code] of cases) {
    assert.throws(
      () => computeFee({ amountMinor: 100, method: 'credit', plan: standard, atMs, settleMode: 't1', ...change }),
      (error: unknown) => isReswipeError(error) && error.code === code,
      `${JSON.stringify(change)} should fail with ${code}`,
    );
  }
});
