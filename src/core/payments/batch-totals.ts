// Batch settlement (0500, CUPS 批结算): the terminal sends its batch totals, the gateway counts the
// same batch from its journal, and equal totals close the batch; unequal ones answer `95` and the
// terminal uploads its batch (0320) so the difference can be found. Pure: the journal comes in.
import type { PaymentKind } from '../ports/store.ts';
import type { PaymentStatus } from '../vocabulary.ts';
import { assertNever } from '../vocabulary.ts';

/** Debits are money taken from cards (sales, completions), credits money given back (refunds). */
export interface BatchTotals {
  readonly debitCount: number;
  readonly debitMinor: number;
  readonly creditCount: number;
  readonly creditMinor: number;
}

export const zeroBatchTotals: BatchTotals = Object.freeze({ debitCount: 0, debitMinor: 0, creditCount: 0, creditMinor: 0 });

export interface JournalEntry {
  readonly kind: PaymentKind;
  readonly status: PaymentStatus;
  readonly amountMinor: number;
}

/** What one journal entry adds to the batch totals. Voided sales and completions count nothing, nor do holds or inquiries. */
export function batchSideOf(entry: JournalEntry): 'debit' | 'credit' | null {
  if (entry.status !== 'approved') return null;
  switch (entry.kind) {
    case 'sale':
    case 'completion':
      return 'debit';
    case 'refund':
      return 'credit';
    case 'preauth':
    case 'void':
    case 'preauth_cancel':
    case 'completion_void':
    case 'balance_inquiry':
      return null;
    default:
      return assertNever(entry.kind, 'payment kind');
  }
}

export function computeBatchTotals(journal: readonly JournalEntry[]): BatchTotals {
  let debitCount = 0;
  let debitMinor = 0;
  let creditCount = 0;
  let creditMinor = 0;
  for (const entry of journal) {
    const side = batchSideOf(entry);
    if (side === 'debit') {
      debitCount += 1;
      debitMinor += entry.amountMinor;
    } else if (side === 'credit') {
      creditCount += 1;
      creditMinor += entry.amountMinor;
    }
  }
  return { debitCount, debitMinor, creditCount, creditMinor };
}

export function sameBatchTotals(a: BatchTotals, b: BatchTotals): boolean {
  return a.debitCount === b.debitCount && a.debitMinor === b.debitMinor && a.creditCount === b.creditCount && a.creditMinor === b.creditMinor;
}

/** DE 48 of the 0500 as reswipe reads it: debit amount n12, debit count n3, credit amount n12, credit count n3 (30 digits). */
export function parseBatchTotals(de48: string): BatchTotals | null {
  const match = /^(\d{12})(\d{3})(\d{12})(\d{3})/.exec(de48);
  if (match === null) return null;
  return { debitMinor: Number(match[1]), debitCount: Number(match[2]), creditMinor: Number(match[3]), creditCount: Number(match[4]) };
}

export function formatBatchTotals(totals: BatchTotals): string {
  const n = (value: number, width: number) => String(Math.min(value, 10 ** width - 1)).padStart(width, '0');
  return n(totals.debitMinor, 12) + n(totals.debitCount, 3) + n(totals.creditMinor, 12) + n(totals.creditCount, 3);
}

export type SettlementVerdict =
  | { readonly kind: 'balanced'; readonly totals: BatchTotals }
  | { readonly kind: 'unbalanced'; readonly terminal: BatchTotals; readonly journal: BatchTotals };

/** Compares the terminal's totals with the journal's: `00` closes the batch, `95` asks for a 0320 upload. */
export function decideSettlement(terminal: BatchTotals, journal: BatchTotals): SettlementVerdict {
  return sameBatchTotals(terminal, journal) ? { kind: 'balanced', totals: journal } : { kind: 'unbalanced', terminal, journal };
}

export function settlementResponseCode(verdict: SettlementVerdict): '00' | '95' {
  return verdict.kind === 'balanced' ? '00' : '95';
}

/** The batch number after a balanced settlement: n6, 000001 after 999999. */
export function nextBatchNo(batchNo: string): string {
  const next = (Number(batchNo) % 999_999) + 1;
  return String(next).padStart(6, '0');
}
