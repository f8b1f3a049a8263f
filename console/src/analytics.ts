// Reading the /v1/analytics answers (docs/analytics.md) into the few shapes the charts draw.
// Groups and series are lists of rows keyed by one dimension; the console reads them field by field.

export interface GroupRow {
  key: string;
  payments: number;
  amountMinor: number;
  [field: string]: unknown;
}

const numberOf = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A group list from an answer: rows with a key and counts. */
export function groupRows(value: unknown): GroupRow[] {
  if (!Array.isArray(value)) return [];
  return value.map((row: Record<string, unknown>) => ({
    ...row,
    key: String(row.key ?? ''),
    payments: numberOf(row.payments ?? row.count),
    amountMinor: numberOf(row.amountMinor),
  }));
}

export { numberOf };
