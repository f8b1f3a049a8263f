// DELETE /v1/webhook-endpoints/{id}: the endpoint stops getting deliveries (pending ones are
// cancelled) but stays, deleted, for its delivery log.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { StoreTx } from '../../core/ports/store.ts';
import type { WebhookDeps } from './webhook-deps.ts';

export async function deleteWebhookEndpoint(deps: Pick<WebhookDeps, 'store' | 'clock'>, input: { id: string; audit: (tx: StoreTx, cancelled: number) => Promise<void> }): Promise<{ cancelled: number }> {
  const nowMs = deps.clock.nowMs();
  return deps.store.write(async (tx) => {
    const endpoint = await tx.getWebhookEndpoint(input.id);
    if (endpoint === null || endpoint.deletedAtMs !== null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id: input.id, field: 'id' });
    await tx.upsertWebhookEndpoint({ ...endpoint, deletedAtMs: nowMs, updatedAtMs: nowMs });
    const cancelled = await tx.cancelPendingOutbox(endpoint.id, nowMs);
    await input.audit(tx, cancelled);
    return { cancelled };
  });
}
