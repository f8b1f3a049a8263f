// Benchmark: the decline core's per-payment cost. Prints operations per second and each one's cost
// as a ratio of the baseline measured in the same run (building one Intl.DateTimeFormat, the cost
// runLocalChecks paid per call before formatters were cached). Usage: npm run bench:declines
import { checkRetryBudget, classifyResponseCode, defaultBinTable, runLocalChecks, type CardAttemptHistoryEntry, type LocalCheckInput } from '../src/core/declines/index.ts';

const nowMs = Date.parse('2026-11-25T12:00:00Z');
const input: LocalCheckInput = {
  pan: '6222020000000000018',
  expiry: '2812',
  cvv: '123',
  entryMode: 'chip',
  amountMinor: 12_345,
  merchant: { id: 'M1', accepts: ['debit', 'credit'], limits: { perSaleMinor: 5_000_000, perDayMinor: 50_000_000 } },
  terminal: { id: 'T1', state: 'active', signedOn: true, limits: {} },
  totals: { merchantDayMinor: 0, merchantMonthMinor: 0, terminalDayMinor: 0, terminalMonthMinor: 0 },
  nowMs,
  strict: { luhn: false, bin: false },
};
// The engine reads at most 500 attempts of a card's last 30 days; a third of them declines.
const history = (brand: 'visa' | 'mastercard'): CardAttemptHistoryEntry[] =>
  Array.from({ length: 500 }, (_, i) => ({ atMs: nowMs - i * 3_600_000, responseCode: i % 3 === 0 ? '51' : '00', outcome: i % 3 === 0 ? 'declined' : 'approved', brand, merchantId: 'M1', amountMinor: 100 }));
const visaHistory = history('visa');
const mcHistory = history('mastercard');

function measure(iterations: number, run: () => void): number {
  for (let i = 0; i < Math.min(iterations, 2000); i += 1) run();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) run();
  return Number(process.hrtime.bigint() - started) / iterations; // ns per operation
}

const baselineNs = measure(20_000, () => new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: '2-digit', month: '2-digit' }));
const rows: Array<[string, number]> = [
  ['classifyResponseCode', measure(500_000, () => classifyResponseCode('51'))],
  ['runLocalChecks (all checks pass)', measure(200_000, () => runLocalChecks(input, defaultBinTable))],
  ['checkRetryBudget visa, 500 attempts', measure(10_000, () => checkRetryBudget({ brand: 'visa', history: visaHistory, nowMs, merchantId: 'M1', amountMinor: 100 }))],
  ['checkRetryBudget mastercard, 500 attempts', measure(10_000, () => checkRetryBudget({ brand: 'mastercard', history: mcHistory, nowMs, merchantId: 'M1', amountMinor: 100 }))],
];
console.log(`baseline: new Intl.DateTimeFormat = ${(baselineNs / 1000).toFixed(2)} µs`);
for (const [name, ns] of rows) {
  console.log(`${name.padEnd(44)} ${(1e9 / ns).toFixed(0).padStart(10)}/s  ${(ns / 1000).toFixed(2).padStart(8)} µs  ${(ns / baselineNs).toFixed(2)}x baseline`);
}
