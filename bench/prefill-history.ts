// `bench:auth --prefill N`: N past payments written straight into the gateway's SQLite file before it
// starts, so the bench measures a store with history (every index of payments, attempts, idempotency
// records, fee lines and events N entries deep) against an empty one.
//
// Fast: the rows are generated inside SQLite (INSERT ... SELECT from a recursive counter), one
// statement per table, with the rollback journal off; the tables' own indexes are dropped first and
// built again from their stored definitions after the rows (a sorted build instead of N random B-tree
// inserts), so the file ends with exactly the schema the migrations made. Several hundred thousand
// payments a second, where writing them one by one through prepared statements managed about 1 500.
//
// Realistic spread (deterministic: the same history for the same N), from multiplicative hashes of the
// payment's number: 2 million cards, one payment in ten on 1 000 heavy cards (thousands of payments
// each at ten million); every terminal of the bench merchant in turn (each terminal's STANs run on, so
// the (terminal, STAN, DE 7) key stays unique); times over the 90 days before yesterday; 1-99,999 fen;
// 93 % approved, 5 % declined upstream (the retry budgets' decline index is filled too), 2 % declined
// locally (no attempt). Each payment has its idempotency record (scope `iso:<terminal>`, key
// `<DE 11>:<DE 7>`), its journal seq (migration 0014), its `payment.completed` event, its row of the payment
// list (migration 0027), its attempt when it was sent and its fee line when approved, as the gateway and its
// projector write them.
import Database from 'better-sqlite3';
import { analyticsProjectorName } from '../src/app/projector/analytics-projector.ts';
import { projectorName } from '../src/app/projector/payment-projector.ts';

const dayMs = 86_400_000;

/** Indexes of the tables a payment writes; dropped before the bulk insert and built again after it. */
const historyTables = ['payments', 'payment_list', 'attempts', 'idempotency_records', 'fee_lines', 'events'];

/** The checkpoints of the payment projector and the analytics projector (src/app/projector/). */
const historyProjectors = [projectorName, analyticsProjectorName];

/** The webhook fan-out's cursor (src/app/webhooks/fan-out-events.ts); the alerts evaluator starts at the stream's end by itself. */
const eventConsumers = ['webhooks'];

export interface PrefillReport {
  payments: number;
  attempts: number;
  feeLines: number;
  events: number;
  seconds: number;
  paymentsPerSec: number;
}

/** A pseudo-random integer in [0, 2^31 - 1) from the payment number `i` (a Lehmer step over a quadratic). */
function hashSql(salt: number, multiplier: number): string {
  return `((((i * i + i * ${salt} + ${salt}) % 2147483647) * ${multiplier}) % 2147483647)`;
}

