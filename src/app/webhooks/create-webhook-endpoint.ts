// POST /v1/webhook-endpoints: checks the URL and event types, generates the signing secret, stores it
// sealed with an audit record in one write, and returns the secret once (it is never shown again).
import { randomBytes } from 'node:crypto';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { webhookEndpointProblem, webhookEndpointsMax, type WebhookEndpointInput } from '../../core/webhooks/webhook-endpoint.ts';
import type { WebhookEndpointRecord } from '../../core/ports/notification-store.ts';
import type { StoreTx } from '../../core/ports/store.ts';
import type { WebhookDeps } from './webhook-deps.ts';
import { generateWebhookSecret, sealWebhookSecret } from './webhook-secrets.ts';

export async function createWebhookEndpoint(deps: WebhookDeps, input: WebhookEndpointInput & { audit: (tx: StoreTx, endpoint: WebhookEndpointRecord) => Promise<void> }): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
  const problem = webhookEndpointProblem(input, { developmentMode: deps.developmentMode });
  if (problem !== null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_INVALID', { field: problem.field, reason: problem.reason });
  const nowMs = deps.clock.nowMs();
  const id = `we_${randomBytes(10).toString('hex')}`;
  const secret = generateWebhookSecret();
  const endpoint: WebhookEndpointRecord = {
    id,
    url: input.url,
    eventTypes: [...input.eventTypes],
    description: input.description ?? '',
    secrets: [{ sealed: sealWebhookSecret(deps.vault, id, secret), createdAtMs: nowMs, expiresAtMs: null }],
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    deletedAtMs: null,
  };
  await deps.store.write(async (tx) => {
    const live = (await tx.listWebhookEndpoints()).filter((candidate) => candidate.deletedAtMs === null);
    if (live.length >= webhookEndpointsMax) throw new ReswipeError('RSW_WEBHOOK_ENDPOINTS_FULL', { max: webhookEndpointsMax });
    await tx.upsertWebhookEndpoint(endpoint);
    await input.audit(tx, endpoint);
  });
  return { endpoint, secret };
}
