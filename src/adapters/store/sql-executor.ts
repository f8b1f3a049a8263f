// The small surface the shared SQL code needs from a database connection. SQL is written once with
// `?` placeholders; the PostgreSQL executor numbers them (`$1`, `$2`, ...) before sending.

/** A value bound to a placeholder. Booleans become 0/1 on SQLite; JSON is bound as its text. */
export type SqlValue = string | number | boolean | null;

/** Adds a WHERE condition with one `?` and its value, when a filter's value is given (undefined: no condition). */
export function whereIf(conditions: string[], params: SqlValue[], value: SqlValue | undefined, condition: string): void {
  if (value === undefined) return;
  conditions.push(condition);
  params.push(value);
}

/** One result row, keyed by column name, as the driver returns it. */
export type SqlRow = Readonly<Record<string, unknown>>;

export interface SqlExecutor {
  /** Runs a statement that returns rows (SELECT, or INSERT ... RETURNING). */
  all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params: readonly SqlValue[]): Promise<number>;
}

/**
 * Bound parameters per statement the shared SQL writes at most, splitting larger sets over several
 * statements: far under SQLite's limit (32,766 in the build better-sqlite3 12 ships, 999 before SQLite
 * 3.32) and PostgreSQL's 65,535, and small enough that SQLite keeps such statements cheap to prepare.
 */
export const paramsPerStatementMax = 2000;

/**
 * `records` cut for multi-row statements of at most paramsPerStatementMax parameters (`paramsPerRecord`
 * each, plus `otherParams` per statement), in slices whose sizes are powers of two: the largest that fits,
 * then the rest by its binary digits (57 rows: 32 + 16 + 8 + 1). So a table gets at most eight statement
 * texts, not one per row count: the SQLite store caches a prepared statement per text (1 000 at most,
 * then it starts again), and a few hundred texts per table would empty that cache every so often and
 * make every statement, the answer's path's too, be prepared again.
 */
export function statementSlices<T>(records: readonly T[], paramsPerRecord: number, otherParams = 0): T[][] {
  const fit = Math.max(1, Math.floor((paramsPerStatementMax - otherParams) / paramsPerRecord));
  let size = 1;
  while (size * 2 <= fit) size *= 2;
  const slices: T[][] = [];
  for (let i = 0; i < records.length; i += size) {
    while (size > records.length - i) size /= 2;
    slices.push(records.slice(i, i + size));
  }
  return slices;
}

/**
 * Values for `IN (...)` lists, cut like statementSlices and each slice padded to the next power of two
 * by repeating its last value (harmless in an IN list): a handful of statement texts for any count.
 */
export function inListSlices<T>(values: readonly T[], otherParams = 0): T[][] {
  const fit = paramsPerStatementMax - otherParams;
  const slices: T[][] = [];
  for (let i = 0; i < values.length; i += fit) {
    const slice = values.slice(i, i + fit);
    let size = 1;
    while (size < slice.length) size *= 2;
    const last = slice[slice.length - 1] as T;
    while (slice.length < Math.min(size, fit)) slice.push(last);
    slices.push(slice);
  }
  return slices;
}

/** Rewrites `?` placeholders to PostgreSQL's `$n`. The store's SQL has no `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let position = 0;
  return sql.replace(/\?/g, () => `$${++position}`);
}