export function prefillHistory(path: string, options: { payments: number; merchantId: string; terminalIds: readonly string[]; nowMs: number; log: (line: string) => void }): PrefillReport {
  if (options.terminalIds.length === 0) throw new Error('prefillHistory needs at least one terminal id');
  if (!Number.isSafeInteger(options.payments) || options.payments < 1 || options.payments > 100_000_000) throw new Error('prefillHistory writes 1..100000000 payments');
  const startedMs = Date.now();
  let attempts = 0;
  let feeLines = 0;
  let events = 0;
  const db = new Database(path);
  try {
    // A bench file: nothing to roll back to if this fails half-way, so no journal and no fsync.
    db.pragma('journal_mode = DELETE');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -1048576');
    db.pragma('threads = 2');
    db.pragma('temp_store = MEMORY');
    const indexes = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${historyTables.map(() => '?').join(', ')})`)
      .all(...historyTables) as Array<{ name: string; sql: string }>;
    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);

    db.exec('CREATE TEMP TABLE prefill_terminals (idx INTEGER PRIMARY KEY, id TEXT NOT NULL)');
    const insertTerminal = db.prepare('INSERT INTO prefill_terminals (idx, id) VALUES (?, ?)');
    options.terminalIds.forEach((id, idx) => insertTerminal.run(idx, id));
    const terminals = options.terminalIds.length;
    const journalStart = (db.prepare('SELECT COALESCE(MAX(journal_seq), 0) AS seq FROM payments').get() as { seq: number }).seq;
    const declinedUpstream = JSON.stringify({ code: '51', category: 'insufficient_funds', party: 'issuer', verdict: 'never', waitSeconds: null, advice: { cashier: { zh: '-', en: '-' }, customer: { zh: '-', en: '-' } } });
    const declinedLocally = JSON.stringify({ code: '14', category: 'card_data', party: 'issuer', verdict: 'never', waitSeconds: null, advice: { cashier: { zh: '-', en: '-' }, customer: { zh: '-', en: '-' } } });
    // Newest history is a day old: the live sales' re-swipe and retry-budget windows start empty.
    const newestMs = options.nowMs - dayMs;

    db.exec('BEGIN');
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count),
       h AS (
         SELECT i,
           ${hashSql(7919, 48271)} % 1000 AS roll,
           CASE WHEN ${hashSql(104729, 69621)} % 10 = 0 THEN ${hashSql(15485863, 16807)} % 1000 ELSE ${hashSql(15485863, 16807)} % 2000000 END AS card,
           ${hashSql(32452843, 39373)} % 7776000 AS age_s,
           1 + ${hashSql(49979687, 40692)} % 99999 AS amount
         FROM n
       ),
       p AS (
         SELECT h.*, t.id AS terminal_id,
           CASE WHEN roll < 930 THEN 'approved' ELSE 'declined' END AS status,
           CASE WHEN roll < 930 THEN '00' WHEN roll < 980 THEN '51' ELSE '14' END AS code,
           printf('%06d', (i / @terminals) % 999999 + 1) AS stan,
           @newest - age_s * 1000 - (i % 1000) AS created
         FROM h JOIN prefill_terminals t ON t.idx = h.i % @terminals
       )
       INSERT INTO payments (id, kind, status, intake, merchant_id, terminal_id, amount_minor, currency, pan_fingerprint, pan_masked, pan_last4,
         card_brand, card_type, card_issuer, entry_mode, terminal_stan, terminal_transmitted_at, reference, original_payment_id, response_code,
         auth_code, rrn, decline, decline_category, created_at_ms, updated_at_ms, version, manual_handling_since_ms, pan_key_id, journal_seq)
       SELECT printf('pay_prefill_%09d', i), 'sale', status, 'iso', @merchant, terminal_id, amount, '156',
         printf('%08x%08x%08x%08x%08x%08x%08x%08x', (card * 2654435761 + 1) % 4294967296, (card * 2246822519 + 2) % 4294967296,
           (card * 3266489917 + 3) % 4294967296, (card * 668265263 + 4) % 4294967296, (card * 374761393 + 5) % 4294967296,
           (card * 2869860233 + 6) % 4294967296, (card * 1103515245 + 7) % 4294967296, (card * 1664525 + 8) % 4294967296),
         '622202******' || printf('%04d', card % 10000), printf('%04d', card % 10000),
         'unionpay', 'debit', NULL, '051', stan, strftime('%m%d%H%M%S', created / 1000, 'unixepoch'), NULL, NULL, code,
         CASE WHEN code = '00' THEN printf('A%05d', i % 100000) END,
         CASE WHEN code = '00' THEN printf('P%011d', i) END,
         CASE code WHEN '51' THEN @declinedUpstream WHEN '14' THEN @declinedLocally END,
         CASE code WHEN '51' THEN 'insufficient_funds' WHEN '14' THEN 'card_data' END,
         created, created + 150, 2, NULL, 'prefill', @journalStart + i + 1
       FROM p`,
    ).run({ count: options.payments, terminals, merchant: options.merchantId, newest: newestMs, declinedUpstream, declinedLocally, journalStart });
    const afterPaymentsMs = Date.now();
    options.log(`prefill: ${options.payments} payments in ${((afterPaymentsMs - startedMs) / 1000).toFixed(1)} s`);

    const fromHistory = `FROM payments WHERE pan_key_id = 'prefill' AND journal_seq > ${journalStart}`;
    // The upstream key (channel, STAN, DE 7) must be unique: one channel per million payments keeps the STANs apart.
    attempts = db
      .prepare(
        `INSERT INTO attempts (id, payment_id, seq, channel, mti, stan, transmitted_at, processing_code, upstream_terminal_id, outcome, response_code,
           auth_code, rrn, latency_ms, sent_at_ms, completed_at_ms, created_at_ms, pan_fingerprint, pan_key_id)
         SELECT 'att' || substr(id, 4), id, 1, 'prefill' || ((journal_seq - ${journalStart} - 1) / 999999), '0200',
           printf('%06d', (journal_seq - ${journalStart} - 1) % 999999 + 1), terminal_transmitted_at, '000000', substr(terminal_id, 1, 8),
           status, response_code, auth_code, rrn, 120, created_at_ms + 5, created_at_ms + 125, created_at_ms, pan_fingerprint, pan_key_id
         ${fromHistory} AND response_code <> '14'`,
      )
      .run().changes;
    const idempotency = db
      .prepare(
        `INSERT INTO idempotency_records (scope, idempotency_key, request_hash, payment_id, state, response_status, response_body, created_at_ms, updated_at_ms)
         SELECT 'iso:' || terminal_id, terminal_stan || ':' || terminal_transmitted_at, 'prefill', id, 'done', 201, NULL, created_at_ms, updated_at_ms
         ${fromHistory} ORDER BY 1, 2`,
      )
      .run().changes;
    feeLines = db
      .prepare(
        `INSERT INTO fee_lines (id, payment_id, merchant_id, kind, method, plan, rule, amount_minor, fee_minor, rate_bps, business_date, created_at_ms)
         SELECT 'fee_' || id, id, merchant_id, 'fee', 'debit', 'standard', 'prefill', amount_minor, (amount_minor * 50 + 5000) / 10000, 50,
           date(created_at_ms / 1000, 'unixepoch'), created_at_ms + 150
         ${fromHistory} AND status = 'approved'`,
      )
      .run().changes;
    events = db
      .prepare(
        `INSERT INTO events (type, subject_id, payload, at_ms)
         SELECT 'payment.completed', id,
           json_object('status', status, 'code', response_code, 'category', CASE WHEN status = 'approved' THEN 'approved' ELSE decline_category END,
             'verdict', CASE WHEN status = 'approved' THEN 'none' ELSE 'never' END, 'amountMinor', amount_minor, 'currency', currency,
             'merchantId', merchant_id, 'terminalId', terminal_id, 'by', 'projector'),
           updated_at_ms + 5
         ${fromHistory} ORDER BY journal_seq`,
      )
      .run().changes;
    const listed = db
      .prepare(
        `INSERT INTO payment_list (id, journal_seq, created_at_ms, merchant_id, terminal_id, kind, status, method, amount_minor, pan_last4, card_brand, card_type,
           terminal_stan, rrn, reference, response_code, decline_category)
         SELECT id, journal_seq, created_at_ms, merchant_id, terminal_id, kind, status, method, amount_minor, pan_last4, card_brand, card_type,
           terminal_stan, rrn, reference, response_code, decline_category
         ${fromHistory}`,
      )
      .run().changes;
    const afterRowsMs = Date.now();
    options.log(`prefill: ${listed} payment list rows, ${attempts} attempts, ${idempotency} idempotency records, ${feeLines} fee lines, ${events} events in ${((afterRowsMs - afterPaymentsMs) / 1000).toFixed(1)} s`);

    for (const index of indexes) db.exec(index.sql);
    options.log(`prefill: ${indexes.length} indexes built again in ${((Date.now() - afterRowsMs) / 1000).toFixed(1)} s`);
    // Both projectors start caught up, as in production where they followed the history as it was written:
    // the payment projector's fee lines and events are written above; the analytics rollup of the history is
    // left empty. Left at 0, the analytics projector re-reads the whole journal from the gateway's first start
    // (about 500 payments/s here, each batch looking for rescue peers of cards with thousands of payments),
    // hogging the one writer: with 1 M the first start then did not listen within 10 minutes (2026-12-06).
    const setCheckpoint = db.prepare('INSERT INTO projector_checkpoints (name, seq, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq');
    for (const projector of historyProjectors) setCheckpoint.run(projector, journalStart + options.payments, options.nowMs);
    // So does the webhook fan-out: in production it read that history long ago. Left at 0, it walks every
    // past event from the gateway's first start on (with 10 M the gateway did not start within 30 s).
    const eventsHead = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events').get() as { seq: number }).seq;
    const setCursor = db.prepare('INSERT INTO consumer_cursors (name, seq, state, updated_at_ms) VALUES (?, ?, NULL, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, state = NULL');
    for (const consumer of eventConsumers) setCursor.run(consumer, eventsHead, options.nowMs);
    db.exec('COMMIT');
    // No ANALYZE: the gateway runs on the plans a production database has (no statistics).
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  const seconds = (Date.now() - startedMs) / 1000;
  const report = { payments: options.payments, attempts, feeLines, events, seconds, paymentsPerSec: Math.round(options.payments / Math.max(seconds, 0.001)) };
  options.log(`prefill: ${options.payments} payments with their rows and indexes in ${seconds.toFixed(1)} s (${report.paymentsPerSec} payments/s)`);
  return report;
}
