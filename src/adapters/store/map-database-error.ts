// Turns driver errors into ReswipeErrors with stable codes. Both databases name a broken unique
// constraint the same way (the name given in migrations.ts), so callers can tell a duplicate
// payment from a duplicate idempotency key without knowing which database they run on.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { maskPansInText } from '../../core/cards/pan.ts';

interface UniqueConstraint {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  /** The record field a caller sees in the error. */
  readonly field: string;
}

/** Every unique constraint in the schema, as named in migrations.ts. */
export const uniqueConstraints: readonly UniqueConstraint[] = [
  { name: 'merchants_pkey', table: 'merchants', columns: ['id'], field: 'id' },
  { name: 'webhook_endpoints_pkey', table: 'webhook_endpoints', columns: ['id'], field: 'id' },
  { name: 'outbox_pkey', table: 'outbox', columns: ['id'], field: 'id' },
  { name: 'delivery_attempts_pkey', table: 'delivery_attempts', columns: ['outbox_id', 'try_no'], field: 'tryNo' },
  { name: 'alert_silences_pkey', table: 'alert_silences', columns: ['id'], field: 'id' },
  { name: 'terminals_pkey', table: 'terminals', columns: ['id'], field: 'id' },
  { name: 'channels_pkey', table: 'channels', columns: ['name'], field: 'name' },
  { name: 'payments_pkey', table: 'payments', columns: ['id'], field: 'id' },
  { name: 'payments_iso_key', table: 'payments', columns: ['terminal_id', 'terminal_stan', 'terminal_transmitted_at'], field: 'terminalStan' },
  { name: 'attempts_pkey', table: 'attempts', columns: ['id'], field: 'id' },
  { name: 'attempts_upstream_key', table: 'attempts', columns: ['channel', 'stan', 'transmitted_at'], field: 'stan' },
  { name: 'attempts_payment_seq_key', table: 'attempts', columns: ['payment_id', 'seq'], field: 'seq' },
  { name: 'reversals_pkey', table: 'reversals', columns: ['id'], field: 'id' },
  { name: 'reversals_attempt_key', table: 'reversals', columns: ['attempt_id'], field: 'attemptId' },
  { name: 'qr_follow_ups_pkey', table: 'qr_follow_ups', columns: ['id'], field: 'id' },
  { name: 'qr_follow_ups_payment_key', table: 'qr_follow_ups', columns: ['payment_id'], field: 'paymentId' },
  { name: 'idempotency_records_pkey', table: 'idempotency_records', columns: ['scope', 'idempotency_key'], field: 'key' },
  { name: 'fee_lines_pkey', table: 'fee_lines', columns: ['id'], field: 'id' },
  { name: 'settlement_batches_pkey', table: 'settlement_batches', columns: ['id'], field: 'id' },
  { name: 'settlement_batches_merchant_date_key', table: 'settlement_batches', columns: ['merchant_id', 'business_date'], field: 'businessDate' },
  { name: 'payout_accounts_pkey', table: 'payout_accounts', columns: ['merchant_id'], field: 'merchantId' },
  { name: 'payouts_pkey', table: 'payouts', columns: ['id'], field: 'id' },
  { name: 'payouts_live_batch_key', table: 'payouts', columns: ['batch_id'], field: 'batchId' },
  { name: 'payouts_batch_attempt_key', table: 'payouts', columns: ['batch_id', 'attempt'], field: 'attempt' },
  { name: 'events_pkey', table: 'events', columns: ['seq'], field: 'seq' },
  { name: 'audit_log_pkey', table: 'audit_log', columns: ['id'], field: 'id' },
  { name: 'drill_reports_pkey', table: 'drill_reports', columns: ['id'], field: 'id' },
  { name: 'api_keys_pkey', table: 'api_keys', columns: ['id'], field: 'id' },
  { name: 'console_users_pkey', table: 'console_users', columns: ['name'], field: 'name' },
  { name: 'console_sessions_pkey', table: 'console_sessions', columns: ['id_hash'], field: 'idHash' },
  { name: 'login_failures_pkey', table: 'login_failures', columns: ['id'], field: 'id' },
  { name: 'api_keys_secret_hash_key', table: 'api_keys', columns: ['secret_hash'], field: 'secretHash' },
  { name: 'stan_counters_pkey', table: 'stan_counters', columns: ['channel'], field: 'channel' },
  { name: 'manual_resolutions_pkey', table: 'manual_resolutions', columns: ['payment_id'], field: 'paymentId' },
  { name: 'terminal_keys_pkey', table: 'terminal_keys', columns: ['terminal_id'], field: 'terminalId' },
  { name: 'projector_checkpoints_pkey', table: 'projector_checkpoints', columns: ['name'], field: 'name' },
  { name: 'payments_journal_key', table: 'payments', columns: ['journal_seq'], field: 'journalSeq' },
  { name: 'cache_versions_pkey', table: 'cache_versions', columns: ['name'], field: 'name' },
  { name: 'recon_runs_pkey', table: 'recon_runs', columns: ['id'], field: 'id' },
  { name: 'recon_runs_channel_date_key', table: 'recon_runs', columns: ['channel', 'business_date'], field: 'businessDate' },
  { name: 'recon_lines_pkey', table: 'recon_lines', columns: ['run_id', 'line_no'], field: 'lineNo' },
  { name: 'recon_discrepancies_pkey', table: 'recon_discrepancies', columns: ['id'], field: 'id' },
  { name: 'recon_discrepancy_actions_pkey', table: 'recon_discrepancy_actions', columns: ['discrepancy_id', 'seq'], field: 'seq' },
  { name: 'settlement_adjustments_pkey', table: 'settlement_adjustments', columns: ['id'], field: 'id' },
  { name: 'channel_health_pkey', table: 'channel_health', columns: ['node_id', 'channel'], field: 'channel' },
  { name: 'settlement_adjustments_discrepancy_key', table: 'settlement_adjustments', columns: ['discrepancy_id'], field: 'discrepancyId' },
];

