// The part of the store port that alerts and webhooks need (migration 0017, docs/store.md): webhook
// endpoints, the durable outbox every notification and delivery goes through, its delivery log,
// consumer cursors over the event stream, alerts, silences and rule overrides. StoreTx and
// StoreReader extend these, so both adapters implement them and the behaviour suite covers them.
import type { AlertRecord, SilenceRecord } from '../alerts/alert-model.ts';

export interface WebhookSecretRecord {
  /** The signing secret sealed under the local master key (it must be recoverable to sign). */
  readonly sealed: string;
  readonly createdAtMs: number;
  /** When a rotated-out secret stops signing; null for the current secret. */
  readonly expiresAtMs: number | null;
}

export interface WebhookEndpointRecord {
  readonly id: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly description: string;
  /** Newest first: the current secret, then secrets being rotated out. */
  readonly secrets: readonly WebhookSecretRecord[];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Deleted endpoints stay for their delivery log; they get no new deliveries. */
  readonly deletedAtMs: number | null;
}

export type OutboxChannel = 'webhook' | 'chat' | 'email';
export type OutboxState = 'pending' | 'delivered' | 'dead' | 'cancelled';

/** One message to deliver at least once: a webhook delivery, a chat message or a mail. */
export interface OutboxRecord {
  readonly id: string;
  readonly channel: OutboxChannel;
  /** The webhook endpoint id, or the configured chat/mail target's name. */
  readonly targetId: string;
  /** What the receiver de-duplicates on (`evt_<seq>`, or `<alert id>:<notice>`); unique per target. */
  readonly eventId: string;
  readonly eventType: string;
  /** The body as it is sent on every try (JSON text, or the mail as JSON {subject, text}). */
  readonly body: string;
  readonly state: OutboxState;
  readonly tries: number;
  /** When the next try is due (pending), or the lease of a try under way. */
  readonly nextAtMs: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly deliveredAtMs: number | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

/** One try of an outbox delivery: the delivery log. */
export interface DeliveryAttemptRecord {
  readonly outboxId: string;
  readonly tryNo: number;
  readonly targetId: string;
  readonly atMs: number;
  /** The receiver's HTTP status (or SMTP reply code); null when none came. */
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** A reader of the event stream that keeps its place (and, for the alert evaluator, its state) in the store. */
export interface ConsumerCursorRecord {
  readonly name: string;
  readonly seq: number;
  readonly state: Record<string, unknown> | null;
  readonly updatedAtMs: number;
}

/** An alert rule changed through the API (it replaces the rule of the same id from the config or defaults). */
export interface AlertRuleOverrideRecord {
  readonly id: string;
  readonly rule: Record<string, unknown>;
  readonly updatedAtMs: number;
  readonly updatedBy: string;
}

export interface NotificationStoreReader {
  getWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
  /** Every endpoint, deleted ones included, oldest first. */
  listWebhookEndpoints(): Promise<WebhookEndpointRecord[]>;
  getOutbox(id: string): Promise<OutboxRecord | null>;
  /** Pending deliveries due at or before `dueAtMs`, earliest first. */
  listDueOutbox(dueAtMs: number, limit: number): Promise<OutboxRecord[]>;
  /** A target's deliveries, newest first, optionally of one state. */
  listOutboxOfTarget(targetId: string, query: { limit: number; state?: OutboxState }): Promise<OutboxRecord[]>;
  /** The tries of one delivery, oldest first. */
  listDeliveryAttempts(outboxId: string): Promise<DeliveryAttemptRecord[]>;
  /** Deliveries by state (the outbox gauge). */
  outboxStats(): Promise<{ pending: number; dead: number; oldestPendingCreatedAtMs: number | null }>;
  getConsumerCursor(name: string): Promise<ConsumerCursorRecord | null>;
  getAlert(id: string): Promise<AlertRecord | null>;
  /** Newest first, optionally of one state. */
  listAlerts(query: { limit: number; state?: AlertRecord['state'] }): Promise<AlertRecord[]>;
  /** Silences not ended at `atMs`, soonest ending first. */
  listSilences(atMs: number): Promise<SilenceRecord[]>;
  getSilence(id: string): Promise<SilenceRecord | null>;
  listAlertRuleOverrides(): Promise<AlertRuleOverrideRecord[]>;
}

export interface NotificationStoreTx {
  upsertWebhookEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  /** Queues a delivery; false (and nothing written) when the target already has one for this eventId. */
  insertOutbox(record: OutboxRecord): Promise<boolean>;
  /** Compare-and-set on (state pending, nextAtMs): takes a due delivery for one try until `leaseUntilMs`; false when another worker took it. */
  claimOutbox(id: string, expectedNextAtMs: number, leaseUntilMs: number, atMs: number): Promise<boolean>;
  /** Writes the outcome of a try (every field but id, channel, target, event and body). */
  updateOutbox(record: OutboxRecord): Promise<void>;
  insertDeliveryAttempt(attempt: DeliveryAttemptRecord): Promise<void>;
  /**
   * Deletes up to `limit` deliveries that ended (delivered or cancelled) before `finishedBeforeMs`, with
   * their tries; dead ones stay until replayed. Returns how many deliveries went.
   */
  deleteFinishedOutbox(finishedBeforeMs: number, limit: number): Promise<number>;
  /** Cancels a target's pending deliveries (its endpoint was deleted); returns how many. */
  cancelPendingOutbox(targetId: string, atMs: number): Promise<number>;
  setConsumerCursor(cursor: ConsumerCursorRecord): Promise<void>;
  /**
   * Writes the cursor only if it is still as read (`expectedUpdatedAtMs`, or absent when null); false
   * when another node wrote it meanwhile. On PostgreSQL the second of two racing writers waits for the
   * first and then finds the row changed, so exactly one wins.
   */
  compareAndSetConsumerCursor(cursor: ConsumerCursorRecord, expectedUpdatedAtMs: number | null): Promise<boolean>;
  upsertAlert(alert: AlertRecord): Promise<void>;
  insertSilence(silence: SilenceRecord): Promise<void>;
  /** Ends a silence now (never deletes it); false when unknown or already over. */
  endSilence(id: string, atMs: number): Promise<boolean>;
  upsertAlertRuleOverride(record: AlertRuleOverrideRecord): Promise<void>;
}
