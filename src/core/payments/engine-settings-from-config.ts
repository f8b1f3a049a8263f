// The sale use cases' settings from the validated config: one function, so serve, the simulation and
// the benchmarks derive them alike (a simulation may still build EngineSettings directly).
import type { ReswipeConfig } from '../config/config-schema.ts';
import type { EngineSettings } from '../ports/payments.ts';
import { recoveryPolicy as shippedRecoveryPolicy } from './recovery-policy.ts';

export function engineSettingsFromConfig(config: ReswipeConfig, overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    terminalTimeoutMs: config.engine.terminalTimeoutMs,
    replyMarginMs: shippedRecoveryPolicy.replyMarginMs,
    autoRetriesMax: config.engine.autoRetriesMax,
    inFlightPerTerminalMax: config.engine.inFlightPerTerminalMax,
    queuePerTerminalMax: config.engine.queuePerTerminalMax,
    inFlightMax: 10_000,
    attemptMinMs: shippedRecoveryPolicy.attemptMinMs,
    strictLuhn: config.declines.strictLuhn,
    strictBin: config.declines.strictBin,
    panKey: config.security.panKey,
    panKeyId: config.security.panKeyId,
    panKeysRetired: config.security.panKeysRetired,
    retryRuleEdition: config.declines.retryRuleEdition,
    httpTerminalId: 'RSWHTTP0',
    localOffsetMinutes: 480,
    channels: config.channels.map((channel) => ({
      name: channel.name,
      priority: channel.priority,
      disabled: channel.disabled,
      acquirerId: channel.acquirerId,
      timeoutMs: channel.timeoutMs,
      dialect: channel.dialect,
    })),
    recoveryBatchMax: 10_000,
    closeWaitMs: config.engine.terminalTimeoutMs,
    reswipeGuardWindowMs: config.engine.reswipeGuardWindowMs,
    terminalReversalWindowMs: config.engine.reversal.terminalWindowMs,
    businessTimeZone: config.fees.settlementTimeZone,
    ...overrides,
  };
}
