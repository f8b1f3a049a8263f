// Wires alerts and webhooks into a running gateway (called by serve.ts): the alert evaluator and the
// outbox worker on their own timers, and what the HTTP routes need. Both run off the sale's path: a
// sale only appends its event to the stream.
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import type { AlertObservations } from '../../core/alerts/evaluate-alerts.ts';
import type { HttpAppDeps } from '../../adapters/http/http-app.ts';
import { OutboxWorker } from '../webhooks/outbox-worker.ts';
import { webhookDeliverySchedule } from '../../core/webhooks/delivery-schedule.ts';
import { createDeliverySender } from '../webhooks/send-delivery.ts';
import { AlertWorker } from './alert-worker.ts';
import { configuredAlertRules, notifyTargetsFromConfig, smtpFromConfig } from './alert-settings.ts';

export interface Notifications {
  routes: NonNullable<HttpAppDeps['notifications']>;
  /** Starts the outbox worker and the alert evaluator on their timers (what the config enables). */
  start(): void;
  stop(): Promise<void>;
}

/** Builds the alert evaluator, the outbox worker and the routes' dependencies; nothing runs before start(). */
export function createNotifications(deps: { config: ReswipeConfig; store: Store; clock: Clock; logger: LoggerLike; vault: TerminalKeyVault | null; channelWindows: () => AlertObservations['channelWindows'] }): Notifications {
  const { config, store, clock, logger } = deps;
  // Everything that can fail on bad settings fails here, at start-up.
  const configuredRules = configuredAlertRules(config);
  const targets = notifyTargetsFromConfig(config);
  const smtp = smtpFromConfig(config);
  const send = createDeliverySender({ store, clock, vault: deps.vault, targets, smtp, timeoutMs: config.webhooks.deliveryTimeoutMs, responseBytesMax: config.webhooks.responseBytesMax });
  const outbox = new OutboxWorker({
    store,
    clock,
    logger,
    send,
    concurrency: config.webhooks.concurrency,
    pollIntervalMs: config.webhooks.pollIntervalMs,
    // A try ends within its timeout; the lease leaves room for the record write after it.
    leaseMs: config.webhooks.deliveryTimeoutMs + 30_000,
    fanOut: config.webhooks.enabled,
    schedule: { ...webhookDeliverySchedule, firstRetryMs: config.webhooks.firstRetryMs },
    retentionMs: config.webhooks.retentionDays * 86_400_000,
  });
  const alerts = new AlertWorker({ store, clock, logger, configuredRules, targets, runbookBaseUrl: config.alerts.runbookBaseUrl, channelWindows: deps.channelWindows, intervalMs: config.alerts.evaluateIntervalMs, onNotified: () => outbox.kick(), send });
  const routes = {
    webhooks: deps.vault === null ? null : { deps: { store, clock, vault: deps.vault, settings: config.webhooks, developmentMode: config.security.developmentMode }, kick: () => outbox.kick() },
    alerts: { store, clock, configuredRules, runbookBaseUrl: config.alerts.runbookBaseUrl },
  };
  if (deps.vault === null) logger.warn({}, 'webhook endpoints need the local master key to seal their signing secrets (security.terminalMasterKey); the webhook routes are off');
  return {
    routes,
    start() {
      if (config.webhooks.enabled || config.alerts.enabled) outbox.start();
      if (config.alerts.enabled) alerts.start();
    },
    async stop() {
      await alerts.stop();
      await outbox.stop();
    },
  };
}
