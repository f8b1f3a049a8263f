// Goal: the reads every sale makes (the re-swipe candidates twice, the idempotency key, the card's declines,
// the attempts and the payment) bind no value that decides whether a partial index applies. SQLite
// re-prepares such a statement every time the value is bound again, that is on every call (the re-swipe
// read cost 20-30 us instead of 2-3 while it bound the kind, which payments_open_holds_idx names).
// Method: run each read through SqlStoreReader on a migrated in-memory database with a recording executor,
// and look for `column = ?` (or `<>`, `IN`) on a column that a partial index of the same table names in its WHERE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { SqlStoreReader } from '../../../src/adapters/store/sql-store-reader.ts';
import type { SqlExecutor, SqlRow, SqlValue } from '../../../src/adapters/store/sql-executor.ts';

/** The columns each table's partial indexes name in their WHERE, read from the migrated schema. */
function partialIndexColumns(db: Database.Database): Map<string, Set<string>> {
  const byTable = new Map<string, Set<string>>();
  const indexes = db.prepare("SELECT tbl_name AS tableName, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'").all() as Array<{ tableName: string; sql: string }>;
  for (const { tableName, sql } of indexes) {
    const predicate = sql.slice(sql.toUpperCase().lastIndexOf(' WHERE ') + 7).replace(/'[^']*'/g, "''");
    const columns = byTable.get(tableName) ?? new Set<string>();
    for (const word of predicate.match(/[a-z_][a-z0-9_]*/g) ?? []) if (!['is', 'not', 'null', 'and', 'or', 'in'].includes(word)) columns.add(word);
    byTable.set(tableName, columns);
  }
  return byTable;
}

/** `column = ?`, `column <> ?` or `column IN (?` for a column of `columns`, with or without a table alias. */
function boundPartialIndexTerms(sql: string, tables: readonly string[], byTable: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  for (const table of tables) {
    for (const column of byTable.get(table) ?? []) {
      const term = new RegExp(`(?:^|[^a-z0-9_])(?:[a-z_]+\\.)?${column}\\s*(?:=|<>|!=|IN\\s*\\()\\s*\\?`, 'i');
      if (term.test(sql)) found.push(`${table}.${column}`);
    }
  }
  return found;
}

test('the reads of a sale bind no value a partial index depends on (SQLite would re-prepare them on every call)', async () => {
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    const seen: string[] = [];
    const recording: SqlExecutor = {
      async all(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]> {
        seen.push(sql);
        return db.prepare(sql).all(...params) as SqlRow[];
      },
      async run(sql: string, params: readonly SqlValue[]): Promise<number> {
        seen.push(sql);
        return db.prepare(sql).run(...params).changes;
      },
    };
    const reader = new SqlStoreReader(recording);
    const sale = { panFingerprint: 'f'.repeat(64), amountMinor: 100, currency: 'CNY', merchantId: 'M1', terminalId: 'T1' };
    for (const kind of ['sale', 'preauth'] as const) {
      await reader.findReswipeCandidates({ ...sale, kind }, 0, 50);
      await reader.findReswipeCandidates({ ...sale, kind, terminalId: null }, 0, 50);
    }
    await reader.getIdempotency('terminal:T1', 'key-1');
    await reader.getPayment('pay_1');
    await reader.listAttempts('pay_1');
    await reader.listCardDeclines(sale.panFingerprint, 0, 20);
    assert.ok(seen.length >= 8, 'every read was recorded');
    const byTable = partialIndexColumns(db);
    assert.ok(byTable.get('payments')?.has('kind'), 'the schema has the partial index this test is about');
    for (const sql of seen) {
      const tables = [...sql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_]+)/gi)].map((match) => match[1] ?? '');
      assert.deepEqual(boundPartialIndexTerms(sql, tables, byTable), [], sql.replace(/\s+/g, ' '));
    }
  } finally {
    db.close();
  }
});

test('a re-swipe read of a kind outside the vocabulary is refused, never written into the SQL', async () => {
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    const reader = new SqlStoreReader({ all: async (sql, params) => db.prepare(sql).all(...params) as SqlRow[], run: async (sql, params) => db.prepare(sql).run(...params).changes });
    const match = { panFingerprint: 'f', amountMinor: 1, currency: 'CNY', merchantId: 'M1', terminalId: 'T1', kind: "sale' OR '1' = '1" as 'sale' };
    await assert.rejects(reader.findReswipeCandidates(match, 0, 50), /RSW_BAD_ARGUMENT|kind/);
  } finally {
    db.close();
  }
});
