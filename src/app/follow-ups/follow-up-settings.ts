// The follow-ups' settings: the pre-authorization policy, the refund advice forwarder's pace, the
// business day, and what they share with the sale engine (channels, timeouts, local time, PAN keys).
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { FollowUpPolicy } from '../../core/payments/follow-up-decision.ts';
import type { EngineChannelSettings, EngineSettings } from '../../core/ports/payments.ts';

export interface FollowUpSettings {
  /** Completion may exceed the authorized amount by this many basis points. */
  completionToleranceBps: number;
  /** Holds are released this many days after the pre-authorization. */
  holdExpiryDays: number;
  /** Wait between refund advice repeats (0221). */
  adviceRetryMs: number;
  /** Most advices one forwarding pass sends. */
  advicesPerPassMax: number;
  /** Business day: time zone and cut-off of settlement (same as fees). */
  settlementTimeZone: string;
  settlementCutoff: string;
  terminalTimeoutMs: number;
  replyMarginMs: number;
  httpTerminalId: string;
  localOffsetMinutes: number;
  channels: readonly EngineChannelSettings[];
  /** Most journal rows one batch settlement reads. */
  batchRowsMax: number;
  /** The PAN fingerprint key (the engine's): a card a follow-up presents must fingerprint to its original's. */
  panKey: string;
  /** Retired PAN keys (the engine's): an original fingerprinted before a rotation still matches its card. */
  panKeysRetired?: ReadonlyArray<{ readonly id: string; readonly key: string }>;
}

export const defaultFollowUpSettings = Object.freeze({
  completionToleranceBps: 1500,
  holdExpiryDays: 30,
  adviceRetryMs: 30_000,
  advicesPerPassMax: 100,
  settlementTimeZone: 'Asia/Shanghai',
  settlementCutoff: '23:00',
  batchRowsMax: 50_000,
});

/** The follow-ups' settings from the config and the engine's own (channels, timeouts, local time). */
export function followUpSettingsFromConfig(config: ReswipeConfig, engine: EngineSettings): FollowUpSettings {
  return {
    ...defaultFollowUpSettings,
    completionToleranceBps: config.engine.transactions.completionToleranceBps,
    holdExpiryDays: config.engine.transactions.holdExpiryDays,
    adviceRetryMs: config.engine.transactions.adviceRetryMs,
    settlementTimeZone: config.fees.settlementTimeZone,
    terminalTimeoutMs: engine.terminalTimeoutMs,
    replyMarginMs: engine.replyMarginMs,
    httpTerminalId: engine.httpTerminalId,
    localOffsetMinutes: engine.localOffsetMinutes,
    channels: engine.channels,
    panKey: engine.panKey,
    panKeysRetired: engine.panKeysRetired ?? [],
  };
}

/** What decideFollowUp reads of the settings. */
export function followUpPolicyOf(settings: FollowUpSettings): FollowUpPolicy {
  return {
    completionToleranceBps: settings.completionToleranceBps,
    holdExpiryDays: settings.holdExpiryDays,
    settlementTimeZone: settings.settlementTimeZone,
    settlementCutoff: settings.settlementCutoff,
    panKeys: [settings.panKey, ...(settings.panKeysRetired ?? []).map((retired) => retired.key)],
  };
}
