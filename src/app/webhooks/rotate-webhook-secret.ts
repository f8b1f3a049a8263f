// POST /v1/webhook-endpoints/{id}/rotate-secret: a new signing secret, shown once. The old one keeps
// signing beside it for webhooks.secretOverlapMs, so deliveries carry two `v1` values until the
// receiver has switched; then it expires.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { StoreTx } from '../../core/ports/store.ts';
import type { WebhookDeps } from './webhook-deps.ts';
import { generateWebhookSecret, sealWebhookSecret } from './webhook-secrets.ts';

export async function rotateWebhookSecret(deps: WebhookDeps, input: { id: string; audit: (tx: StoreTx) => Promise<void> }): Promise<{ secret: string; previousExpiresAtMs: number }> {
  const nowMs = deps.clock.nowMs();
  const secret = generateWebhookSecret();
  const previousExpiresAtMs = nowMs + deps.settings.secretOverlapMs;
  await deps.store.write(async (tx) => {
    const endpoint = await tx.getWebhookEndpoint(input.id);
    if (endpoint === null || endpoint.deletedAtMs !== null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id: input.id, field: 'id' });
    // The current secret now expires; secrets already expired are dropped; at most the new and one old sign.
    const previous = endpoint.secrets.find((candidate) => candidate.expiresAtMs === null);
    const secrets = [{ sealed: sealWebhookSecret(deps.vault, endpoint.id, secret), createdAtMs: nowMs, expiresAtMs: null }, ...(previous === undefined ? [] : [{ ...previous, expiresAtMs: previousExpiresAtMs }])];
    await tx.upsertWebhookEndpoint({ ...endpoint, secrets, updatedAtMs: nowMs });
    await input.audit(tx);
  });
  return { secret, previousExpiresAtMs };
}
