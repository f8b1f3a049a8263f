// The small surface the shared SQL code needs from a database connection. SQL is written once with
// `?` placeholders; the PostgreSQL executor numbers them (`$1`, `$2`, ...) before sending.

/** A value bound to a placeholder. Booleans become 0/1 on SQLite; JSON is bound as its text. */
export type SqlValue = string | number | boolean | null;

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

/** `records` cut into slices of at most paramsPerStatementMax parameters: `paramsPerRecord` each, plus `otherParams` per statement. */
export function statementSlices<T>(records: readonly T[], paramsPerRecord: number, otherParams = 0): T[][] {
  const perStatement = Math.max(1, Math.floor((paramsPerStatementMax - otherParams) / paramsPerRecord));
  const slices: T[][] = [];
  for (let i = 0; i < records.length; i += perStatement) slices.push(records.slice(i, i + perStatement));
  return slices;
}

/** Rewrites `?` placeholders to PostgreSQL's `$n`. The store's SQL has no `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let position = 0;
  return sql.replace(/\?/g, () => `$${++position}`);
}
