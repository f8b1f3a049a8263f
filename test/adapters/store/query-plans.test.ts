// Goal: the queries run on every sale (re-swipe candidates, migration 0006), the recovery sweep's and the transaction set's (follow-ups, pending advices, expired holds, last event of a subject, migrations 0005 and 0027) and the lists' (payment_list, migration 0027) are served by their indexes, not by scans or sorts. Method: apply every migration to an in-memory SQLite database and read EXPLAIN QUERY PLAN of each query as sql-store-reader.ts writes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrations } from '../../../src/adapters/store/migrations.ts';
import { approvedSumSql, currentPaymentParts, paymentQueryTerms } from '../../../src/adapters/store/current-payments-sql.ts';
import { finishedOutboxSql } from '../../../src/adapters/store/notification-sql.ts';
import type { PaymentQuery } from '../../../src/core/ports/store.ts';

/** Each query as the reader runs it (columns reduced to `id`: the plan depends on WHERE and ORDER BY), with the index it must use. */
const rows: ReadonlyArray<{ name: string; sql: string; params: unknown[]; index: string }> = [
  {
    name: 'findReswipeCandidates (terminal)',
    sql: "SELECT id FROM payments WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = 'sale' AND terminal_id = ? ORDER BY created_at_ms DESC, id DESC LIMIT 50",
    params: ['f', 100, 0, 'CNY', 't1'],
    index: 'payments_reswipe_idx',
  },
  {
    // 'preauth' matches half the predicate of payments_open_holds_idx: the planner must still take the re-swipe index.
    name: 'findReswipeCandidates (terminal, pre-authorization)',
    sql: "SELECT id FROM payments WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = 'preauth' AND terminal_id = ? ORDER BY created_at_ms DESC, id DESC LIMIT 50",
    params: ['f', 100, 0, 'CNY', 't1'],
    index: 'payments_reswipe_idx',
  },
  {
    name: 'findReswipeCandidates (merchant)',
    sql: "SELECT id FROM payments WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = 'sale' AND terminal_id IS NULL AND merchant_id || '' = ? ORDER BY created_at_ms DESC, id DESC LIMIT 50",
    params: ['f', 100, 0, 'CNY', 'm1'],
    index: 'payments_reswipe_idx',
  },
  {
    name: 'listPendingPayments',
    sql: "SELECT id FROM payments WHERE status = 'pending' AND manual_handling_since_ms IS NULL AND created_at_ms < ? ORDER BY created_at_ms, id LIMIT 100",
    params: [1],
    index: 'payments_pending_idx',
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
    index: 'payments_open_holds_idx',
  },
  {
    // The outbox's retention purge (migration 0034): without its index every pass walked the whole outbox.
    name: 'deleteFinishedOutbox',
    sql: finishedOutboxSql(1000),
    params: [1],
    index: 'outbox_finished_idx',
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

test("a merchant's standing reads start from the payment list's merchant index and reach attempts by payment", () => {
  // The GROUP BY over a handful of entry modes or outcomes, and the tie-break of the declines' order, may use a
  // small temporary b-tree; what matters is that no read scans payments, the payment list or attempts.
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    const parts = currentPaymentParts('p.id AS id, p.entry_mode AS entry_mode, p.created_at_ms AS created_at_ms', paymentQueryTerms({ limit: 1, merchantId: 'm1', fromMs: 0, toMs: 1 }, undefined), 200_000);
    const period = `SELECT * FROM (${parts.sql}) c ORDER BY created_at_ms DESC, id DESC LIMIT 200000`;
    const queries = [
      { name: 'entries', sql: `SELECT entry_mode, COUNT(*) FROM (${period}) period_rows GROUP BY entry_mode`, attempts: false },
      { name: 'outcomes', sql: `SELECT a.outcome, COUNT(*) FROM (${period}) period_rows JOIN attempts a ON a.payment_id = period_rows.id WHERE a.outcome IN ('approved', 'declined', 'unknown', 'reversed') GROUP BY a.outcome`, attempts: true },
    ];
    for (const query of queries) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...parts.params) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
      assert.match(plan, /SEARCH l USING (?:COVERING )?INDEX payment_list_merchant_idx\b/, `${query.name}: ${plan}`);
      if (query.attempts) assert.match(plan, /SEARCH a USING (?:COVERING )?INDEX attempts_payment_seq_key\b/, `${query.name}: ${plan}`);
      assert.doesNotMatch(plan, /SCAN (?:payments|attempts|a|l|p)\b/, `${query.name} scans: ${plan}`);
    }
  } finally {
    db.close();
  }
});

