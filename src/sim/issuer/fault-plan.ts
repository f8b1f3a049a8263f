// Which fault, if any, hits one request: a magic amount first (test-cards.ts), then the random fault
// rates set at start or through PUT /faults. Pure: the caller passes the seeded Random.
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { Random } from '../../core/time/random.ts';
import { nextUnit } from '../../core/time/random.ts';
import { findMagicAmount, unionPayQrFault, type IssuerFault } from './test-cards.ts';
import { isUnionPayQrSale } from '../../core/payments/unionpay-qr-request.ts';

/** Probabilities in [0, 1] that a request meets each fault; their sum is at most 1. */
export interface FaultRates {
  /** The request is swallowed before the issuer looks at it. */
  readonly noReply: number;
  /** The issuer processes the request (money may move), then the reply is lost. */
  readonly replyLost: number;
  /** The reply is sent after lateReplyMs. */
  readonly lateReply: number;
  /** The connection is closed on receipt, before processing. */
  readonly drop: number;
  /** The connection is closed after processing, instead of the reply. */
  readonly dropAfterProcessing: number;
  /** The reply is bytes the codec rejects. */
  readonly malformedReply: number;
  /** The reply is sent twice. */
  readonly duplicateReply: number;
  /** The issuer processes the request, then the reply goes out with a wrong MAC. */
  readonly badAnswerMac: number;
}

export interface FaultSettings extends FaultRates {
  /** How long a late reply waits. Longer than a typical 10 s channel timeout by default. */
  readonly lateReplyMs: number;
  /** Probability that a reversal (0400/0401) is swallowed: a bank whose reversal processing stopped (the drill `reversal-backlog`). */
  readonly reversalNoReply: number;
}

export const faultRateNames = ['noReply', 'replyLost', 'lateReply', 'drop', 'dropAfterProcessing', 'malformedReply', 'duplicateReply', 'badAnswerMac'] as const satisfies ReadonlyArray<keyof FaultRates>;

const faultOfRate: Readonly<Record<keyof FaultRates, IssuerFault>> = {
  noReply: 'no_reply',
  replyLost: 'reply_lost',
  lateReply: 'late_reply',
  drop: 'drop_on_receipt',
  dropAfterProcessing: 'drop_after_processing',
  malformedReply: 'malformed_reply',
  duplicateReply: 'duplicate_reply',
  badAnswerMac: 'bad_answer_mac',
};

/** The faults of a flaky bank link, which a fault mix (`--fault-mix`) spreads its share over in equal parts. */
export const linkFaultNames = ['noReply', 'replyLost', 'lateReply', 'drop', 'dropAfterProcessing', 'duplicateReply'] as const satisfies ReadonlyArray<keyof FaultRates>;

/**
 * Rates under which `share` of requests (sales and reversals alike) meet one of the link faults, each as likely
 * as the others: "misbehaves on 25 % of requests" is linkFaultMix(0.25). Throws RSW_SIM_FAULTS_INVALID outside [0, 1].
 */
export function linkFaultMix(share: number): Record<(typeof linkFaultNames)[number], number> {
  if (!(typeof share === 'number' && Number.isFinite(share) && share >= 0 && share <= 1)) {
    throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: 'faultMix', reason: 'the fault mix must be a share of requests from 0 to 1' });
  }
  const each = share / linkFaultNames.length;
  return { noReply: each, replyLost: each, lateReply: each, drop: each, dropAfterProcessing: each, duplicateReply: each };
}

export const defaultLateReplyMs = 15_000;
export const lateReplyMsMax = 600_000;

export const noFaults: FaultSettings = Object.freeze({
  noReply: 0,
  replyLost: 0,
  lateReply: 0,
  drop: 0,
  dropAfterProcessing: 0,
  malformedReply: 0,
  duplicateReply: 0,
  badAnswerMac: 0,
  lateReplyMs: defaultLateReplyMs,
  reversalNoReply: 0,
});

/** Validates a partial update over the current settings; returns the new, frozen settings or throws RSW_SIM_FAULTS_INVALID. */
export function mergeFaultSettings(current: FaultSettings, update: unknown): FaultSettings {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: 'expected a JSON object of fault rates' });
  }
  const merged: Record<string, number> = { ...current };
  for (const [name, value] of Object.entries(update)) {
    if (name === 'lateReplyMs') {
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= lateReplyMsMax)) {
        throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: 'lateReplyMs', reason: `lateReplyMs must be an integer from 0 to ${lateReplyMsMax}` });
      }
      merged.lateReplyMs = value;
      continue;
    }
    if (name === 'reversalNoReply') {
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1)) {
        throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: name, reason: 'reversalNoReply must be a probability from 0 to 1' });
      }
      merged.reversalNoReply = value;
      continue;
    }
    if (!(faultRateNames as readonly string[]).includes(name)) {
      throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: name, reason: `unknown setting ${name}; known: ${[...faultRateNames, 'lateReplyMs', 'reversalNoReply'].join(', ')}` });
    }
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1)) {
      throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: name, reason: `${name} must be a probability from 0 to 1` });
    }
    merged[name] = value;
  }
  const sum = faultRateNames.reduce((total, name) => total + (merged[name] ?? 0), 0);
  // A small tolerance so 0.1 + 0.2 + 0.7 is accepted.
  if (sum > 1 + 1e-9) throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: `the fault rates add up to ${sum}, more than 1` });
  return Object.freeze(merged as unknown as FaultSettings);
}

/** True for the requests magic fault amounts apply to: sales, refunds and pre-authorizations. */
function isFinancialRequest(mti: string): boolean {
  return mti === '0100' || mti === '0101' || mti === '0200' || mti === '0201' || mti === '0220' || mti === '0221';
}

/**
 * The fault for one request, or null. Magic amounts hit only financial requests (never a reversal,
 * which carries the original amount). Random faults hit financial requests and reversals, never
 * network management; each request without a magic fault draws exactly one number, so a seed
 * replays the same faults for the same traffic.
 */
export function decideFault(request: IsoMessage, settings: FaultSettings, random: Random): IssuerFault | null {
  const isFinancial = isFinancialRequest(request.mti);
  if (isFinancial) {
    const amountText = getText(request, 4);
    const magic = amountText !== undefined && /^\d{1,12}$/.test(amountText) ? findMagicAmount(Number(amountText)) : undefined;
    if (magic !== undefined && magic.effect.kind === 'fault') return magic.effect.fault;
    const qrFault = isUnionPayQrSale(request) ? unionPayQrFault(getText(request, 2) ?? '') : undefined;
    if (qrFault !== undefined) return qrFault;
  }
  if (!isFinancial && request.mti !== '0400' && request.mti !== '0401') return null;
  const draw = nextUnit(random);
  // A reversal meets reversalNoReply first (the same one draw, so seeds without it replay as before).
  const reversalShare = isFinancial ? 0 : (settings.reversalNoReply ?? 0);
  if (draw < reversalShare) return 'no_reply';
  let cumulative = reversalShare;
  for (const name of faultRateNames) {
    cumulative += settings[name];
    if (draw < cumulative) return faultOfRate[name];
  }
  return null;
}

/** Whether the issuer processes the request (and may move money) before the fault shows. */
export function isProcessedBeforeFault(fault: IssuerFault | null): boolean {
  switch (fault) {
    case null:
    case 'reply_lost':
    case 'late_reply':
    case 'drop_after_processing':
    case 'malformed_reply':
    case 'duplicate_reply':
    case 'bad_answer_mac':
      return true;
    case 'no_reply':
    case 'drop_on_receipt':
      return false;
  }
}
