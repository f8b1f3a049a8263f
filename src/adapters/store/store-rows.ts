// Row mapping shared by both adapters: each table's columns, a record's bound values in column
// order, and a row back to a record. Drivers differ only in how values come back (SQLite: 0/1 and
// JSON text; PostgreSQL: booleans and parsed JSONB), and the readers below accept both.
import type {
  ApiKeyRecord,
  AttemptRecord,
  AuditRecord,
  ChannelCircuitOverride,
  FeePlanRecord,
  ChannelRecord,
  EventRecord,
  FeeLineRecord,
  IdempotencyRecord,
  DrillReportRecord,
  ChannelHealthRecord,
  ManualResolutionRecord,
  MerchantRecord,
  PayoutAccountRecord,
  PayoutRecord,
  PaymentRecord,
  ReversalRecord,
  QrFollowUpRecord,
  SettlementBatchRecord,
  StoredDecline,
  TerminalKeyRecord,
  TerminalRecord,
} from '../../core/ports/store.ts';
import type { SqlRow, SqlValue } from './sql-executor.ts';
import type { DefinedBy } from '../../core/config/seed-precedence.ts';
import type { ChannelDefinition } from '../../core/ports/defined-records.ts';
import { isApiScope, type ApiScope } from '../../core/access/api-scope.ts';

/** How one table maps to and from its record type. */
export interface TableMapping<T> {
  readonly table: string;
  readonly columns: readonly string[];
  readonly keyColumns: readonly string[];
  toValues(record: T): SqlValue[];
  fromRow(row: SqlRow): T;
}

/** An integer column: PostgreSQL BIGINT may arrive as a string or bigint; anything unsafe is a broken invariant. */
export function readInteger(value: unknown, column: string): number {
  const number = typeof value === 'number' ? value : typeof value === 'bigint' || typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new Error(`store column ${column} holds a non-integer or unsafe value`);
  return number;
}

export function readIntegerOrNull(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : readInteger(value, column);
}

export function readText(value: unknown, column: string): string {
  if (typeof value !== 'string') throw new Error(`store column ${column} is not text`);
  return value;
}

export function readTextOrNull(value: unknown, column: string): string | null {
  return value === null || value === undefined ? null : readText(value, column);
}

function readBoolean(value: unknown, column: string): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  throw new Error(`store column ${column} is not a boolean`);
}

function readJson<T>(value: unknown, column: string): T {
  if (typeof value === 'string') return JSON.parse(value) as T;
  if (typeof value === 'object' && value !== null) return value as T;
  throw new Error(`store column ${column} is not JSON`);
}

/** Money and instants must be safe integers before they are written: a float here is a bug upstream. */
export function integerValue(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`store field ${field} must be a safe integer`);
  return value;
}

export function integerOrNull(value: number | null, field: string): number | null {
  return value === null ? null : integerValue(value, field);
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

/** The last four digits of a masked PAN (`622202******1234` gives `1234`), stored for searches. */
export function last4OfMasked(panMasked: string): string {
  return panMasked.slice(-4);
}

export const merchantRows: TableMapping<MerchantRecord> = {
  table: 'merchants',
  columns: ['id', 'name', 'mcc', 'accepts', 'limits', 'fee_plan', 'disabled', 'created_at_ms', 'updated_at_ms'],
  keyColumns: ['id'],
  toValues: (m) => [m.id, m.name, m.mcc, json(m.accepts), json(m.limits), m.feePlan, m.disabled, integerValue(m.createdAtMs, 'createdAtMs'), integerValue(m.updatedAtMs, 'updatedAtMs')],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    name: readText(r.name, 'name'),
    mcc: readText(r.mcc, 'mcc'),
    accepts: readJson<string[]>(r.accepts, 'accepts'),
    limits: readJson<MerchantRecord['limits']>(r.limits, 'limits'),
    feePlan: readText(r.fee_plan, 'fee_plan'),
    disabled: readBoolean(r.disabled, 'disabled'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
  }),
};

