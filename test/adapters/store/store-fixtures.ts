// Record builders shared by the store tests: complete, valid records with overridable fields.
import { fingerprintPan, maskPan } from '../../../src/core/cards/pan.ts';
import type {
  ApiKeyRecord,
  AttemptRecord,
  AuditRecord,
  ChannelRecord,
  FeeLineRecord,
  IdempotencyRecord,
  MerchantRecord,
  PaymentRecord,
  PayoutAccountRecord,
  PayoutRecord,
  ReversalRecord,
  SettlementBatchRecord,
  TerminalRecord,
} from '../../../src/core/ports/store.ts';

export const testPanKey = 'store-test-pan-key';
export const baseAtMs = 1_764_000_000_000;

export function merchant(id: string, overrides: Partial<MerchantRecord> = {}): MerchantRecord {
  return {
    id,
    name: `商户 ${id}`,
    mcc: '5411',
    accepts: ['debit', 'credit', 'wechat'],
    limits: { perSaleMinor: 5_000_000, perDayMinor: 50_000_000 },
    feePlan: 'standard',
    disabled: false,
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    ...overrides,
  };
}

export function terminal(id: string, merchantId: string, overrides: Partial<TerminalRecord> = {}): TerminalRecord {
  return {
    id,
    merchantId,
    state: 'active',
    signedOn: true,
    batchNo: '000001',
    limits: {},
    lastSeenAtMs: baseAtMs + 5,
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    ...overrides,
  };
}

export function channel(name: string, overrides: Partial<ChannelRecord> = {}): ChannelRecord {
  return {
    name,
    host: '127.0.0.1',
    port: 9100,
    dialect: 'iso87-ascii',
    timeoutMs: 8000,
    priority: 1,
    disabled: false,
    draining: false,
    circuitOverride: null,
    definedBy: 'file',
    fileDefinition: null,
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    ...overrides,
  };
}

export function payment(id: string, merchantId: string, overrides: Partial<PaymentRecord> & { pan?: string } = {}): PaymentRecord {
  const { pan = '6222021234567890123', ...rest } = overrides;
  return {
    id,
    kind: 'sale',
    status: 'approved',
    intake: 'http',
    merchantId,
    terminalId: null,
    amountMinor: 12_345,
    currency: 'CNY',
    panFingerprint: fingerprintPan(pan, testPanKey),
    panMasked: maskPan(pan),
    cardBrand: 'unionpay',
    cardType: 'debit',
    cardIssuer: 'Test Bank',
    entryMode: 'chip',
    terminalStan: null,
    terminalTransmittedAt: null,
    reference: null,
    originalPaymentId: null,
    responseCode: '00',
    authCode: 'A1B2C3',
    rrn: '123456789012',
    decline: null,
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    version: 1,
    ...rest,
  };
}

export function attempt(id: string, paymentId: string, overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    id,
    paymentId,
    seq: 1,
    channel: 'bank-a',
    mti: '0200',
    stan: '000001',
    transmittedAt: '1125213000',
    processingCode: '000000',
    upstreamTerminalId: 'T0000001',
    outcome: 'pending',
    responseCode: null,
    authCode: null,
    rrn: null,
    latencyMs: null,
    sentAtMs: null,
    completedAtMs: null,
    createdAtMs: baseAtMs,
    ...overrides,
  };
}

export function reversal(id: string, attemptId: string, paymentId: string, overrides: Partial<ReversalRecord> = {}): ReversalRecord {
  return {
    id,
    attemptId,
    paymentId,
    channel: 'bank-a',
    reasonCode: '98',
    stan: '000101',
    transmittedAt: '1125213100',
    state: 'pending',
    tries: 0,
    nextAtMs: baseAtMs,
    lastError: null,
    createdAtMs: baseAtMs,
    completedAtMs: null,
    ...overrides,
  };
}

export function idempotency(scope: string, key: string, overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return {
    scope,
    key,
    requestHash: 'sha256:abc',
    paymentId: null,
    state: 'in_progress',
    responseStatus: null,
    responseBody: null,
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    ...overrides,
  };
}

export function feeLine(id: string, paymentId: string, merchantId: string, overrides: Partial<FeeLineRecord> = {}): FeeLineRecord {
  return {
    id,
    paymentId,
    merchantId,
    kind: 'fee',
    method: 'debit',
    plan: 'standard',
    rule: 'debit 0.5% capped at 2500',
    amountMinor: 12_345,
    feeMinor: 62,
    rateBps: 50,
    businessDate: '2026-11-25',
    createdAtMs: baseAtMs,
    ...overrides,
  };
}

export function settlementBatch(id: string, merchantId: string, overrides: Partial<SettlementBatchRecord> = {}): SettlementBatchRecord {
  return {
    id,
    merchantId,
    businessDate: '2026-11-25',
    grossMinor: 1_000_000,
    refundsMinor: 10_000,
    feesMinor: 5_000,
    netMinor: 985_000,
    payoutDate: '2026-11-26',
    settleMode: 't1',
    state: 'open',
    createdAtMs: baseAtMs,
    ...overrides,
  };
}

export function audit(id: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return { id, actor: 'admin:alice', action: 'merchant.update', subjectId: 'm1', detail: { field: 'limits', 新: true }, atMs: baseAtMs, ...overrides };
}

export function apiKey(id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id, secretHash: `sha256:${id}`, scopes: ['admin'], merchantId: null, label: `key ${id}`, createdAtMs: baseAtMs, expiresAtMs: null, revokedAtMs: null, lastUsedAtMs: null, ...overrides };
}

export function payoutAccount(merchantId: string, overrides: Partial<PayoutAccountRecord> = {}): PayoutAccountRecord {
  return {
    merchantId,
    bankCode: '102100099996',
    accountName: `商户 ${merchantId} 有限公司`,
    accountNumberSealed: 'v1.testkey.iv.tag.body',
    accountNumberMasked: '****3445',
    createdAtMs: baseAtMs,
    updatedAtMs: baseAtMs,
    ...overrides,
  };
}

export function payoutRecord(batchId: string, merchantId: string, attempt = 1, overrides: Partial<PayoutRecord> = {}): PayoutRecord {
  return {
    id: `po_${batchId}_${attempt}`,
    batchId,
    merchantId,
    businessDate: '2026-11-25',
    attempt,
    amountMinor: 985_000,
    currency: 'CNY',
    settleMode: 't1',
    bankCode: '102100099996',
    accountName: `商户 ${merchantId} 有限公司`,
    accountNumberSealed: 'v1.testkey.iv.tag.body',
    accountNumberMasked: '****3445',
    state: 'pending',
    fileId: null,
    expectedArrivalDate: '2026-11-26',
    bankReference: null,
    reasonCode: null,
    reasonText: null,
    createdAtMs: baseAtMs,
    sentAtMs: null,
    answeredAtMs: null,
    version: 1,
    ...overrides,
  };
}
