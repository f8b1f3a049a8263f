// Goal: the sale use cases' settings follow the config keys they name (timeouts, retries, bounds, keys,
// channels, windows, business time zone), the recovery policy's margins, and explicit overrides win.
// Method: one validated config with non-default values, then its settings field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { engineSettingsFromConfig } from '../../../src/core/payments/engine-settings-from-config.ts';
import { recoveryPolicy } from '../../../src/core/payments/recovery-policy.ts';

const config = validateConfig({
  engine: { terminalTimeoutMs: 45_000, autoRetriesMax: 1, inFlightPerTerminalMax: 2, queuePerTerminalMax: 3, reswipeGuardWindowMs: 90_000 },
  declines: { strictLuhn: false },
  channels: [
    { name: 'bank-a', host: '127.0.0.1', port: 9583, priority: 2, timeoutMs: 9_000, acquirerId: '00000000042' },
    { name: 'bank-b', host: '127.0.0.1', port: 9584, priority: 1, disabled: true },
  ],
  fees: { settlementTimeZone: 'Asia/Hong_Kong' },
});

test('settings follow the config', () => {
  const settings = engineSettingsFromConfig(config);
  assert.equal(settings.terminalTimeoutMs, 45_000);
  assert.equal(settings.closeWaitMs, 45_000);
  assert.equal(settings.autoRetriesMax, 1);
  assert.equal(settings.inFlightPerTerminalMax, 2);
  assert.equal(settings.queuePerTerminalMax, 3);
  assert.equal(settings.strictLuhn, false);
  assert.equal(settings.panKey, config.security.panKey);
  assert.equal(settings.panKeyId, config.security.panKeyId);
  assert.equal(settings.reswipeGuardWindowMs, 90_000);
  assert.equal(settings.terminalReversalWindowMs, config.engine.reversal.terminalWindowMs);
  assert.equal(settings.businessTimeZone, 'Asia/Hong_Kong');
  assert.equal(settings.replyMarginMs, recoveryPolicy.replyMarginMs);
  assert.equal(settings.attemptMinMs, recoveryPolicy.attemptMinMs);
  assert.deepEqual(settings.channels, [
    { name: 'bank-a', priority: 2, disabled: false, acquirerId: '00000000042', timeoutMs: 9_000, dialect: 'iso87-ascii' },
    { name: 'bank-b', priority: 1, disabled: true, acquirerId: config.channels[1]?.acquirerId, timeoutMs: config.channels[1]?.timeoutMs, dialect: config.channels[1]?.dialect },
  ]);
});

test('overrides win over the config', () => {
  const settings = engineSettingsFromConfig(config, { terminalTimeoutMs: 6_000, httpTerminalId: 'SIMHTTP0' });
  assert.equal(settings.terminalTimeoutMs, 6_000);
  assert.equal(settings.httpTerminalId, 'SIMHTTP0');
  assert.equal(settings.autoRetriesMax, 1);
});
