// Faults of the QR sandbox, like the issuer simulator's fault plan (src/sim/issuer/fault-plan.ts) but
// for HTTP: each request to a provider's path draws one number from the seeded Random and may meet one
// fault. Settings are validated on every change (start flags, PUT /sandbox/faults).
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { Random } from '../../core/time/random.ts';
import { nextUnit } from '../../core/time/random.ts';

/** Probabilities in [0, 1], their sum at most 1. */
export interface QrFaultRates {
  /** The connection is closed on receipt, before the provider looks at the request: nothing happens. */
  readonly dropRequest: number;
  /** The provider processes the request (money may move), then the connection is closed instead of the answer. */
  readonly dropAnswer: number;
  /** The provider processes the request, and the answer goes out after delayMs. */
  readonly delayAnswer: number;
  /** The provider processes the request, and its answer goes out with a signature that does not verify. */
  readonly badSignature: number;
  /** The answer is HTTP 500 with no body the client can read; the request is not processed. */
  readonly http500: number;
}

export interface QrFaultSettings extends QrFaultRates {
  readonly delayMs: number;
  /** Faults hit only these paths (e.g. `["/secapi/pay/reverse"]`); empty: every provider path. */
  readonly paths: readonly string[];
}

export type QrFault = 'drop_request' | 'drop_answer' | 'delay_answer' | 'bad_signature' | 'http_500';

export const qrFaultRateNames = ['dropRequest', 'dropAnswer', 'delayAnswer', 'badSignature', 'http500'] as const satisfies ReadonlyArray<keyof QrFaultRates>;

const faultOfRate: Readonly<Record<(typeof qrFaultRateNames)[number], QrFault>> = {
  dropRequest: 'drop_request',
  dropAnswer: 'drop_answer',
  delayAnswer: 'delay_answer',
  badSignature: 'bad_signature',
  http500: 'http_500',
};

export const qrDelayMsMax = 600_000;
export const qrFaultPathsMax = 20;

export const noQrFaults: QrFaultSettings = Object.freeze({ dropRequest: 0, dropAnswer: 0, delayAnswer: 0, badSignature: 0, http500: 0, delayMs: 30_000, paths: Object.freeze([]) });

/** Validates a partial update over the current settings; returns the new frozen settings or throws RSW_SIM_FAULTS_INVALID. */
export function mergeQrFaultSettings(current: QrFaultSettings, update: unknown): QrFaultSettings {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: 'expected a JSON object of fault rates' });
  }
  const merged: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(update)) {
    if (name === 'delayMs') {
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= qrDelayMsMax)) {
        throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: 'delayMs', reason: `delayMs must be an integer from 0 to ${qrDelayMsMax}` });
      }
    } else if (name === 'paths') {
      if (!(Array.isArray(value) && value.length <= qrFaultPathsMax && value.every((path) => typeof path === 'string' && /^\/[A-Za-z0-9_./-]{0,100}$/.test(path)))) {
        throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: 'paths', reason: `paths must be a list of at most ${qrFaultPathsMax} paths starting with /` });
      }
      merged.paths = Object.freeze([...(value as string[])]);
      continue;
    } else if (!(qrFaultRateNames as readonly string[]).includes(name)) {
      throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: name, reason: `unknown setting ${name}; known: ${[...qrFaultRateNames, 'delayMs', 'paths'].join(', ')}` });
    } else if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1)) {
      throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { field: name, reason: `${name} must be a probability from 0 to 1` });
    }
    merged[name] = value;
  }
  const sum = qrFaultRateNames.reduce((total, name) => total + (merged[name] as number), 0);
  if (sum > 1 + 1e-9) throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: `the fault rates add up to ${sum}, more than 1` });
  return Object.freeze(merged) as unknown as QrFaultSettings;
}

/** The fault for one request to `path`, or null; draws exactly one number for each request the faults apply to. */
export function decideQrFault(path: string, settings: QrFaultSettings, random: Random): QrFault | null {
  if (settings.paths.length > 0 && !settings.paths.includes(path)) return null;
  const draw = nextUnit(random);
  let cumulative = 0;
  for (const name of qrFaultRateNames) {
    cumulative += settings[name];
    if (draw < cumulative) return faultOfRate[name];
  }
  return null;
}

/** Whether the provider processes the request (and may move money) before the fault shows. */
export function isProcessedBeforeQrFault(fault: QrFault | null): boolean {
  return fault !== 'drop_request' && fault !== 'http_500';
}
