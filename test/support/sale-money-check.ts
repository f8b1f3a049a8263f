// Shared by the tests that drive real gateways with terminals against `reswipe issuer-sim` and then
// compare what each terminal was told with the issuer's ledger: the cards they use, the ledger entry
// and sale shapes, and the money check itself.

/** Cards the issuer simulator knows, used in turn by the terminals. */
export const loadTestPans = ['6222020000000000018', '6225880000000019', '4111111111111111', '5555555555554444', '6222020000000000026', '6217000000000000012'];

/** One entry of the simulator's ledger as GET /ledger shows it. */
export interface LedgerEntry {
  key: string;
  kind: string;
  amountMinor: number;
  reversed: boolean;
}

/** One sale as a terminal saw it: every answer it got, and the last one (null: never answered). */
export interface ToldSale {
  terminalId: string;
  amountMinor: number;
  told: string | null;
  answers: string[];
}

/**
 * Every sale told 00 is charged exactly once (not reversed), every other sale not at all. Sales are told
 * apart by amount (each sale has its own). Amounts in `excused` (flagged for manual handling) are skipped.
 */
export function moneyProblems(sales: readonly ToldSale[], ledger: readonly LedgerEntry[], excused: ReadonlySet<number>): string[] {
  const problems: string[] = [];
  for (const sale of sales) {
    if (excused.has(sale.amountMinor)) continue;
    const live = ledger.filter((entry) => entry.kind === 'charge' && entry.amountMinor === sale.amountMinor && !entry.reversed).length;
    if (sale.answers.includes('00') && live !== 1) problems.push(`${sale.terminalId} ${sale.amountMinor}: told 00, charged ${live} times`);
    if (!sale.answers.includes('00') && live !== 0) problems.push(`${sale.terminalId} ${sale.amountMinor}: told ${sale.told ?? 'nothing'}, charged ${live} times`);
  }
  return problems;
}
