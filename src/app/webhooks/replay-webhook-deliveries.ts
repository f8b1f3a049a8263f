// POST /v1/webhook-endpoints/{id}/replay: puts an endpoint's undelivered deliveries (dead after their
// retry bound, or cancelled) back in the queue with a fresh retry budget, same event ids and bodies,
// so the receiver's de-duplication still works. Bounded per call.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { StoreTx } from '../../core/ports/store.ts';
import type { WebhookDeps } from './webhook-deps.ts';

export const replayDeliveriesMax = 1000;

export async function replayWebhookDeliveries(deps: Pick<WebhookDeps, 'store' | 'clock'>, input: { id: string; deliveryIds?: readonly string[]; audit: (tx: StoreTx, replayed: string[]) => Promise<void> }): Promise<{ replayed: string[] }> {
  const nowMs = deps.clock.nowMs();
  return deps.store.write(async (tx) => {
    const endpoint = await tx.getWebhookEndpoint(input.id);
    if (endpoint === null || endpoint.deletedAtMs !== null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id: input.id, field: 'id' });
    const undelivered = [...(await tx.listOutboxOfTarget(endpoint.id, { limit: replayDeliveriesMax, state: 'dead' })), ...(await tx.listOutboxOfTarget(endpoint.id, { limit: replayDeliveriesMax, state: 'cancelled' }))];
    const wanted = input.deliveryIds === undefined ? undelivered : undelivered.filter((delivery) => input.deliveryIds?.includes(delivery.id));
    const replayed: string[] = [];
    for (const delivery of wanted.slice(0, replayDeliveriesMax)) {
      // A fresh budget: the retry bound counts from the replay, not from the event.
      await tx.updateOutbox({ ...delivery, state: 'pending', tries: 0, nextAtMs: nowMs, updatedAtMs: nowMs, lastError: delivery.lastError });
      replayed.push(delivery.id);
    }
    await input.audit(tx, replayed);
    return { replayed };
  });
}
