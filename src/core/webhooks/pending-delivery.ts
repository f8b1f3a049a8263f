// A new outbox row (docs/webhooks.md): a delivery owed to a webhook endpoint, a chat robot or a mailbox,
// due at once and not yet tried. The one shape every producer (the webhook fan-out, the alert
// evaluator, a test send) writes.
import type { OutboxRecord } from '../ports/notification-store.ts';

export function pendingDelivery(input: Pick<OutboxRecord, 'id' | 'channel' | 'targetId' | 'eventId' | 'eventType' | 'body'>, nowMs: number): OutboxRecord {
  return { ...input, state: 'pending', tries: 0, nextAtMs: nowMs, createdAtMs: nowMs, updatedAtMs: nowMs, deliveredAtMs: null, lastStatus: null, lastError: null };
}
