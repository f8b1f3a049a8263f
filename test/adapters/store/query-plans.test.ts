// Goal: the queries run on every sale (re-swipe candidates, migration 0006), the recovery sweep's and the transaction set's (follow-ups, pending advices, expired holds, last event of a subject, migration 0005) are served by their indexes, not by scans or sorts. Method: apply every migration to an in-memory SQLite database and read EXPLAIN QUERY PLAN of each query as sql-store-reader.ts writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrations } from '../../../src/adapters/store/migrations.ts';

/** Each query as the reader runs it (columns reduced to `id`: the plan depends on WHERE and ORDER BY), with the index it must use. */
const rows: ReadonlyArray<{ name: string; sql: string; params: unknown[]; index: string }> = [
  {
    name: 'findReswipeCandidates (terminal)',
    sql: 'SELECT id FROM payments WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = ? AND terminal_id = ? ORDER BY created_at_ms DESC, id DESC LIMIT 50',
    params: ['f', 100, 0, 'CNY', 'sale', 't1'],
    index: 'payments_reswipe_idx',
  },
  {
    name: 'findReswipeCandidates (merchant)',
    sql: "SELECT id FROM payments WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = ? AND terminal_id IS NULL AND merchant_id || '' = ? ORDER BY created_at_ms DESC, id DESC LIMIT 50",
    params: ['f', 100, 0, 'CNY', 'sale', 'm1'],
    index: 'payments_reswipe_idx',
  },
  {
    name: 'listPendingPayments',
    sql: "SELECT id FROM payments WHERE status = 'pending' AND manual_handling_since_ms IS NULL AND created_at_ms < ? ORDER BY created_at_ms, id LIMIT 100",
    params: [1],
    index: 'payments_status_idx',
  },
  {
    name: 'listFollowUps',
    sql: 'SELECT id FROM payments WHERE original_payment_id = ? ORDER BY created_at_ms, id LIMIT 100001',
    params: ['p1'],
    index: 'payments_original_idx',
  },
  {
    name: 'listPendingAdvices',
    sql: "SELECT id FROM attempts WHERE outcome = 'pending' AND mti IN ('0220', '0221') ORDER BY created_at_ms, id LIMIT 100",
    params: [],
    index: 'attempts_pending_advices_idx',
  },
  {
    name: 'listExpiredHolds',
    sql: "SELECT id FROM payments WHERE status = 'approved' AND kind = 'preauth' AND created_at_ms < ? ORDER BY created_at_ms, id LIMIT 100",
    params: [1],
    index: 'payments_kind_status_idx',
  },
  {
    name: 'lastEventOf',
    sql: 'SELECT seq FROM events WHERE type = ? AND subject_id = ? ORDER BY seq DESC LIMIT 1',
    params: ['batch.settled', 't1'],
    index: 'events_subject_type_idx',
  },
];

test('the hot queries use their indexes and need no sort', () => {
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    for (const row of rows) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${row.sql}`).all(...row.params) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
      assert.match(plan, new RegExp(`USING (?:COVERING )?INDEX ${row.index}\\b`), `${row.name}: ${plan}`);
      assert.doesNotMatch(plan, /TEMP B-TREE/, `${row.name} sorts: ${plan}`);
    }
  } finally {
    db.close();
  }
});

test('reconciliation: a clearing line finds its attempt by RRN or STAN + DE 7, and its earlier line, by index probes only', async () => {
  const { journalSelectSql } = await import('../../../src/adapters/store/recon-rows.ts');
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    const plans = [
      [`${journalSelectSql} WHERE a.channel = ? AND a.rrn IS NOT NULL AND a.rrn IN (?, ?)`, ['r1', 'bank-a', '1', '2'], 'attempts_channel_rrn_idx'],
      [`${journalSelectSql} WHERE a.channel = ? AND ((a.stan = ? AND a.transmitted_at = ?) OR (a.stan = ? AND a.transmitted_at = ?))`, ['r1', 'bank-a', '1', '2', '3', '4'], 'attempts_upstream_key'],
    ] as const;
    for (const [sql, params, index] of plans) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
      assert.match(plan, new RegExp(`SEARCH a USING INDEX ${index}\\b`), plan);
      // The matched-line probe must use (run_id, attempt_id), never walk the run's lines.
      assert.match(plan, /SEARCH l USING (?:COVERING )?INDEX recon_lines_attempt_idx/, plan);
      assert.doesNotMatch(plan, /TEMP B-TREE|SCAN/, plan);
    }
  } finally {
    db.close();
  }
});
