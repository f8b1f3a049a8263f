// Goal: `reswipe fee` prints the quote fields others script against and rejects bad input with one coded line and exit 2, and `reswipe fee compare --plan` reaches the subcommand (not the quote's own --plan). Method: run `node bin/reswipe.mjs fee ...` as a child process per case, compare over a temporary SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { recordFeesForApprovedPayment } from '../../../src/app/fees/record-payment-fees.ts';
import { builtinFeePlans, validateFeePlans } from '../../../src/core/fees/index.ts';
import { merchant, payment } from '../../adapters/store/store-fixtures.ts';
import { runReswipe, type ReswipeRun } from '../../support/reswipe-process.ts';

function reswipe(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ReswipeRun {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, RESWIPE_LOG_LEVEL: 'silent', ...extraEnv };
  return runReswipe(['fee', ...args], { env });
}

test('--json prints the quote with the documented keys', () => {
  const result = reswipe(['--amount', '10000', '--method', 'debit', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const quote = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { amountMinor: quote.amountMinor, feeMinor: quote.feeMinor, netMinor: quote.netMinor, rateBps: quote.rateBps, capped: quote.capped, plan: quote.plan, rule: quote.rule },
    { amountMinor: 1_000_000, feeMinor: 2500, netMinor: 997_500, rateBps: 50, capped: true, plan: 'standard', rule: 'base' },
  );
});

test('the text quote shows the fee in yuan, and D0 adds the surcharge', () => {
  const result = reswipe(['--amount', '333.33', '--method', 'credit', '--settle', 'd0', '--at', '2026-06-18T10:00:00+08:00']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /rate fee\s+¥2\.00/);
  assert.match(result.stdout, /surcharge\s+¥2\.00 \(d0\)/);
  assert.match(result.stdout, /fee\s+¥4\.00/);
});

const bad: Array<[string[], string, string]> = [
  [['--amount', '-5', '--method', 'credit'], 'RSW_FEE_BAD_AMOUNT', 'amount'],
  [['--amount', '1.234', '--method', 'credit'], 'RSW_FEE_BAD_AMOUNT', 'amount'],
  [['--amount', '1e3', '--method', 'credit'], 'RSW_FEE_BAD_AMOUNT', 'amount'],
  [['--amount', '10', '--method', 'bitcoin'], 'RSW_FEE_UNKNOWN_METHOD', 'method'],
  [['--amount', '10', '--method', 'credit', '--plan', 'gold'], 'RSW_FEE_UNKNOWN_PLAN', 'plan'],
  [['--amount', '10', '--method', 'credit', '--at', 'yesterday'], 'RSW_FEE_BAD_DATE', 'at'],
  [['--amount', '10', '--method', 'credit', '--settle', 't0'], 'RSW_BAD_ARGUMENT', 'settle'],
];

for (const [args, code, field] of bad) {
  test(`rejects ${args.join(' ')} with ${code}`, () => {
    const result = reswipe(args);
    assert.equal(result.status, 2);
    assert.match(result.stderr, new RegExp(`^error ${code}: .*\\(field ${field}\\)\\n$`));
    assert.equal(result.stdout, '');
  });
}

test('fee compare prices recorded sales under another plan loaded from a plan file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-fee-cli-'));
  const databaseUrl = `sqlite:${join(dir, 'reswipe.db')}`;
  try {
    const plansFile = join(dir, 'plans.json');
    const document = { plans: [{ name: 'cheap', methods: { debit: { rateBps: 40, capMinor: 2000 }, credit: { rateBps: 50 } } }] };
    validateFeePlans(document, 'test');
    writeFileSync(plansFile, JSON.stringify(document));
    const store = await openStore(databaseUrl);
    try {
      const at = Date.parse('2026-06-18T10:00:00+08:00');
      const sale = payment('s1', 'M1', { amountMinor: 1_000_000, cardType: 'debit', createdAtMs: at, updatedAtMs: at });
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('M1'));
        await tx.insertPayment(sale);
        await recordFeesForApprovedPayment(tx, sale, { plans: builtinFeePlans, merchantFeePlan: 'standard', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs: at });
      });
    } finally {
      await store.close();
    }
    const result = reswipe(['compare', '--merchant', 'M1', '--from', '2026-06-18', '--to', '2026-06-18', '--plan', 'cheap', '--json'], { RESWIPE_DATABASE_URL: databaseUrl, RESWIPE_FEES__PLANS_FILE: plansFile });
    assert.equal(result.status, 0, result.stderr);
    const comparison = JSON.parse(result.stdout) as Record<string, number | string>;
    assert.equal(comparison.plan, 'cheap');
    assert.equal(comparison.currentFeesMinor, 2500);
    assert.equal(comparison.whatIfFeesMinor, 2000);
    assert.equal(comparison.differenceMinor, -500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