export const terminalRows: TableMapping<TerminalRecord> = {
  table: 'terminals',
  columns: ['id', 'merchant_id', 'state', 'signed_on', 'batch_no', 'limits', 'last_seen_at_ms', 'created_at_ms', 'updated_at_ms'],
  keyColumns: ['id'],
  toValues: (t) => [
    t.id,
    t.merchantId,
    t.state,
    t.signedOn,
    t.batchNo,
    json(t.limits),
    integerOrNull(t.lastSeenAtMs, 'lastSeenAtMs'),
    integerValue(t.createdAtMs, 'createdAtMs'),
    integerValue(t.updatedAtMs, 'updatedAtMs'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    merchantId: readText(r.merchant_id, 'merchant_id'),
    state: readText(r.state, 'state') as TerminalRecord['state'],
    signedOn: readBoolean(r.signed_on, 'signed_on'),
    batchNo: readText(r.batch_no, 'batch_no'),
    limits: readJson<TerminalRecord['limits']>(r.limits, 'limits'),
    lastSeenAtMs: readIntegerOrNull(r.last_seen_at_ms, 'last_seen_at_ms'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
  }),
};

export const terminalKeyRows: TableMapping<TerminalKeyRecord> = {
  table: 'terminal_keys',
  columns: [
    'terminal_id',
    'algorithm',
    'tmk_sealed',
    'tmk_check_value',
    'tmk_source',
    'tmk_version',
    'pin_key_sealed',
    'pin_key_check_value',
    'mac_key_sealed',
    'mac_key_check_value',
    'data_key_sealed',
    'data_key_check_value',
    'working_keys_at_ms',
    'created_at_ms',
    'updated_at_ms',
  ],
  keyColumns: ['terminal_id'],
  toValues: (k) => [
    k.terminalId,
    k.algorithm,
    k.tmkSealed,
    k.tmkCheckValue,
    k.tmkSource,
    integerValue(k.tmkVersion, 'tmkVersion'),
    k.workingKeys?.pinSealed ?? null,
    k.workingKeys?.pinCheckValue ?? null,
    k.workingKeys?.macSealed ?? null,
    k.workingKeys?.macCheckValue ?? null,
    k.workingKeys?.dataSealed ?? null,
    k.workingKeys?.dataCheckValue ?? null,
    k.workingKeys === null ? null : integerValue(k.workingKeys.issuedAtMs, 'workingKeys.issuedAtMs'),
    integerValue(k.createdAtMs, 'createdAtMs'),
    integerValue(k.updatedAtMs, 'updatedAtMs'),
  ],
  fromRow: (r) => {
    const issuedAtMs = readIntegerOrNull(r.working_keys_at_ms, 'working_keys_at_ms');
    return {
      terminalId: readText(r.terminal_id, 'terminal_id'),
      algorithm: readText(r.algorithm, 'algorithm') as TerminalKeyRecord['algorithm'],
      tmkSealed: readText(r.tmk_sealed, 'tmk_sealed'),
      tmkCheckValue: readText(r.tmk_check_value, 'tmk_check_value'),
      tmkSource: readText(r.tmk_source, 'tmk_source') as TerminalKeyRecord['tmkSource'],
      tmkVersion: readInteger(r.tmk_version, 'tmk_version'),
      workingKeys:
        issuedAtMs === null
          ? null
          : {
              pinSealed: readText(r.pin_key_sealed, 'pin_key_sealed'),
              pinCheckValue: readText(r.pin_key_check_value, 'pin_key_check_value'),
              macSealed: readText(r.mac_key_sealed, 'mac_key_sealed'),
              macCheckValue: readText(r.mac_key_check_value, 'mac_key_check_value'),
              dataSealed: readTextOrNull(r.data_key_sealed, 'data_key_sealed'),
              dataCheckValue: readTextOrNull(r.data_key_check_value, 'data_key_check_value'),
              issuedAtMs,
            },
      createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
      updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    };
  },
};

export const channelRows: TableMapping<ChannelRecord> = {
  table: 'channels',
  columns: ['name', 'host', 'port', 'dialect', 'timeout_ms', 'priority', 'disabled', 'draining', 'circuit_override', 'defined_by', 'file_definition', 'created_at_ms', 'updated_at_ms'],
  keyColumns: ['name'],
  toValues: (c) => [
    c.name,
    c.host,
    integerValue(c.port, 'port'),
    c.dialect,
    integerValue(c.timeoutMs, 'timeoutMs'),
    integerValue(c.priority, 'priority'),
    c.disabled,
    c.draining,
    c.circuitOverride === null ? null : json(c.circuitOverride),
    c.definedBy,
    c.fileDefinition === null ? null : json(c.fileDefinition),
    integerValue(c.createdAtMs, 'createdAtMs'),
    integerValue(c.updatedAtMs, 'updatedAtMs'),
  ],
  fromRow: (r) => ({
    name: readText(r.name, 'name'),
    host: readText(r.host, 'host'),
    port: readInteger(r.port, 'port'),
    dialect: readText(r.dialect, 'dialect'),
    timeoutMs: readInteger(r.timeout_ms, 'timeout_ms'),
    priority: readInteger(r.priority, 'priority'),
    disabled: readBoolean(r.disabled, 'disabled'),
    draining: readBoolean(r.draining, 'draining'),
    circuitOverride: r.circuit_override === null || r.circuit_override === undefined ? null : readJson<ChannelCircuitOverride>(r.circuit_override, 'circuit_override'),
    definedBy: readDefinedBy(r.defined_by, 'defined_by'),
    fileDefinition: r.file_definition === null || r.file_definition === undefined ? null : readJson<ChannelDefinition>(r.file_definition, 'file_definition'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
  }),
};

function readDefinedBy(value: unknown, column: string): DefinedBy {
  const text = readText(value, column);
  if (text !== 'file' && text !== 'api') throw new Error(`${column}: ${text} is neither file nor api`);
  return text;
}

export const feePlanRows: TableMapping<FeePlanRecord> = {
  table: 'fee_plans',
  columns: ['name', 'document', 'version', 'defined_by', 'file_document', 'changed_by', 'changed_at_ms'],
  keyColumns: ['name'],
  toValues: (p) => [p.name, json(p.document), integerValue(p.version, 'version'), p.definedBy, p.fileDocument === null ? null : json(p.fileDocument), p.changedBy, integerValue(p.changedAtMs, 'changedAtMs')],
  fromRow: (r) => ({
    name: readText(r.name, 'name'),
    document: readJson<Record<string, unknown>>(r.document, 'document'),
    version: readInteger(r.version, 'version'),
    definedBy: readDefinedBy(r.defined_by, 'defined_by'),
    fileDocument: r.file_document === null || r.file_document === undefined ? null : readJson<Record<string, unknown>>(r.file_document, 'file_document'),
    changedBy: readText(r.changed_by, 'changed_by'),
    changedAtMs: readInteger(r.changed_at_ms, 'changed_at_ms'),
  }),
};

export const paymentRows: TableMapping<PaymentRecord> = {
  table: 'payments',
  columns: [
    'id',
    'kind',
    'status',
    'intake',
    'merchant_id',
    'terminal_id',
    'amount_minor',
    'currency',
    'pan_fingerprint',
    'pan_masked',
    'pan_last4',
    'card_brand',
    'card_type',
    'card_issuer',
    'entry_mode',
    'terminal_stan',
    'terminal_transmitted_at',
    'reference',
    'original_payment_id',
    'response_code',
    'auth_code',
    'rrn',
    'decline',
    'decline_category',
    'created_at_ms',
    'updated_at_ms',
    'version',
    'manual_handling_since_ms',
    'pan_key_id',
    'method',
  ],
  keyColumns: ['id'],
  toValues: (p) => [
    p.id,
    p.kind,
    p.status,
    p.intake,
    p.merchantId,
    p.terminalId,
    integerValue(p.amountMinor, 'amountMinor'),
    p.currency,
    p.panFingerprint,
    p.panMasked,
    last4OfMasked(p.panMasked),
    p.cardBrand,
    p.cardType,
    p.cardIssuer,
    p.entryMode,
    p.terminalStan,
    p.terminalTransmittedAt,
    p.reference,
    p.originalPaymentId,
    p.responseCode,
    p.authCode,
    p.rrn,
    p.decline === null ? null : json(p.decline),
    p.decline === null ? null : p.decline.category,
    integerValue(p.createdAtMs, 'createdAtMs'),
    integerValue(p.updatedAtMs, 'updatedAtMs'),
    integerValue(p.version, 'version'),
    p.manualHandlingSinceMs === undefined || p.manualHandlingSinceMs === null ? null : integerValue(p.manualHandlingSinceMs, 'manualHandlingSinceMs'),
    p.panKeyId ?? null,
    p.method ?? 'card',
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    kind: readText(r.kind, 'kind') as PaymentRecord['kind'],
    status: readText(r.status, 'status') as PaymentRecord['status'],
    intake: readText(r.intake, 'intake') as PaymentRecord['intake'],
    merchantId: readText(r.merchant_id, 'merchant_id'),
    terminalId: readTextOrNull(r.terminal_id, 'terminal_id'),
    amountMinor: readInteger(r.amount_minor, 'amount_minor'),
    currency: readText(r.currency, 'currency'),
    panFingerprint: readText(r.pan_fingerprint, 'pan_fingerprint'),
    panMasked: readText(r.pan_masked, 'pan_masked'),
    cardBrand: readText(r.card_brand, 'card_brand') as PaymentRecord['cardBrand'],
    cardType: readText(r.card_type, 'card_type') as PaymentRecord['cardType'],
    cardIssuer: readTextOrNull(r.card_issuer, 'card_issuer'),
    entryMode: readText(r.entry_mode, 'entry_mode'),
    terminalStan: readTextOrNull(r.terminal_stan, 'terminal_stan'),
    terminalTransmittedAt: readTextOrNull(r.terminal_transmitted_at, 'terminal_transmitted_at'),
    reference: readTextOrNull(r.reference, 'reference'),
    originalPaymentId: readTextOrNull(r.original_payment_id, 'original_payment_id'),
    responseCode: readTextOrNull(r.response_code, 'response_code'),
    authCode: readTextOrNull(r.auth_code, 'auth_code'),
    rrn: readTextOrNull(r.rrn, 'rrn'),
    decline: r.decline === null || r.decline === undefined ? null : readJson<StoredDecline>(r.decline, 'decline'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    version: readInteger(r.version, 'version'),
    // Absent, not null, when unflagged: records built before migration 0004 omit it and must round-trip unchanged.
    ...(r.manual_handling_since_ms === null || r.manual_handling_since_ms === undefined ? {} : { manualHandlingSinceMs: readInteger(r.manual_handling_since_ms, 'manual_handling_since_ms') }),
    // Absent when unknown (rows written before migration 0010), for the same reason.
    ...(r.pan_key_id === null || r.pan_key_id === undefined ? {} : { panKeyId: readText(r.pan_key_id, 'pan_key_id') }),
    // Absent for cards (every row before migration 0021 is one), so card records round-trip unchanged.
    ...(r.method === null || r.method === undefined || r.method === 'card' ? {} : { method: readText(r.method, 'method') as PaymentRecord['method'] }),
  }),
};

export const attemptRows: TableMapping<AttemptRecord> = {
  table: 'attempts',
  columns: [
    'id',
    'payment_id',
    'seq',
    'channel',
    'mti',
    'stan',
    'transmitted_at',
    'processing_code',
    'upstream_terminal_id',
    'outcome',
    'response_code',
    'auth_code',
    'rrn',
    'latency_ms',
    'sent_at_ms',
    'completed_at_ms',
    'created_at_ms',
    'provider_trade_no',
    'provider_code',
  ],
  keyColumns: ['id'],
  toValues: (a) => [
    a.id,
    a.paymentId,
    integerValue(a.seq, 'seq'),
    a.channel,
    a.mti,
    a.stan,
    a.transmittedAt,
    a.processingCode,
    a.upstreamTerminalId,
    a.outcome,
    a.responseCode,
    a.authCode,
    a.rrn,
    integerOrNull(a.latencyMs, 'latencyMs'),
    integerOrNull(a.sentAtMs, 'sentAtMs'),
    integerOrNull(a.completedAtMs, 'completedAtMs'),
    integerValue(a.createdAtMs, 'createdAtMs'),
    a.providerTradeNo ?? null,
    a.providerCode ?? null,
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    paymentId: readText(r.payment_id, 'payment_id'),
    seq: readInteger(r.seq, 'seq'),
    channel: readText(r.channel, 'channel'),
    mti: readText(r.mti, 'mti'),
    stan: readText(r.stan, 'stan'),
    transmittedAt: readText(r.transmitted_at, 'transmitted_at'),
    processingCode: readText(r.processing_code, 'processing_code'),
    upstreamTerminalId: readText(r.upstream_terminal_id, 'upstream_terminal_id'),
    outcome: readText(r.outcome, 'outcome') as AttemptRecord['outcome'],
    responseCode: readTextOrNull(r.response_code, 'response_code'),
    authCode: readTextOrNull(r.auth_code, 'auth_code'),
    rrn: readTextOrNull(r.rrn, 'rrn'),
    latencyMs: readIntegerOrNull(r.latency_ms, 'latency_ms'),
    sentAtMs: readIntegerOrNull(r.sent_at_ms, 'sent_at_ms'),
    completedAtMs: readIntegerOrNull(r.completed_at_ms, 'completed_at_ms'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    // Absent on card attempts (migration 0021), so their records round-trip unchanged.
    ...(r.provider_trade_no === null || r.provider_trade_no === undefined ? {} : { providerTradeNo: readText(r.provider_trade_no, 'provider_trade_no') }),
    ...(r.provider_code === null || r.provider_code === undefined ? {} : { providerCode: readText(r.provider_code, 'provider_code') }),
  }),
};

export const qrFollowUpRows: TableMapping<QrFollowUpRecord> = {
  table: 'qr_follow_ups',
  columns: ['id', 'payment_id', 'attempt_id', 'channel', 'out_trade_no', 'state', 'tries', 'next_at_ms', 'last_error', 'created_at_ms', 'completed_at_ms'],
  keyColumns: ['id'],
  toValues: (f) => [
    f.id,
    f.paymentId,
    f.attemptId,
    f.channel,
    f.outTradeNo,
    f.state,
    integerValue(f.tries, 'tries'),
    integerValue(f.nextAtMs, 'nextAtMs'),
    f.lastError,
    integerValue(f.createdAtMs, 'createdAtMs'),
    integerOrNull(f.completedAtMs, 'completedAtMs'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    paymentId: readText(r.payment_id, 'payment_id'),
    attemptId: readText(r.attempt_id, 'attempt_id'),
    channel: readText(r.channel, 'channel'),
    outTradeNo: readText(r.out_trade_no, 'out_trade_no'),
    state: readText(r.state, 'state') as QrFollowUpRecord['state'],
    tries: readInteger(r.tries, 'tries'),
    nextAtMs: readInteger(r.next_at_ms, 'next_at_ms'),
    lastError: readTextOrNull(r.last_error, 'last_error'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    completedAtMs: readIntegerOrNull(r.completed_at_ms, 'completed_at_ms'),
  }),
};

export const reversalRows: TableMapping<ReversalRecord> = {
  table: 'reversals',
  columns: ['id', 'attempt_id', 'payment_id', 'channel', 'reason_code', 'stan', 'transmitted_at', 'state', 'tries', 'next_at_ms', 'last_error', 'created_at_ms', 'completed_at_ms'],
  keyColumns: ['id'],
  toValues: (v) => [
    v.id,
    v.attemptId,
    v.paymentId,
    v.channel,
    v.reasonCode,
    v.stan,
    v.transmittedAt,
    v.state,
    integerValue(v.tries, 'tries'),
    integerValue(v.nextAtMs, 'nextAtMs'),
    v.lastError,
    integerValue(v.createdAtMs, 'createdAtMs'),
    integerOrNull(v.completedAtMs, 'completedAtMs'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    attemptId: readText(r.attempt_id, 'attempt_id'),
    paymentId: readText(r.payment_id, 'payment_id'),
    channel: readText(r.channel, 'channel'),
    reasonCode: readText(r.reason_code, 'reason_code'),
    stan: readText(r.stan, 'stan'),
    transmittedAt: readText(r.transmitted_at, 'transmitted_at'),
    state: readText(r.state, 'state') as ReversalRecord['state'],
    tries: readInteger(r.tries, 'tries'),
    nextAtMs: readInteger(r.next_at_ms, 'next_at_ms'),
    lastError: readTextOrNull(r.last_error, 'last_error'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    completedAtMs: readIntegerOrNull(r.completed_at_ms, 'completed_at_ms'),
  }),
};

export const idempotencyRows: TableMapping<IdempotencyRecord> = {
  table: 'idempotency_records',
  columns: ['scope', 'idempotency_key', 'request_hash', 'payment_id', 'state', 'response_status', 'response_body', 'created_at_ms', 'updated_at_ms'],
  keyColumns: ['scope', 'idempotency_key'],
  toValues: (i) => [
    i.scope,
    i.key,
    i.requestHash,
    i.paymentId,
    i.state,
    integerOrNull(i.responseStatus, 'responseStatus'),
    i.responseBody,
    integerValue(i.createdAtMs, 'createdAtMs'),
    integerValue(i.updatedAtMs, 'updatedAtMs'),
  ],
  fromRow: (r) => ({
    scope: readText(r.scope, 'scope'),
    key: readText(r.idempotency_key, 'idempotency_key'),
    requestHash: readText(r.request_hash, 'request_hash'),
    paymentId: readTextOrNull(r.payment_id, 'payment_id'),
    state: readText(r.state, 'state') as IdempotencyRecord['state'],
    responseStatus: readIntegerOrNull(r.response_status, 'response_status'),
    responseBody: readTextOrNull(r.response_body, 'response_body'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
  }),
};

export const feeLineRows: TableMapping<FeeLineRecord> = {
  table: 'fee_lines',
  columns: ['id', 'payment_id', 'merchant_id', 'kind', 'method', 'plan', 'rule', 'amount_minor', 'fee_minor', 'rate_bps', 'business_date', 'created_at_ms'],
  keyColumns: ['id'],
  toValues: (f) => [
    f.id,
    f.paymentId,
    f.merchantId,
    f.kind,
    f.method,
    f.plan,
    f.rule,
    integerValue(f.amountMinor, 'amountMinor'),
    integerValue(f.feeMinor, 'feeMinor'),
    integerValue(f.rateBps, 'rateBps'),
    f.businessDate,
    integerValue(f.createdAtMs, 'createdAtMs'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    paymentId: readText(r.payment_id, 'payment_id'),
    merchantId: readText(r.merchant_id, 'merchant_id'),
    kind: readText(r.kind, 'kind') as FeeLineRecord['kind'],
    method: readText(r.method, 'method'),
    plan: readText(r.plan, 'plan'),
    rule: readText(r.rule, 'rule'),
    amountMinor: readInteger(r.amount_minor, 'amount_minor'),
    feeMinor: readInteger(r.fee_minor, 'fee_minor'),
    rateBps: readInteger(r.rate_bps, 'rate_bps'),
    businessDate: readText(r.business_date, 'business_date'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
  }),
};

export const settlementBatchRows: TableMapping<SettlementBatchRecord> = {
  table: 'settlement_batches',
  columns: ['id', 'merchant_id', 'business_date', 'gross_minor', 'refunds_minor', 'fees_minor', 'net_minor', 'payout_date', 'settle_mode', 'state', 'created_at_ms', 'adjustments_minor'],
  keyColumns: ['id'],
  toValues: (b) => [
    b.id,
    b.merchantId,
    b.businessDate,
    integerValue(b.grossMinor, 'grossMinor'),
    integerValue(b.refundsMinor, 'refundsMinor'),
    integerValue(b.feesMinor, 'feesMinor'),
    integerValue(b.netMinor, 'netMinor'),
    b.payoutDate,
    b.settleMode,
    b.state,
    integerValue(b.createdAtMs, 'createdAtMs'),
    integerValue(b.adjustmentsMinor ?? 0, 'adjustmentsMinor'),
  ],
  fromRow: (r) => {
    const adjustmentsMinor = readInteger(r.adjustments_minor ?? 0, 'adjustments_minor');
    return {
    id: readText(r.id, 'id'),
    merchantId: readText(r.merchant_id, 'merchant_id'),
    businessDate: readText(r.business_date, 'business_date'),
    grossMinor: readInteger(r.gross_minor, 'gross_minor'),
    refundsMinor: readInteger(r.refunds_minor, 'refunds_minor'),
    feesMinor: readInteger(r.fees_minor, 'fees_minor'),
    netMinor: readInteger(r.net_minor, 'net_minor'),
    payoutDate: readText(r.payout_date, 'payout_date'),
    settleMode: readText(r.settle_mode, 'settle_mode') as SettlementBatchRecord['settleMode'],
    state: readText(r.state, 'state') as SettlementBatchRecord['state'],
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    // Absent when 0, as batches without adjustments are written (and as they were before migration 0015).
    ...(adjustmentsMinor === 0 ? {} : { adjustmentsMinor }),
    };
  },
};

export const payoutAccountRows: TableMapping<PayoutAccountRecord> = {
  table: 'payout_accounts',
  columns: ['merchant_id', 'bank_code', 'account_name', 'account_number_sealed', 'account_number_masked', 'created_at_ms', 'updated_at_ms'],
  keyColumns: ['merchant_id'],
  toValues: (a) => [a.merchantId, a.bankCode, a.accountName, a.accountNumberSealed, a.accountNumberMasked, integerValue(a.createdAtMs, 'createdAtMs'), integerValue(a.updatedAtMs, 'updatedAtMs')],
  fromRow: (r) => ({
    merchantId: readText(r.merchant_id, 'merchant_id'),
    bankCode: readText(r.bank_code, 'bank_code'),
    accountName: readText(r.account_name, 'account_name'),
    accountNumberSealed: readText(r.account_number_sealed, 'account_number_sealed'),
    accountNumberMasked: readText(r.account_number_masked, 'account_number_masked'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
  }),
};

export const payoutRows: TableMapping<PayoutRecord> = {
  table: 'payouts',
  columns: [
    'id', 'batch_id', 'merchant_id', 'business_date', 'attempt', 'amount_minor', 'currency', 'settle_mode', 'bank_code', 'account_name',
    'account_number_sealed', 'account_number_masked', 'state', 'file_id', 'expected_arrival_date', 'bank_reference', 'reason_code', 'reason_text',
    'created_at_ms', 'sent_at_ms', 'answered_at_ms', 'version',
  ],
  keyColumns: ['id'],
  toValues: (p) => [
    p.id,
    p.batchId,
    p.merchantId,
    p.businessDate,
    integerValue(p.attempt, 'attempt'),
    integerValue(p.amountMinor, 'amountMinor'),
    p.currency,
    p.settleMode,
    p.bankCode,
    p.accountName,
    p.accountNumberSealed,
    p.accountNumberMasked,
    p.state,
    p.fileId,
    p.expectedArrivalDate,
    p.bankReference,
    p.reasonCode,
    p.reasonText,
    integerValue(p.createdAtMs, 'createdAtMs'),
    integerOrNull(p.sentAtMs, 'sentAtMs'),
    integerOrNull(p.answeredAtMs, 'answeredAtMs'),
    integerValue(p.version, 'version'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    batchId: readText(r.batch_id, 'batch_id'),
    merchantId: readText(r.merchant_id, 'merchant_id'),
    businessDate: readText(r.business_date, 'business_date'),
    attempt: readInteger(r.attempt, 'attempt'),
    amountMinor: readInteger(r.amount_minor, 'amount_minor'),
    currency: readText(r.currency, 'currency'),
    settleMode: readText(r.settle_mode, 'settle_mode') as PayoutRecord['settleMode'],
    bankCode: readText(r.bank_code, 'bank_code'),
    accountName: readText(r.account_name, 'account_name'),
    accountNumberSealed: readText(r.account_number_sealed, 'account_number_sealed'),
    accountNumberMasked: readText(r.account_number_masked, 'account_number_masked'),
    state: readText(r.state, 'state') as PayoutRecord['state'],
    fileId: readTextOrNull(r.file_id, 'file_id'),
    expectedArrivalDate: readText(r.expected_arrival_date, 'expected_arrival_date'),
    bankReference: readTextOrNull(r.bank_reference, 'bank_reference'),
    reasonCode: readTextOrNull(r.reason_code, 'reason_code'),
    reasonText: readTextOrNull(r.reason_text, 'reason_text'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    sentAtMs: readIntegerOrNull(r.sent_at_ms, 'sent_at_ms'),
    answeredAtMs: readIntegerOrNull(r.answered_at_ms, 'answered_at_ms'),
    version: readInteger(r.version, 'version'),
  }),
};

/** Events get their seq from the database, so the insert leaves it out. */
/** Absent, not null, without a node (events before migration 0022, a store without a node id): such records round-trip unchanged. */
function nodeOfEventRow(r: SqlRow): { node?: string } {
  return r.node === null || r.node === undefined ? {} : { node: readText(r.node, 'node') };
}

export const eventRows: TableMapping<Omit<EventRecord, 'seq'>> & { fromStoredRow(row: SqlRow): EventRecord } = {
  table: 'events',
  columns: ['type', 'subject_id', 'payload', 'at_ms', 'node'],
  keyColumns: ['seq'],
  toValues: (e) => [e.type, e.subjectId, json(e.payload), integerValue(e.atMs, 'atMs'), e.node ?? null],
  fromRow: (r) => ({
    type: readText(r.type, 'type'),
    subjectId: readTextOrNull(r.subject_id, 'subject_id'),
    payload: readJson<Record<string, unknown>>(r.payload, 'payload'),
    atMs: readInteger(r.at_ms, 'at_ms'),
    ...nodeOfEventRow(r),
  }),
  fromStoredRow: (r) => ({
    seq: readInteger(r.seq, 'seq'),
    type: readText(r.type, 'type'),
    subjectId: readTextOrNull(r.subject_id, 'subject_id'),
    payload: readJson<Record<string, unknown>>(r.payload, 'payload'),
    atMs: readInteger(r.at_ms, 'at_ms'),
    ...nodeOfEventRow(r),
  }),
};

export const auditRows: TableMapping<AuditRecord> = {
  table: 'audit_log',
  columns: ['id', 'actor', 'action', 'subject_id', 'detail', 'at_ms', 'client_address', 'request_id'],
  keyColumns: ['id'],
  toValues: (a) => [a.id, a.actor, a.action, a.subjectId, json(a.detail), integerValue(a.atMs, 'atMs'), a.clientAddress ?? null, a.requestId ?? null],
  fromRow: (r) => {
    const clientAddress = readTextOrNull(r.client_address, 'client_address');
    const requestId = readTextOrNull(r.request_id, 'request_id');
    return {
      id: readText(r.id, 'id'),
      actor: readText(r.actor, 'actor'),
      action: readText(r.action, 'action'),
      subjectId: readTextOrNull(r.subject_id, 'subject_id'),
      detail: readJson<Record<string, unknown>>(r.detail, 'detail'),
      atMs: readInteger(r.at_ms, 'at_ms'),
      // Absent rather than null, as written: CLI and internal records have neither.
      ...(clientAddress === null ? {} : { clientAddress }),
      ...(requestId === null ? {} : { requestId }),
    };
  },
};

function readScopes(value: unknown): ApiScope[] {
  const scopes = readJson<unknown>(value, 'scopes');
  if (!Array.isArray(scopes) || !scopes.every((scope): scope is ApiScope => typeof scope === 'string' && isApiScope(scope))) {
    throw new Error('broken invariant: api_keys.scopes is not a list of known scopes');
  }
  return scopes;
}

export const channelHealthRows: TableMapping<ChannelHealthRecord> = {
  table: 'channel_health',
  columns: ['node_id', 'channel', 'view', 'updated_at_ms'],
  keyColumns: ['node_id', 'channel'],
  toValues: (r) => [r.nodeId, r.channel, json(r.view), integerValue(r.updatedAtMs, 'updatedAtMs')],
  fromRow: (r) => ({
    nodeId: readText(r.node_id, 'node_id'),
    channel: readText(r.channel, 'channel'),
    view: readJson<Record<string, unknown>>(r.view, 'view'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
  }),
};

export const drillReportRows: TableMapping<DrillReportRecord> = {
  table: 'drill_reports',
  columns: ['id', 'scenario', 'passed', 'target', 'started_at_ms', 'duration_ms', 'report'],
  keyColumns: ['id'],
  toValues: (r) => [r.id, r.scenario, r.passed ? 1 : 0, r.target, integerValue(r.startedAtMs, 'startedAtMs'), integerValue(r.durationMs, 'durationMs'), json(r.report)],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    scenario: readText(r.scenario, 'scenario'),
    passed: readInteger(r.passed, 'passed') === 1,
    target: readText(r.target, 'target'),
    startedAtMs: readInteger(r.started_at_ms, 'started_at_ms'),
    durationMs: readInteger(r.duration_ms, 'duration_ms'),
    report: readJson<Record<string, unknown>>(r.report, 'report'),
  }),
};

export const manualResolutionRows: TableMapping<ManualResolutionRecord> = {
  table: 'manual_resolutions',
  columns: ['payment_id', 'outcome', 'note', 'actor', 'at_ms'],
  keyColumns: ['payment_id'],
  toValues: (r) => [r.paymentId, r.outcome, r.note, r.actor, integerValue(r.atMs, 'atMs')],
  fromRow: (r) => ({
    paymentId: readText(r.payment_id, 'payment_id'),
    outcome: readText(r.outcome, 'outcome') as ManualResolutionRecord['outcome'],
    note: readText(r.note, 'note'),
    actor: readText(r.actor, 'actor'),
    atMs: readInteger(r.at_ms, 'at_ms'),
  }),
};

export const apiKeyRows: TableMapping<ApiKeyRecord> = {
  table: 'api_keys',
  // `scope` is the column of 0001 ('admin' or 'merchant'), still NOT NULL; it is kept in step with scopes.
  columns: ['id', 'secret_hash', 'scope', 'merchant_id', 'label', 'created_at_ms', 'revoked_at_ms', 'scopes', 'expires_at_ms', 'last_used_at_ms'],
  keyColumns: ['id'],
  toValues: (k) => [
    k.id,
    k.secretHash,
    k.scopes.includes('admin') ? 'admin' : 'merchant',
    k.merchantId,
    k.label,
    integerValue(k.createdAtMs, 'createdAtMs'),
    integerOrNull(k.revokedAtMs, 'revokedAtMs'),
    json([...k.scopes]),
    integerOrNull(k.expiresAtMs, 'expiresAtMs'),
    integerOrNull(k.lastUsedAtMs, 'lastUsedAtMs'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    secretHash: readText(r.secret_hash, 'secret_hash'),
    scopes: readScopes(r.scopes),
    merchantId: readTextOrNull(r.merchant_id, 'merchant_id'),
    label: readText(r.label, 'label'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    expiresAtMs: readIntegerOrNull(r.expires_at_ms, 'expires_at_ms'),
    revokedAtMs: readIntegerOrNull(r.revoked_at_ms, 'revoked_at_ms'),
    lastUsedAtMs: readIntegerOrNull(r.last_used_at_ms, 'last_used_at_ms'),
  }),
};

/** `INSERT INTO t (cols) VALUES (?, ...)`. */
export function insertSql(mapping: TableMapping<unknown>): string {
  return `INSERT INTO ${mapping.table} (${mapping.columns.join(', ')}) VALUES (${mapping.columns.map(() => '?').join(', ')})`;
}

/** An insert that overwrites every non-key column when the key exists (same syntax on SQLite and PostgreSQL). */
export function upsertSql(mapping: TableMapping<unknown>): string {
  const updates = mapping.columns.filter((column) => !mapping.keyColumns.includes(column)).map((column) => `${column} = excluded.${column}`);
  return `${insertSql(mapping)} ON CONFLICT (${mapping.keyColumns.join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
}

/**
 * `UPDATE t SET ... WHERE key = ?`; values are the set values then the key values. Every non-key column
 * is set, or, given `before` (the row as stored), only the columns whose value differs: SQLite rewrites
 * the entries of every index holding a column named in SET, changed or not, so a payment's status
 * change would otherwise touch all its indexes.
 */
export function updateByKey<T>(mapping: TableMapping<T>, record: T, before?: T): { sql: string; values: SqlValue[] } {
  const all = mapping.toValues(record);
  const old = before === undefined ? null : mapping.toValues(before);
  const sets: string[] = [];
  const setValues: SqlValue[] = [];
  const keyValues: SqlValue[] = [];
  mapping.columns.forEach((column, i) => {
    const value = all[i] as SqlValue;
    if (mapping.keyColumns.includes(column)) keyValues.push(value);
    else if (old === null || old[i] !== value) {
      sets.push(`${column} = ?`);
      setValues.push(value);
    }
  });
  // Nothing changed since `before`: the row is written whole, so the update still proves it exists.
  if (sets.length === 0 && old !== null) return updateByKey(mapping, record);
  if (sets.length === 0) throw new Error(`update of ${mapping.table} changes no column`);
  const where = mapping.keyColumns.map((column) => `${column} = ?`).join(' AND ');
  return { sql: `UPDATE ${mapping.table} SET ${sets.join(', ')} WHERE ${where}`, values: [...setValues, ...keyValues] };
}