/** Foreign keys, by name, with the record they point at. */
const foreignKeyTargets: Readonly<Record<string, string>> = {
  terminals_merchant_fkey: 'merchant',
  terminal_keys_terminal_fkey: 'terminal',
  payments_merchant_fkey: 'merchant',
  payments_terminal_fkey: 'terminal',
  payments_original_fkey: 'original payment',
  attempts_payment_fkey: 'payment',
  reversals_attempt_fkey: 'attempt',
  reversals_payment_fkey: 'payment',
  fee_lines_payment_fkey: 'payment',
  settlement_batches_merchant_fkey: 'merchant',
  payout_accounts_merchant_fkey: 'merchant',
  payouts_batch_fkey: 'settlement batch',
  payouts_merchant_fkey: 'merchant',
  api_keys_merchant_fkey: 'merchant',
  console_sessions_user_fkey: 'user',
  manual_resolutions_payment_fkey: 'payment',
  recon_lines_run_fkey: 'reconciliation run',
  recon_discrepancies_run_fkey: 'reconciliation run',
  recon_discrepancy_actions_discrepancy_fkey: 'discrepancy',
  settlement_adjustments_merchant_fkey: 'merchant',
  settlement_adjustments_discrepancy_fkey: 'discrepancy',
};

function conflict(constraint: UniqueConstraint | undefined, fallbackName: string, cause: unknown): ReswipeError {
  return new ReswipeError('RSW_STORE_CONFLICT', { constraint: constraint?.name ?? fallbackName, field: constraint?.field }, { cause });
}

/** Database messages are checked for digit runs that look like a PAN before they reach a log. */
function safeReason(message: string): string {
  return maskPansInText(message).slice(0, 300);
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
}

function asDriverError(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : {};
}

/** Maps a better-sqlite3 error; anything that is not a SQLite error (a programming bug) is returned unchanged. */
export function mapSqliteError(error: unknown): unknown {
  if (error instanceof ReswipeError) return error;
  const { code, message } = asDriverError(error);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  const text = typeof message === 'string' ? message : '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // SQLite names the columns, not the constraint: "UNIQUE constraint failed: payments.terminal_id, ...".
    const listed = /constraint failed: (.+)$/.exec(text)?.[1] ?? '';
    const qualified = listed.split(',').map((part) => part.trim());
    const table = qualified[0]?.split('.')[0] ?? '';
    const columns = qualified.map((part) => part.split('.')[1] ?? '');
    const found = uniqueConstraints.find(
      (candidate) => candidate.table === table && candidate.columns.length === columns.length && candidate.columns.every((column, i) => column === columns[i]),
    );
    return conflict(found, `${table}(${columns.join(',')})`, error);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    // SQLite does not say which foreign key failed.
    return new ReswipeError('RSW_STORE_MISSING_REFERENCE', { constraint: 'parent record' }, { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ReswipeError('RSW_STORE_BUSY', { reason: safeReason(text) }, { cause: error });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY')) {
    return new ReswipeError('RSW_STORE_UNAVAILABLE', { reason: `${code}: ${safeReason(text)}` }, { cause: error });
  }
  return new ReswipeError('RSW_STORE_FAULT', { dbCode: code, reason: safeReason(text) }, { cause: error });
}

const networkErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Maps a node-postgres error; anything that is neither a server error nor a connection fault is returned unchanged. */
export function mapPostgresError(error: unknown): unknown {
  if (error instanceof ReswipeError) return error;
  const { code, message, constraint } = asDriverError(error);
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string' && networkErrorCodes.has(code)) {
    return new ReswipeError('RSW_STORE_UNAVAILABLE', { reason: `${code}: ${safeReason(text)}` }, { cause: error });
  }
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) {
    // node-postgres reports a dropped or timed-out connection as a plain Error without a SQLSTATE.
    if (/connection|terminated|timeout|Client has encountered|Cannot use a pool/i.test(text)) {
      return new ReswipeError('RSW_STORE_UNAVAILABLE', { reason: safeReason(text) }, { cause: error });
    }
    return error;
  }
  const constraintName = typeof constraint === 'string' ? constraint : '';
  if (code === '23505') return conflict(uniqueConstraints.find((candidate) => candidate.name === constraintName), constraintName, error);
  if (code === '23503') {
    return new ReswipeError('RSW_STORE_MISSING_REFERENCE', { constraint: foreignKeyTargets[constraintName] ?? constraintName }, { cause: error });
  }
  // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available, 57014 statement timeout.
  if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') {
    return new ReswipeError('RSW_STORE_BUSY', { reason: `${code}: ${safeReason(text)}` }, { cause: error });
  }
  // Class 08 connection exceptions, 57P01-57P03 shutdown, 53 insufficient resources.
  if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53')) {
    return new ReswipeError('RSW_STORE_UNAVAILABLE', { reason: `${code}: ${safeReason(text)}` }, { cause: error });
  }
  return new ReswipeError('RSW_STORE_FAULT', { dbCode: code, reason: safeReason(text) }, { cause: error });
}