test('a list reads the payment list by the index of its filter, the journal after the checkpoint, and the sales in flight, never scanning', () => {
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    const cases: ReadonlyArray<{ query: Omit<PaymentQuery, 'limit'>; index: string }> = [
      { query: {}, index: 'payment_list_created_idx' },
      { query: { merchantId: 'm1' }, index: 'payment_list_merchant_idx' },
      { query: { terminalId: 't1', fromMs: 0, toMs: 1 }, index: 'payment_list_terminal_idx' },
      { query: { status: 'approved' }, index: 'payment_list_status_idx' },
      { query: { last4: '1234' }, index: 'payment_list_last4_idx' },
      // Follow-ups find their original by RRN or STAN: that index, not the terminal's or merchant's history.
      { query: { terminalId: 't1', stan: '000001' }, index: 'payment_list_stan_idx' },
      { query: { terminalId: 't1', rrn: '123456789012' }, index: 'payment_list_rrn_idx' },
      { query: { merchantId: 'm1', rrn: '123456789012' }, index: 'payment_list_rrn_idx' },
    ];
    for (const { query, index } of cases) {
      const parts = currentPaymentParts('p.id AS id, p.created_at_ms AS created_at_ms', paymentQueryTerms({ limit: 50, ...query }, { createdAtMs: 5, id: 'x' }), 51);
      const sql = `SELECT id FROM (${parts.sql}) c ORDER BY created_at_ms DESC, id DESC LIMIT 51`;
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parts.params) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
      const name = JSON.stringify(query);
      assert.match(plan, new RegExp(`SEARCH l USING (?:COVERING )?INDEX ${index}\\b`), `${name}: ${plan}`);
      assert.match(plan, /SEARCH p USING (?:COVERING )?INDEX (?:payments_journal_key|payments_iso_key|payments_pending_idx)\b/, `${name}: ${plan}`);
      assert.doesNotMatch(plan, /SCAN (?:payments|payment_list|l|p)\b/, `${name} scans: ${plan}`);
    }
  } finally {
    db.close();
  }
});

test("a limit's total reads a covering index (the merchant's approved rows, migration 0028; the terminal's list, migration 0030) and the journal after the checkpoint, never a payment per projected row", () => {
  const db = new Database(':memory:');
  try {
    for (const migration of migrations) db.exec(migration.sqlite);
    const cases = [
      { scope: { merchantId: 'm1' }, index: 'payment_list_merchant_approved_idx' },
      // The terminal's list index carries status, merchant and amount after its key (migration 0030).
      { scope: { merchantId: 'm1', terminalId: 't1' }, index: 'payment_list_terminal_idx' },
    ];
    for (const { scope, index } of cases) {
      const sum = approvedSumSql(scope, 0, 1);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sum.sql}`).all(...sum.params) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
      const name = JSON.stringify(scope);
      // The projected rows: index entries only, the amount included.
      assert.match(plan, new RegExp(`SEARCH l USING COVERING INDEX ${index}\\b`), `${name}: ${plan}`);
      // The tail: from the journal's side, its list rows by their key.
      assert.match(plan, /SEARCH p USING (?:COVERING )?INDEX payments_journal_key\b/, `${name}: ${plan}`);
      assert.match(plan, /SEARCH l USING INDEX sqlite_autoindex_payment_list_1\b|SEARCH l USING INDEX payment_list_pkey\b/, `${name}: ${plan}`);
      // The tail (MATERIALIZE) is read as it was stored, a handful of rows, and the three terms are summed as they come: the only scans allowed.
      assert.doesNotMatch(plan.replace(/SCAN (?:t|approved_terms)\b/g, ''), /SCAN /, `${name} scans: ${plan}`);
      // Never the merchant's list index (its entries lack the amount: a list row per entry).
      assert.doesNotMatch(plan, /payment_list_merchant_idx\b/, `${name} walks the list's history: ${plan}`);
    }
  } finally {
    db.close();
  }
});
