// POST /v1/webhook-endpoints/{id}/test: queues one `webhook.test` delivery to the endpoint through the
// same outbox, signature and retries as every other delivery, so a receiver can check its
// verification before real events arrive.
import { pendingDelivery } from '../../core/webhooks/pending-delivery.ts';
import { randomBytes } from 'node:crypto';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { webhookBodyOf } from '../../core/webhooks/webhook-endpoint.ts';
import type { OutboxRecord } from '../../core/ports/notification-store.ts';
import type { StoreTx } from '../../core/ports/store.ts';
import type { WebhookDeps } from './webhook-deps.ts';

export async function sendTestWebhook(deps: Pick<WebhookDeps, 'store' | 'clock'>, input: { id: string; actor: string; audit: (tx: StoreTx, delivery: OutboxRecord) => Promise<void> }): Promise<OutboxRecord> {
  const nowMs = deps.clock.nowMs();
  const eventId = `evt_test_${randomBytes(8).toString('hex')}`;
  return deps.store.write(async (tx) => {
    const endpoint = await tx.getWebhookEndpoint(input.id);
    if (endpoint === null || endpoint.deletedAtMs !== null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id: input.id, field: 'id' });
    const delivery: OutboxRecord = pendingDelivery(
      {
        id: `dlv_${randomBytes(10).toString('hex')}`,
        channel: 'webhook',
        targetId: endpoint.id,
        eventId,
        eventType: 'webhook.test',
        body: webhookBodyOf({ id: eventId, type: 'webhook.test', subjectId: endpoint.id, payload: { requestedBy: input.actor }, atMs: nowMs }),
      },
      nowMs,
    );
    await tx.insertOutbox(delivery);
    await input.audit(tx, delivery);
    return delivery;
  });
}
