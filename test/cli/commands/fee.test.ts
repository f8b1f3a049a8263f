// Goal: `reswipe fee` prints the quote fields others script against and rejects bad input with one coded line and exit 2. Method: run `node bin/reswipe.mjs fee ...` as a child process per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function reswipe(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, RESWIPE_LOG_LEVEL: 'silent' };
  const result = spawnSync(process.execPath, ['bin/reswipe.mjs', 'fee', ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
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
