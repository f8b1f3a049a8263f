// Versioned schema migrations for both databases, applied in order and recorded in
// `schema_migrations`. A migration is never edited once released: a change is a new entry.
//
// Each migration is written once as a template; the few words that differ between SQLite and
// PostgreSQL are tokens replaced per dialect, so the two schemas cannot drift apart by accident.
// The generated text is frozen at module load, and `migrations.test.ts` pins a hash of each.

export interface Migration {
  /** Sortable and unique: `NNNN_name`. */
  readonly version: string;
  readonly sqlite: string;
  readonly postgres: string;
}

export type SqlDialect = 'sqlite' | 'postgres';

/** The only words that differ between the two schemas. */
const dialectTokens: Readonly<Record<string, Readonly<Record<SqlDialect, string>>>> = {
  // Money, instants and counters: 64-bit on PostgreSQL; SQLite INTEGER is already 64-bit.
  '{BIGINT}': { sqlite: 'INTEGER', postgres: 'BIGINT' },
  '{JSON}': { sqlite: 'TEXT', postgres: 'JSONB' },
  '{BOOL}': { sqlite: 'INTEGER', postgres: 'BOOLEAN' },
  '{FALSE}': { sqlite: '0', postgres: 'FALSE' },
  // AUTOINCREMENT makes SQLite never reuse a seq, even after the newest event is deleted.
  '{EVENT_SEQ}': { sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' },
  // The audit log refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) inside the database itself, so
  // no code path, not even a careless maintenance statement, can edit it. The two trigger syntaxes differ.
  // The payment journal's sequence (0014): PostgreSQL draws it from a sequence under the event-order lock;
  // SQLite, with one writer, takes the highest seq + 1 from the index.
  '{JOURNAL_SEQUENCE}': { sqlite: '', postgres: 'CREATE SEQUENCE payments_journal_seq;' },
  // SQLite stores a table clustered by its primary key when told to (the analytics rollup, 0020); PostgreSQL tables are heaps.
  '{WITHOUT_ROWID}': { sqlite: ' WITHOUT ROWID', postgres: '' },
  '{AUDIT_APPEND_ONLY}': {
    sqlite: `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`,
    postgres: `CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();`,
  },
};

function renderMigration(template: string, dialect: SqlDialect): string {
  let sql = template;
  for (const [token, byDialect] of Object.entries(dialectTokens)) sql = sql.split(token).join(byDialect[dialect]);
  if (/\{[A-Z_]+\}/.test(sql)) throw new Error(`migration template has an unknown token: ${/\{[A-Z_]+\}/.exec(sql)?.[0]}`);
  return sql;
}

function defineMigration(version: string, template: string): Migration {
  return Object.freeze({ version, sqlite: renderMigration(template, 'sqlite'), postgres: renderMigration(template, 'postgres') });
}

const coreSchema = `
-- Card data at rest: no column in this schema holds a full PAN, CVV, track 2 data or a PIN block,
-- and none may ever be added. A card is stored as a keyed fingerprint (HMAC-SHA-256, pan_fingerprint)
-- plus its masked form (first 6, last 4: pan_masked) and the last 4 digits alone (pan_last4).

CREATE TABLE merchants (
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  mcc TEXT NOT NULL,
  accepts {JSON} NOT NULL,
  limits {JSON} NOT NULL,
  fee_plan TEXT NOT NULL,
  disabled {BOOL} NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT merchants_pkey PRIMARY KEY (id)
);

CREATE TABLE terminals (
  id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  state TEXT NOT NULL,
  signed_on {BOOL} NOT NULL,
  batch_no TEXT NOT NULL,
  limits {JSON} NOT NULL,
  last_seen_at_ms {BIGINT},
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT terminals_pkey PRIMARY KEY (id),
  CONSTRAINT terminals_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id)
);
CREATE INDEX terminals_merchant_idx ON terminals (merchant_id, id);

CREATE TABLE channels (
  name TEXT NOT NULL,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  dialect TEXT NOT NULL,
  timeout_ms {BIGINT} NOT NULL,
  priority INTEGER NOT NULL,
  disabled {BOOL} NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT channels_pkey PRIMARY KEY (name)
);

-- pan_last4 is derived from pan_masked on write, so "last 4 digits" searches use an index.
-- decline_category is derived from decline.category for the same reason.
CREATE TABLE payments (
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  intake TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  terminal_id TEXT,
  amount_minor {BIGINT} NOT NULL,
  currency TEXT NOT NULL,
  pan_fingerprint TEXT NOT NULL,
  pan_masked TEXT NOT NULL,
  pan_last4 TEXT NOT NULL,
  card_brand TEXT NOT NULL,
  card_type TEXT NOT NULL,
  card_issuer TEXT,
  entry_mode TEXT NOT NULL,
  terminal_stan TEXT,
  terminal_transmitted_at TEXT,
  reference TEXT,
  original_payment_id TEXT,
  response_code TEXT,
  auth_code TEXT,
  rrn TEXT,
  decline {JSON},
  decline_category TEXT,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  version INTEGER NOT NULL,
  CONSTRAINT payments_pkey PRIMARY KEY (id),
  CONSTRAINT payments_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id),
  CONSTRAINT payments_terminal_fkey FOREIGN KEY (terminal_id) REFERENCES terminals (id),
  CONSTRAINT payments_original_fkey FOREIGN KEY (original_payment_id) REFERENCES payments (id)
);
-- A retransmitted ISO request (same terminal, STAN and DE 7) can never create a second payment.
CREATE UNIQUE INDEX payments_iso_key ON payments (terminal_id, terminal_stan, terminal_transmitted_at) WHERE terminal_stan IS NOT NULL;
CREATE INDEX payments_created_idx ON payments (created_at_ms DESC, id DESC);
CREATE INDEX payments_merchant_idx ON payments (merchant_id, created_at_ms DESC, id DESC);
CREATE INDEX payments_terminal_idx ON payments (terminal_id, created_at_ms DESC, id DESC);
CREATE INDEX payments_status_idx ON payments (status, created_at_ms DESC, id DESC);
CREATE INDEX payments_rrn_idx ON payments (rrn);
CREATE INDEX payments_stan_idx ON payments (terminal_stan);
CREATE INDEX payments_last4_idx ON payments (pan_last4, created_at_ms DESC, id DESC);
CREATE INDEX payments_card_idx ON payments (pan_fingerprint, created_at_ms);
CREATE INDEX payments_pending_idx ON payments (created_at_ms) WHERE status = 'pending';

CREATE TABLE attempts (
  id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  channel TEXT NOT NULL,
  mti TEXT NOT NULL,
  stan TEXT NOT NULL,
  transmitted_at TEXT NOT NULL,
  processing_code TEXT NOT NULL,
  upstream_terminal_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  response_code TEXT,
  auth_code TEXT,
  rrn TEXT,
  latency_ms {BIGINT},
  sent_at_ms {BIGINT},
  completed_at_ms {BIGINT},
  created_at_ms {BIGINT} NOT NULL,
  CONSTRAINT attempts_pkey PRIMARY KEY (id),
  CONSTRAINT attempts_payment_fkey FOREIGN KEY (payment_id) REFERENCES payments (id)
);
-- A reply is matched to its attempt by (channel, STAN, DE 7); two attempts may never share them.
CREATE UNIQUE INDEX attempts_upstream_key ON attempts (channel, stan, transmitted_at);
CREATE UNIQUE INDEX attempts_payment_seq_key ON attempts (payment_id, seq);

-- The reversal queue: one reversal per attempt, driven by (state, next_at_ms).
CREATE TABLE reversals (
  id TEXT NOT NULL,
  attempt_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  stan TEXT NOT NULL,
  transmitted_at TEXT NOT NULL,
  state TEXT NOT NULL,
  tries INTEGER NOT NULL,
  next_at_ms {BIGINT} NOT NULL,
  last_error TEXT,
  created_at_ms {BIGINT} NOT NULL,
  completed_at_ms {BIGINT},
  CONSTRAINT reversals_pkey PRIMARY KEY (id),
  CONSTRAINT reversals_attempt_fkey FOREIGN KEY (attempt_id) REFERENCES attempts (id),
  CONSTRAINT reversals_payment_fkey FOREIGN KEY (payment_id) REFERENCES payments (id)
);
CREATE UNIQUE INDEX reversals_attempt_key ON reversals (attempt_id);
CREATE INDEX reversals_due_idx ON reversals (state, next_at_ms);

-- Duplicate detection: the primary key makes "first writer wins" a database guarantee.
CREATE TABLE idempotency_records (
  scope TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  payment_id TEXT,
  state TEXT NOT NULL,
  response_status INTEGER,
  response_body TEXT,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT idempotency_records_pkey PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE fee_lines (
  id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  plan TEXT NOT NULL,
  rule TEXT NOT NULL,
  amount_minor {BIGINT} NOT NULL,
  fee_minor {BIGINT} NOT NULL,
  rate_bps INTEGER NOT NULL,
  business_date TEXT NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  CONSTRAINT fee_lines_pkey PRIMARY KEY (id),
  CONSTRAINT fee_lines_payment_fkey FOREIGN KEY (payment_id) REFERENCES payments (id)
);
CREATE INDEX fee_lines_payment_idx ON fee_lines (payment_id);
CREATE INDEX fee_lines_merchant_date_idx ON fee_lines (merchant_id, business_date);
CREATE INDEX fee_lines_date_idx ON fee_lines (business_date);

CREATE TABLE settlement_batches (
  id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  gross_minor {BIGINT} NOT NULL,
  refunds_minor {BIGINT} NOT NULL,
  fees_minor {BIGINT} NOT NULL,
  net_minor {BIGINT} NOT NULL,
  payout_date TEXT NOT NULL,
  settle_mode TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  CONSTRAINT settlement_batches_pkey PRIMARY KEY (id),
  CONSTRAINT settlement_batches_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id)
);
CREATE UNIQUE INDEX settlement_batches_merchant_date_key ON settlement_batches (merchant_id, business_date);
CREATE INDEX settlement_batches_date_idx ON settlement_batches (business_date);

CREATE TABLE events (
  seq {EVENT_SEQ},
  type TEXT NOT NULL,
  subject_id TEXT,
  payload {JSON} NOT NULL,
  at_ms {BIGINT} NOT NULL
);
CREATE INDEX events_type_seq_idx ON events (type, seq);

CREATE TABLE audit_log (
  id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject_id TEXT,
  detail {JSON} NOT NULL,
  at_ms {BIGINT} NOT NULL,
  CONSTRAINT audit_log_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_log_at_idx ON audit_log (at_ms DESC, id DESC);

-- Only the SHA-256 of an API key's secret is stored; the secret is shown once.
CREATE TABLE api_keys (
  id TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  scope TEXT NOT NULL,
  merchant_id TEXT,
  label TEXT NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  revoked_at_ms {BIGINT},
  CONSTRAINT api_keys_pkey PRIMARY KEY (id),
  CONSTRAINT api_keys_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id)
);
CREATE UNIQUE INDEX api_keys_secret_hash_key ON api_keys (secret_hash);

-- The upstream STAN counter per channel, 1..999999 wrapping.
CREATE TABLE stan_counters (
  channel TEXT NOT NULL,
  value INTEGER NOT NULL,
  CONSTRAINT stan_counters_pkey PRIMARY KEY (channel)
);
`;

// The scheme retry budgets read a card's recent upstream DECLINES on every sale. Attempts carry the
// card fingerprint of their payment (filled on insert from the payment row), and a partial index
// holds only declined attempts, newest first per card: the read touches the declines it returns and
// nothing else, however many approvals the card has (a fleet card, or a bench with 8 cards).
const cardDeclinesIndex = `
ALTER TABLE attempts ADD COLUMN pan_fingerprint TEXT;
UPDATE attempts SET pan_fingerprint = (SELECT p.pan_fingerprint FROM payments p WHERE p.id = attempts.payment_id);
CREATE INDEX attempts_card_declines_idx ON attempts (pan_fingerprint, created_at_ms DESC, id DESC) WHERE outcome = 'declined';
`;

// The re-swipe guard and the double-approval check read a card's newest payments on every sale,
// ordered by (created_at_ms DESC, id DESC). The index of 0001 holds (pan_fingerprint, created_at_ms)
// only, so the tie-break on id made the database collect and sort every payment of the card in the
// window before taking the newest 50: thousands of rows per sale for a busy card. This index serves
// the ORDER BY and the LIMIT directly, and replaces the old one (a prefix of it).
const cardRecentIndex = `
CREATE INDEX payments_card_recent_idx ON payments (pan_fingerprint, created_at_ms DESC, id DESC);
DROP INDEX payments_card_idx;
`;

// A payment whose reversal is dead-lettered stays `pending` (money may have moved) and is handed to
// an operator. The instant it was flagged is stored on the payment so recovery can leave it alone
// (it was re-swept on every pass before) and operators can list what waits for them; the partial
// index holds only flagged payments, newest first.
const manualHandling = `
ALTER TABLE payments ADD COLUMN manual_handling_since_ms {BIGINT};
CREATE INDEX payments_manual_handling_idx ON payments (manual_handling_since_ms DESC, id DESC) WHERE manual_handling_since_ms IS NOT NULL;
`;

// The transaction set's queries (sql-store-reader.ts), each served by an index instead of a scan:
// - listFollowUps: payments naming an original, oldest first (every void, refund, completion and
//   cancel reads them while it decides); only follow-ups carry original_payment_id, so the index is partial.
// - listPendingAdvices: refund advices (0220/0221) not yet acknowledged, oldest first; the partial
//   index repeats the query's WHERE term for term, so it holds only the queue itself.
// - listExpiredHolds: approved pre-authorizations older than an instant, oldest first (kind and
//   status by equality, then the order).
// - lastEventOf: the newest event of a type about one subject (the last batch close of a terminal).
const transactionSetIndexes = `
CREATE INDEX payments_original_idx ON payments (original_payment_id, created_at_ms, id) WHERE original_payment_id IS NOT NULL;
CREATE INDEX attempts_pending_advices_idx ON attempts (created_at_ms, id) WHERE outcome = 'pending' AND mti IN ('0220', '0221');
CREATE INDEX payments_kind_status_idx ON payments (kind, status, created_at_ms, id);
CREATE INDEX events_subject_type_idx ON events (subject_id, type, seq);
`;

// The re-swipe guard runs on every sale and the double-approval check on every approval. Both read
// the payments of one card, amount and terminal (same currency and kind; for sales without a
// terminal, the merchant's) in a window.
// The index of 0003 led with the card only, so a busy card (a fleet card, a bench with 8 cards)
// made every sale read the card's newest payments and filter them in the gateway, and a twin older
// than the newest 50 went unseen. This index leads with card, amount and terminal and replaces the old one,
// whose only readers were those two checks.
// Every index of payments costs each sale an entry written at insert and, for partial indexes, again at
// every update: payments_pending_idx duplicates what payments_status_idx (status, created_at_ms DESC,
// id DESC) already serves for the recovery sweep's `status = 'pending' ... ORDER BY created_at_ms, id`.
const paymentIndexes = `
CREATE INDEX payments_reswipe_idx ON payments (pan_fingerprint, amount_minor, terminal_id, created_at_ms DESC, id DESC);
DROP INDEX payments_card_recent_idx;
DROP INDEX payments_pending_idx;
`;

// An operator's resolution of a payment flagged for manual handling (docs/reversals.md): what the
// bank said (charged, not charged) or that a retried reversal was confirmed, with the note, who and
// when. One row per payment: the primary key makes "resolved once" a database guarantee, also
// between two gateway nodes or an operator's CLI and the HTTP API at the same instant.
const manualResolutions = `
CREATE TABLE manual_resolutions (
  payment_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  note TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_ms {BIGINT} NOT NULL,
  CONSTRAINT manual_resolutions_pkey PRIMARY KEY (payment_id),
  CONSTRAINT manual_resolutions_payment_fkey FOREIGN KEY (payment_id) REFERENCES payments (id)
);
`;

// The id of the card-fingerprint key each fingerprint was made under (docs/card-data.md), so the key can
// be rotated: lookups by card compute the fingerprint under every configured key, and operators can
// count what an old key still covers before retiring it. NULL on rows written before this migration,
// which were made under the key configured then.
const panKeyIds = `
ALTER TABLE payments ADD COLUMN pan_key_id TEXT;
ALTER TABLE attempts ADD COLUMN pan_key_id TEXT;
`;

// API keys get scopes, an expiry and a last-used time; the audit log gets the client's address and
// the request id, and becomes append-only in the database. Existing keys keep exactly the rights
// they had: an admin key gets ["admin"], a merchant key the three scopes a merchant key allowed
// (sell, read, refund/void/cancel: src/core/access/api-scope.ts legacyScopes).
// The version number 0011 was assigned for this change; 0007-0010 belong to parallel changes.
const keyScopesAndAudit = `
ALTER TABLE api_keys ADD COLUMN scopes {JSON} NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN expires_at_ms {BIGINT};
ALTER TABLE api_keys ADD COLUMN last_used_at_ms {BIGINT};
UPDATE api_keys SET scopes = '["admin"]' WHERE scope = 'admin';
UPDATE api_keys SET scopes = '["payments:write","payments:read","refunds:write"]' WHERE scope = 'merchant';
ALTER TABLE audit_log ADD COLUMN client_address TEXT;
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
CREATE INDEX audit_log_action_idx ON audit_log (action, at_ms DESC, id DESC);
{AUDIT_APPEND_ONLY}
`;

// Terminal keys (docs/terminal-keys.md): one row per terminal with its master key (TMK) and the
// working keys of its latest sign-on. Every *_sealed column holds a key encrypted under the gateway's
// local master key (AES-256-GCM, bound to the terminal and the key's role), never a clear key; the
// check values are what operators compare and are safe to show. The working-key columns are all
// null until the first sign-on under the current TMK (a rotation clears them).
const terminalKeys = `
CREATE TABLE terminal_keys (
  terminal_id TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  tmk_sealed TEXT NOT NULL,
  tmk_check_value TEXT NOT NULL,
  tmk_source TEXT NOT NULL,
  tmk_version INTEGER NOT NULL,
  pin_key_sealed TEXT,
  pin_key_check_value TEXT,
  mac_key_sealed TEXT,
  mac_key_check_value TEXT,
  data_key_sealed TEXT,
  data_key_check_value TEXT,
  working_keys_at_ms {BIGINT},
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT terminal_keys_pkey PRIMARY KEY (terminal_id),
  CONSTRAINT terminal_keys_terminal_fkey FOREIGN KEY (terminal_id) REFERENCES terminals (id),
  CONSTRAINT terminal_keys_algorithm_check CHECK (algorithm IN ('3des', 'sm4'))
);
`;

// Merchants, terminals and channels are read on every sale and cached in memory by each store
// (src/adapters/store/config-cache.ts). Every write of them through the store bumps this version in
// the same transaction; a cache re-reads the one row at most every 250 ms and drops everything when
// it moved, so a change made by another process (the CLI, another gateway node) is seen within that bound.
const configCacheVersion = `
CREATE TABLE cache_versions (
  name TEXT NOT NULL,
  version {BIGINT} NOT NULL,
  CONSTRAINT cache_versions_pkey PRIMARY KEY (name)
);
INSERT INTO cache_versions (name, version) VALUES ('config', 1);
`;

// The payment journal (docs/projector.md): every write of a payment that is final or changes stamps it
// with the next journal_seq, in the same statement, so the sequence is durable with the outcome. The
// projector follows the journal from its checkpoint (projector_checkpoints, advanced in the same
// transaction as what it writes) and writes what is derived from payments (fee lines, the
// payment.completed event) off the answer's path. The index is partial: a pending payment's first
// insert writes no entry in it.
const paymentJournal = `
ALTER TABLE payments ADD COLUMN journal_seq {BIGINT};
CREATE UNIQUE INDEX payments_journal_key ON payments (journal_seq) WHERE journal_seq IS NOT NULL;
{JOURNAL_SEQUENCE}
CREATE TABLE projector_checkpoints (
  name TEXT NOT NULL,
  seq {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT projector_checkpoints_pkey PRIMARY KEY (name)
);
`;

// Reconciliation with the channels (docs/reconciliation.md). One run per channel and business day
// (a failed import leaves its run as `failed` and may be retried); every clearing line with the attempt
// it matched; the discrepancies, their queue actions (who, when, note) and the adjustments a resolution
// sends to the merchant's next settlement batch. Lines hold masked cards only, like payments.
// attempts_channel_rrn_idx lets a clearing line find its attempt by RRN in one index probe (the match
// by STAN + DE 7 already has attempts_upstream_key); it costs each approved attempt one index entry.
// settlement_batches.adjustments_minor is the sum of the adjustments a batch carries (0 before this).
const reconciliation = `
CREATE TABLE recon_runs (
  id TEXT NOT NULL,
  channel TEXT NOT NULL,
  business_date TEXT NOT NULL,
  layout TEXT NOT NULL,
  file_name TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  state TEXT NOT NULL,
  lines_total {BIGINT} NOT NULL,
  lines_matched {BIGINT} NOT NULL,
  discrepancies {BIGINT} NOT NULL,
  theirs_minor {BIGINT} NOT NULL,
  ours_minor {BIGINT} NOT NULL,
  actor TEXT NOT NULL,
  started_at_ms {BIGINT} NOT NULL,
  finished_at_ms {BIGINT},
  error TEXT,
  CONSTRAINT recon_runs_pkey PRIMARY KEY (id),
  CONSTRAINT recon_runs_state_check CHECK (state IN ('importing', 'done', 'failed'))
);
CREATE UNIQUE INDEX recon_runs_channel_date_key ON recon_runs (channel, business_date) WHERE state <> 'failed';
CREATE INDEX recon_runs_date_idx ON recon_runs (business_date, channel);

CREATE TABLE recon_lines (
  run_id TEXT NOT NULL,
  line_no {BIGINT} NOT NULL,
  rrn TEXT,
  stan TEXT,
  terminal_id TEXT,
  transmitted_at TEXT,
  line_date TEXT,
  auth_code TEXT,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  amount_minor {BIGINT} NOT NULL,
  fee_minor {BIGINT},
  card_masked TEXT,
  attempt_id TEXT,
  payment_id TEXT,
  result TEXT NOT NULL,
  CONSTRAINT recon_lines_pkey PRIMARY KEY (run_id, line_no),
  CONSTRAINT recon_lines_run_fkey FOREIGN KEY (run_id) REFERENCES recon_runs (id),
  CONSTRAINT recon_lines_result_check CHECK (result IN ('matched', 'discrepancy', 'unmatched'))
);
CREATE INDEX recon_lines_attempt_idx ON recon_lines (run_id, attempt_id) WHERE attempt_id IS NOT NULL;
CREATE INDEX recon_lines_unmatched_idx ON recon_lines (run_id, line_no) WHERE result = 'unmatched';

CREATE TABLE recon_discrepancies (
  id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  business_date TEXT NOT NULL,
  category TEXT NOT NULL,
  line_no {BIGINT},
  attempt_id TEXT,
  payment_id TEXT,
  merchant_id TEXT,
  theirs_minor {BIGINT} NOT NULL,
  ours_minor {BIGINT} NOT NULL,
  difference_minor {BIGINT} NOT NULL,
  cause_code TEXT NOT NULL,
  cause_zh TEXT NOT NULL,
  cause_en TEXT NOT NULL,
  state TEXT NOT NULL,
  adjustment_minor {BIGINT},
  overdue_at_ms {BIGINT},
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  version INTEGER NOT NULL,
  CONSTRAINT recon_discrepancies_pkey PRIMARY KEY (id),
  CONSTRAINT recon_discrepancies_run_fkey FOREIGN KEY (run_id) REFERENCES recon_runs (id),
  CONSTRAINT recon_discrepancies_category_check CHECK (category IN ('ours_only', 'theirs_only', 'amount', 'fee', 'status')),
  CONSTRAINT recon_discrepancies_state_check CHECK (state IN ('open', 'investigating', 'resolved', 'written_off'))
);
CREATE INDEX recon_discrepancies_run_idx ON recon_discrepancies (run_id, id);
CREATE INDEX recon_discrepancies_state_idx ON recon_discrepancies (state, created_at_ms, id);
CREATE INDEX recon_discrepancies_merchant_idx ON recon_discrepancies (merchant_id, created_at_ms, id);

CREATE TABLE recon_discrepancy_actions (
  discrepancy_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  action TEXT NOT NULL,
  state_before TEXT NOT NULL,
  state_after TEXT NOT NULL,
  note TEXT NOT NULL,
  actor TEXT NOT NULL,
  adjustment_minor {BIGINT},
  at_ms {BIGINT} NOT NULL,
  CONSTRAINT recon_discrepancy_actions_pkey PRIMARY KEY (discrepancy_id, seq),
  CONSTRAINT recon_discrepancy_actions_discrepancy_fkey FOREIGN KEY (discrepancy_id) REFERENCES recon_discrepancies (id)
);

CREATE TABLE settlement_adjustments (
  id TEXT NOT NULL,
  discrepancy_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  amount_minor {BIGINT} NOT NULL,
  business_date TEXT NOT NULL,
  reason TEXT NOT NULL,
  batch_id TEXT,
  created_at_ms {BIGINT} NOT NULL,
  CONSTRAINT settlement_adjustments_pkey PRIMARY KEY (id),
  CONSTRAINT settlement_adjustments_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id),
  CONSTRAINT settlement_adjustments_discrepancy_fkey FOREIGN KEY (discrepancy_id) REFERENCES recon_discrepancies (id)
);
CREATE UNIQUE INDEX settlement_adjustments_discrepancy_key ON settlement_adjustments (discrepancy_id);
CREATE INDEX settlement_adjustments_merchant_idx ON settlement_adjustments (merchant_id, batch_id, business_date);

ALTER TABLE settlement_batches ADD COLUMN adjustments_minor {BIGINT} NOT NULL DEFAULT 0;
CREATE INDEX attempts_channel_rrn_idx ON attempts (channel, rrn) WHERE rrn IS NOT NULL;
`;

// Payouts (docs/payouts.md): each merchant's bank account, and the payout instructions made from
// settlement batches. The account number is never stored in clear: *_sealed holds it encrypted under
// the local master key (AES-256-GCM, bound to the merchant), *_masked its last four digits. A batch is
// paid at most once: the partial unique index allows one payout per batch that is not failed, so two
// `payouts create` racing (two nodes, CLI and API) make one transfer; after a failure a new attempt may be made.
// The version number 0016 was assigned for this change; 0013-0015 belong to parallel changes.
const payouts = `
CREATE TABLE payout_accounts (
  merchant_id TEXT NOT NULL,
  bank_code TEXT NOT NULL,
  account_name TEXT NOT NULL,
  account_number_sealed TEXT NOT NULL,
  account_number_masked TEXT NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT payout_accounts_pkey PRIMARY KEY (merchant_id),
  CONSTRAINT payout_accounts_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id)
);

CREATE TABLE payouts (
  id TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  amount_minor {BIGINT} NOT NULL,
  currency TEXT NOT NULL,
  settle_mode TEXT NOT NULL,
  bank_code TEXT NOT NULL,
  account_name TEXT NOT NULL,
  account_number_sealed TEXT NOT NULL,
  account_number_masked TEXT NOT NULL,
  state TEXT NOT NULL,
  file_id TEXT,
  expected_arrival_date TEXT NOT NULL,
  bank_reference TEXT,
  reason_code TEXT,
  reason_text TEXT,
  created_at_ms {BIGINT} NOT NULL,
  sent_at_ms {BIGINT},
  answered_at_ms {BIGINT},
  version INTEGER NOT NULL,
  CONSTRAINT payouts_pkey PRIMARY KEY (id),
  CONSTRAINT payouts_batch_fkey FOREIGN KEY (batch_id) REFERENCES settlement_batches (id),
  CONSTRAINT payouts_merchant_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id),
  CONSTRAINT payouts_state_check CHECK (state IN ('pending', 'sent', 'paid', 'failed')),
  CONSTRAINT payouts_amount_check CHECK (amount_minor > 0)
);
CREATE UNIQUE INDEX payouts_live_batch_key ON payouts (batch_id) WHERE state <> 'failed';
CREATE UNIQUE INDEX payouts_batch_attempt_key ON payouts (batch_id, attempt);
CREATE INDEX payouts_merchant_date_idx ON payouts (merchant_id, business_date);
CREATE INDEX payouts_state_idx ON payouts (state, business_date);
CREATE INDEX payouts_file_idx ON payouts (file_id);
`;

// Alerts and webhooks (docs/alerts.md, docs/webhooks.md). The outbox holds every message the gateway
// owes someone (a webhook delivery, a chat message, a mail) until it is delivered, dead (after its
// retry bound) or cancelled: a crash never loses one, since each row is written in the same
// transaction as the cursor that produced it. outbox_target_event_key makes at most one delivery per
// target and event id, so a fan-out replayed after a crash adds nothing. The partial index holds only
// what the delivery worker polls. Webhook signing secrets are stored sealed under the local master key
// (they must be recoverable to sign). consumer_cursors keeps each stream reader's place (and the alert
// evaluator's state) so it resumes where it committed.
const alertsAndWebhooks = `
CREATE TABLE webhook_endpoints (
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  event_types {JSON} NOT NULL,
  description TEXT NOT NULL,
  secrets {JSON} NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  deleted_at_ms {BIGINT},
  CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id)
);

CREATE TABLE outbox (
  id TEXT NOT NULL,
  channel TEXT NOT NULL,
  target_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  tries INTEGER NOT NULL,
  next_at_ms {BIGINT} NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  delivered_at_ms {BIGINT},
  last_status INTEGER,
  last_error TEXT,
  CONSTRAINT outbox_pkey PRIMARY KEY (id),
  CONSTRAINT outbox_target_event_key UNIQUE (target_id, event_id),
  CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'delivered', 'dead', 'cancelled')),
  CONSTRAINT outbox_channel_check CHECK (channel IN ('webhook', 'chat', 'email'))
);
CREATE INDEX outbox_due_idx ON outbox (next_at_ms, id) WHERE state = 'pending';
CREATE INDEX outbox_target_idx ON outbox (target_id, created_at_ms DESC, id DESC);

CREATE TABLE delivery_attempts (
  outbox_id TEXT NOT NULL,
  try_no INTEGER NOT NULL,
  target_id TEXT NOT NULL,
  at_ms {BIGINT} NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms {BIGINT} NOT NULL,
  CONSTRAINT delivery_attempts_pkey PRIMARY KEY (outbox_id, try_no),
  CONSTRAINT delivery_attempts_outbox_fkey FOREIGN KEY (outbox_id) REFERENCES outbox (id)
);

CREATE TABLE consumer_cursors (
  name TEXT NOT NULL,
  seq {BIGINT} NOT NULL,
  state {JSON},
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT consumer_cursors_pkey PRIMARY KEY (name)
);

CREATE TABLE alerts (
  id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  labels {JSON} NOT NULL,
  state TEXT NOT NULL,
  members INTEGER NOT NULL,
  detail {JSON} NOT NULL,
  started_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  resolved_at_ms {BIGINT},
  notified_at_ms {BIGINT},
  clear_since_ms {BIGINT},
  silenced {BOOL} NOT NULL,
  CONSTRAINT alerts_pkey PRIMARY KEY (id)
);
CREATE INDEX alerts_state_idx ON alerts (state, started_at_ms DESC, id DESC);

CREATE TABLE alert_silences (
  id TEXT NOT NULL,
  matchers {JSON} NOT NULL,
  reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  starts_at_ms {BIGINT} NOT NULL,
  ends_at_ms {BIGINT} NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  CONSTRAINT alert_silences_pkey PRIMARY KEY (id)
);

CREATE TABLE alert_rule_overrides (
  id TEXT NOT NULL,
  rule {JSON} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  updated_by TEXT NOT NULL,
  CONSTRAINT alert_rule_overrides_pkey PRIMARY KEY (id)
);
`;

// Drill reports (docs/drills.md): one row per rehearsal of an emergency plan, newest first in the
// console and GET /v1/drills. The version number 0018 was assigned for this change.
const drillReports = `
CREATE TABLE drill_reports (
  id TEXT NOT NULL,
  scenario TEXT NOT NULL,
  passed INTEGER NOT NULL,
  target TEXT NOT NULL,
  started_at_ms {BIGINT} NOT NULL,
  duration_ms {BIGINT} NOT NULL,
  report {JSON} NOT NULL,
  CONSTRAINT drill_reports_pkey PRIMARY KEY (id),
  CONSTRAINT drill_reports_passed_check CHECK (passed IN (0, 1))
);
CREATE INDEX drill_reports_started_idx ON drill_reports (started_at_ms DESC, id DESC);
`;

// The web console's users, sessions and failed logins (docs/console-access.md). Passwords are scrypt
// hashes with their parameters; a session is the SHA-256 of its random id; failed logins are kept for
// throttling across restarts and nodes, without the password tried. The version number 0019 was
// assigned for this change.
const consoleAccess = `
CREATE TABLE console_users (
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  merchant_ids {JSON} NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  password_changed_at_ms {BIGINT} NOT NULL,
  CONSTRAINT console_users_pkey PRIMARY KEY (name),
  CONSTRAINT console_users_role_check CHECK (role IN ('admin', 'operator', 'merchant', 'cashier', 'auditor')),
  CONSTRAINT console_users_disabled_check CHECK (disabled IN (0, 1))
);

CREATE TABLE console_sessions (
  id_hash TEXT NOT NULL,
  user_name TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at_ms {BIGINT} NOT NULL,
  last_seen_at_ms {BIGINT} NOT NULL,
  expires_at_ms {BIGINT} NOT NULL,
  client_address TEXT,
  CONSTRAINT console_sessions_pkey PRIMARY KEY (id_hash),
  CONSTRAINT console_sessions_user_fkey FOREIGN KEY (user_name) REFERENCES console_users (name)
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_name);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at_ms);

CREATE TABLE login_failures (
  id TEXT NOT NULL,
  user_name TEXT NOT NULL,
  client_address TEXT NOT NULL,
  at_ms {BIGINT} NOT NULL,
  CONSTRAINT login_failures_pkey PRIMARY KEY (id)
);
CREATE INDEX login_failures_user_idx ON login_failures (user_name, at_ms);
CREATE INDEX login_failures_address_idx ON login_failures (client_address, at_ms);
CREATE INDEX login_failures_at_idx ON login_failures (at_ms);
`;

// QR-code payments (docs/qr-payments.md). The version number 0021 was assigned for this change;
// 0019-0020 belong to parallel changes. A payment's method: `card` (every row before this one), or
// `wechat`, `alipay`, `unionpay-qr`. A QR payment fills the card columns with its code's safe forms:
// pan_masked the masked code (first 4, last 4), pan_fingerprint the keyed HMAC of the code (so the
// re-swipe guard sees the same code twice), card_brand and card_type `unknown`, entry_mode `qr`; the
// full code is never stored. An attempt records the provider's trade number and error code.
// qr_follow_ups is the durable queue of cancels (撤销) for trades whose outcome stayed unknown: one
// per payment, driven by (state, next_at_ms) like the reversal queue, and retried after restarts.
const qrPayments = `
ALTER TABLE payments ADD COLUMN method TEXT NOT NULL DEFAULT 'card';
ALTER TABLE attempts ADD COLUMN provider_trade_no TEXT;
ALTER TABLE attempts ADD COLUMN provider_code TEXT;
CREATE INDEX payments_method_pending_idx ON payments (method, created_at_ms) WHERE status = 'pending';

CREATE TABLE qr_follow_ups (
  id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  attempt_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  out_trade_no TEXT NOT NULL,
  state TEXT NOT NULL,
  tries INTEGER NOT NULL,
  next_at_ms {BIGINT} NOT NULL,
  last_error TEXT,
  created_at_ms {BIGINT} NOT NULL,
  completed_at_ms {BIGINT},
  CONSTRAINT qr_follow_ups_pkey PRIMARY KEY (id),
  CONSTRAINT qr_follow_ups_payment_fkey FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT qr_follow_ups_state_check CHECK (state IN ('pending', 'done', 'dead'))
);
CREATE UNIQUE INDEX qr_follow_ups_payment_key ON qr_follow_ups (payment_id);
CREATE INDEX qr_follow_ups_due_idx ON qr_follow_ups (state, next_at_ms);
`;

// The analytics rollup (docs/analytics.md): sales summed per hour and every dimension the console breaks
// failures down by, written by the analytics projector from the payment journal, off the sale's path, at
// three levels so each read takes the smallest table holding its dimensions: every dimension per UTC
// hour (analytics_hourly), the cause dimensions without terminal and channel per hour
// (analytics_hourly_causes), terminals and channels per local day (analytics_daily_terminals).
// analytics_contributions remembers what each payment added, so a payment that changes (pending ->
// approved, approved -> voided, a failure rescued by a later approval) is taken back and added anew.
// A merchant's rows are contiguous in each primary key (on SQLite the table IS the key: WITHOUT ROWID),
// so a merchant's month is one range read; the time indexes serve reads across merchants.
// The version number 0020 was assigned for this change.
const rollupCauseDimensions = `cause TEXT NOT NULL,
  response_code TEXT NOT NULL,
  party TEXT NOT NULL,
  verdict TEXT NOT NULL,
  card_type TEXT NOT NULL,
  brand TEXT NOT NULL,
  outcome TEXT NOT NULL,`;
const rollupSums = `payments {BIGINT} NOT NULL,
  amount_minor {BIGINT} NOT NULL,
  attempts {BIGINT} NOT NULL,
  extra_attempts {BIGINT} NOT NULL,
  recovered {BIGINT} NOT NULL,
  recovered_minor {BIGINT} NOT NULL,
  failovers {BIGINT} NOT NULL,
  lost {BIGINT} NOT NULL,
  lost_minor {BIGINT} NOT NULL,
  fallbacks {BIGINT} NOT NULL,
  latency_count {BIGINT} NOT NULL,
  latency_sum_ms {BIGINT} NOT NULL,
  lat_b0 {BIGINT} NOT NULL, lat_b1 {BIGINT} NOT NULL, lat_b2 {BIGINT} NOT NULL, lat_b3 {BIGINT} NOT NULL,
  lat_b4 {BIGINT} NOT NULL, lat_b5 {BIGINT} NOT NULL, lat_b6 {BIGINT} NOT NULL, lat_b7 {BIGINT} NOT NULL,
  lat_b8 {BIGINT} NOT NULL, lat_b9 {BIGINT} NOT NULL, lat_b10 {BIGINT} NOT NULL, lat_b11 {BIGINT} NOT NULL,`;
const analyticsRollup = `
CREATE TABLE analytics_hourly (
  merchant_id TEXT NOT NULL,
  hour_ms {BIGINT} NOT NULL,
  terminal_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  ${rollupCauseDimensions}
  ${rollupSums}
  CONSTRAINT analytics_hourly_pkey PRIMARY KEY (merchant_id, hour_ms, terminal_id, channel, cause, response_code, party, verdict, card_type, brand, outcome)
){WITHOUT_ROWID};
CREATE INDEX analytics_hourly_hour_idx ON analytics_hourly (hour_ms);

CREATE TABLE analytics_hourly_causes (
  merchant_id TEXT NOT NULL,
  hour_ms {BIGINT} NOT NULL,
  ${rollupCauseDimensions}
  ${rollupSums}
  CONSTRAINT analytics_hourly_causes_pkey PRIMARY KEY (merchant_id, hour_ms, cause, response_code, party, verdict, card_type, brand, outcome)
){WITHOUT_ROWID};
CREATE INDEX analytics_hourly_causes_hour_idx ON analytics_hourly_causes (hour_ms);

CREATE TABLE analytics_daily_terminals (
  merchant_id TEXT NOT NULL,
  day_ms {BIGINT} NOT NULL,
  terminal_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  outcome TEXT NOT NULL,
  ${rollupSums}
  CONSTRAINT analytics_daily_terminals_pkey PRIMARY KEY (merchant_id, day_ms, terminal_id, channel, outcome)
){WITHOUT_ROWID};
CREATE INDEX analytics_daily_terminals_day_idx ON analytics_daily_terminals (day_ms);

CREATE TABLE analytics_contributions (
  payment_id TEXT NOT NULL,
  contribution {JSON} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT analytics_contributions_pkey PRIMARY KEY (payment_id)
){WITHOUT_ROWID};
`;

/** Each node's view of each channel (docs/cluster.md, "Channel health per node"): one row per node and channel, rewritten every few seconds. */
const channelHealthPerNode = `
CREATE TABLE channel_health (
  node_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  view {JSON} NOT NULL,
  updated_at_ms {BIGINT} NOT NULL,
  CONSTRAINT channel_health_pkey PRIMARY KEY (node_id, channel)
);
`;

// Several gateway nodes on one database (docs/cluster.md). The version number 0022 was assigned for
// this change. `nodes`: one row per gateway process, its heartbeat and the lease that says it is
// alive. `work_leases`: work that one node at a time may do (the recovery sweep, advice forwarding,
// hold expiry), owned by a node until its lease expires; the epoch grows by one on every change of
// owner, and writes made under a lease check it in the same transaction (fencing). The owner node
// of a payment and of an idempotency record lets another node take a dead node's sale over at once;
// a reversal row names the node whose claim sent its last try. Events name the node that wrote them.
const cluster = `
CREATE TABLE nodes (
  id TEXT NOT NULL,
  started_at_ms {BIGINT} NOT NULL,
  heartbeat_at_ms {BIGINT} NOT NULL,
  lease_expires_at_ms {BIGINT} NOT NULL,
  stopped_at_ms {BIGINT},
  version TEXT NOT NULL,
  address TEXT NOT NULL,
  CONSTRAINT nodes_pkey PRIMARY KEY (id)
);
CREATE TABLE work_leases (
  name TEXT NOT NULL,
  owner_node TEXT NOT NULL,
  epoch {BIGINT} NOT NULL,
  acquired_at_ms {BIGINT} NOT NULL,
  expires_at_ms {BIGINT} NOT NULL,
  CONSTRAINT work_leases_pkey PRIMARY KEY (name)
);
ALTER TABLE payments ADD COLUMN owner_node TEXT;
ALTER TABLE idempotency_records ADD COLUMN owner_node TEXT;
ALTER TABLE reversals ADD COLUMN claimed_by TEXT;
ALTER TABLE events ADD COLUMN node TEXT;
`;

/** An operator's hold on a channel (docs/channels.md, "Operator overrides"): draining, and a forced circuit as JSON (state, note, byUser, atMs, untilMs). */
const channelOverrides = `
ALTER TABLE channels ADD COLUMN draining {BOOL} NOT NULL DEFAULT {FALSE};
ALTER TABLE channels ADD COLUMN circuit_override {JSON};
`;

// Live configuration that outlives a restart and reaches every node (docs/cluster.md, "What a restart
// keeps"): fee plans stored instead of held in one process's memory, and where each channel's and
// plan's definition came from (the config files or the API) with the file's definition last seeded, so a
// start never silently overwrites a change made through the API. Rows stored before this migration count
// as the file's (`definedBy` 'file', nothing seeded yet): their next start applies the file, as before.
const liveConfigurationProvenance = `
CREATE TABLE fee_plans (
  name TEXT NOT NULL,
  document {JSON} NOT NULL,
  version {BIGINT} NOT NULL,
  defined_by TEXT NOT NULL,
  file_document {JSON},
  changed_by TEXT NOT NULL,
  changed_at_ms {BIGINT} NOT NULL,
  CONSTRAINT fee_plans_pkey PRIMARY KEY (name)
);
ALTER TABLE channels ADD COLUMN defined_by TEXT NOT NULL DEFAULT 'file';
ALTER TABLE channels ADD COLUMN file_definition {JSON};
`;

// The payment list (docs/projector.md, "The payment list"). The version number 0027 was assigned for this
// change. Every index of payments costs each sale an entry at its insert, and the indexes that serve only
// lists, the console and lookups by RRN or STAN were most of them. They move to payment_list, one row per
// payment with the columns those filters and orders need, upserted by the payment projector off the
// answer's path; a list reads payment_list for what is projected and payments for the few entries after
// the projector's checkpoint and the sales still in flight (pending, never journalled).
// payments keeps what the engine's own decisions need: its primary key, payments_iso_key (a retransmission
// never makes a second payment), payments_reswipe_idx (the re-swipe guard and the double-approval check),
// payments_journal_key (the projectors), and partial indexes that hold no sale once answered:
// payments_pending_idx (recovery of pending payments, the sales in flight of a list; it replaces
// payments_method_pending_idx, which no query read by method), payments_open_holds_idx (approved
// pre-authorizations only, for the hold expiry; it replaces the hold expiry's use of
// payments_kind_status_idx), payments_original_idx (follow-ups only) and payments_manual_handling_idx
// (flagged payments only). The backfill copies every payment but the pending ones never journalled.
const paymentList = `
CREATE TABLE payment_list (
  id TEXT NOT NULL,
  journal_seq {BIGINT},
  created_at_ms {BIGINT} NOT NULL,
  merchant_id TEXT NOT NULL,
  terminal_id TEXT,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  method TEXT NOT NULL,
  amount_minor {BIGINT} NOT NULL,
  pan_last4 TEXT NOT NULL,
  card_brand TEXT NOT NULL,
  card_type TEXT NOT NULL,
  terminal_stan TEXT,
  rrn TEXT,
  reference TEXT,
  response_code TEXT,
  decline_category TEXT,
  CONSTRAINT payment_list_pkey PRIMARY KEY (id)
);
INSERT INTO payment_list (id, journal_seq, created_at_ms, merchant_id, terminal_id, kind, status, method, amount_minor, pan_last4, card_brand, card_type, terminal_stan, rrn, reference, response_code, decline_category)
SELECT id, journal_seq, created_at_ms, merchant_id, terminal_id, kind, status, method, amount_minor, pan_last4, card_brand, card_type, terminal_stan, rrn, reference, response_code, decline_category
FROM payments WHERE journal_seq IS NOT NULL OR status <> 'pending';
CREATE INDEX payment_list_created_idx ON payment_list (created_at_ms DESC, id DESC);
CREATE INDEX payment_list_merchant_idx ON payment_list (merchant_id, created_at_ms DESC, id DESC);
CREATE INDEX payment_list_terminal_idx ON payment_list (terminal_id, created_at_ms DESC, id DESC);
CREATE INDEX payment_list_status_idx ON payment_list (status, created_at_ms DESC, id DESC);
CREATE INDEX payment_list_rrn_idx ON payment_list (rrn);
CREATE INDEX payment_list_stan_idx ON payment_list (terminal_stan);
CREATE INDEX payment_list_last4_idx ON payment_list (pan_last4, created_at_ms DESC, id DESC);
CREATE INDEX payments_pending_idx ON payments (created_at_ms, id) WHERE status = 'pending';
CREATE INDEX payments_open_holds_idx ON payments (created_at_ms, id) WHERE kind = 'preauth' AND status = 'approved';
DROP INDEX payments_created_idx;
DROP INDEX payments_merchant_idx;
DROP INDEX payments_terminal_idx;
DROP INDEX payments_status_idx;
DROP INDEX payments_rrn_idx;
DROP INDEX payments_stan_idx;
DROP INDEX payments_last4_idx;
DROP INDEX payments_kind_status_idx;
DROP INDEX payments_method_pending_idx;
`;

// The limits' totals (docs/local-checks.md, "What a limit's total costs"). The version number 0028 was
// assigned for this change. Every sale of a merchant or terminal with a per-day or per-month limit sums
// the approved payments of the window (sumApprovedMinor); through payment_list_merchant_idx that read
// every list row of the window and joined each to its payment for its amount. These partial indexes hold
// the approved rows only, with the amount in the entry, so the sum reads index entries and nothing else.
// The terminal's carries the merchant too (a terminal's sum filters on both).
const limitTotals = `
CREATE INDEX payment_list_merchant_approved_idx ON payment_list (merchant_id, created_at_ms, amount_minor) WHERE status = 'approved';
CREATE INDEX payment_list_terminal_approved_idx ON payment_list (terminal_id, created_at_ms, merchant_id, amount_minor) WHERE status = 'approved';
`;

// One terminal-keyed index on the payment list instead of two (docs/local-checks.md, "What a limit's total
// costs"; docs/benchmarks.md, "Flat cost with history (2026-12-06, sixth session)"). The version number 0030
// was assigned for this change. A terminal's list (payment_list_terminal_idx) and its limit total
// (payment_list_terminal_approved_idx of 0028) each had their own index keyed by terminal first, so with
// history every projected sale wrote a leaf of each: each of a busy gateway's terminals has its own
// insertion point in them, which on a large store is a page apart from every other terminal's. The list's
// index now carries what the total reads after its key (status, merchant, amount), so both read it and a
// sale writes one such leaf instead of two; the total reads the terminal's declines of the window too (a few
// per cent of its rows) and skips them inside the index. The list's order and cursor are unchanged.
const terminalListIndex = `
DROP INDEX payment_list_terminal_approved_idx;
DROP INDEX payment_list_terminal_idx;
CREATE INDEX payment_list_terminal_idx ON payment_list (terminal_id, created_at_ms DESC, id DESC, status, merchant_id, amount_minor);
`;

// The outbox's retention purge (docs/webhooks.md, retentionDays) reads the oldest finished deliveries,
// 1 000 a pass. No index held them: every pass walked the whole outbox, which at one delivery per sale
// and 30 days of retention is millions of rows. The version number 0034 was assigned for this change.
const outboxFinishedIndex = `
CREATE INDEX outbox_finished_idx ON outbox (updated_at_ms, id) WHERE state IN ('delivered', 'cancelled');
`;

/** Every migration, oldest first. Append only. */
export const migrations: readonly Migration[] = Object.freeze([
  defineMigration('0001_core', coreSchema),
  defineMigration('0002_card_declines', cardDeclinesIndex),
  defineMigration('0003_card_recent', cardRecentIndex),
  defineMigration('0004_manual_handling', manualHandling),
  defineMigration('0005_transaction_set_indexes', transactionSetIndexes),
  defineMigration('0006_payment_indexes', paymentIndexes),
  defineMigration('0009_manual_resolutions', manualResolutions),
  defineMigration('0010_pan_key_ids', panKeyIds),
  defineMigration('0011_key_scopes_audit', keyScopesAndAudit),
  defineMigration('0012_terminal_keys', terminalKeys),
  defineMigration('0013_config_cache_version', configCacheVersion),
  defineMigration('0014_payment_journal', paymentJournal),
  defineMigration('0015_reconciliation', reconciliation),
  defineMigration('0016_payouts', payouts),
  defineMigration('0017_alerts_webhooks', alertsAndWebhooks),
  defineMigration('0018_drill_reports', drillReports),
  defineMigration('0019_console_access', consoleAccess),
  defineMigration('0020_analytics_rollup', analyticsRollup),
  defineMigration('0021_qr_payments', qrPayments),
  defineMigration('0022_cluster', cluster),
  defineMigration('0023_channel_health', channelHealthPerNode),
  defineMigration('0024_channel_overrides', channelOverrides),
  defineMigration('0025_live_configuration_provenance', liveConfigurationProvenance),
  defineMigration('0027_payment_list', paymentList),
  defineMigration('0028_limit_totals', limitTotals),
  defineMigration('0030_terminal_list_index', terminalListIndex),
  defineMigration('0034_outbox_finished', outboxFinishedIndex),
]);

/** The table that records applied migrations; created by the migrator itself, outside any migration. */
export const schemaMigrationsTableSql: Readonly<Record<SqlDialect, string>> = {
  sqlite: 'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT NOT NULL PRIMARY KEY, applied_at_ms INTEGER NOT NULL)',
  postgres: 'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT NOT NULL PRIMARY KEY, applied_at_ms BIGINT NOT NULL)',
};
