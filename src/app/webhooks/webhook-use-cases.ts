// The webhook endpoint use cases bound to their dependencies, as the HTTP adapter sees them
// (src/core/ports/webhook-use-cases.ts); built by the composition root.
import type { WebhookUseCases } from '../../core/ports/webhook-use-cases.ts';
import { createWebhookEndpoint } from './create-webhook-endpoint.ts';
import { deleteWebhookEndpoint } from './delete-webhook-endpoint.ts';
import { replayWebhookDeliveries } from './replay-webhook-deliveries.ts';
import { rotateWebhookSecret } from './rotate-webhook-secret.ts';
import { sendTestWebhook } from './send-test-webhook.ts';
import type { WebhookDeps } from './webhook-deps.ts';

export function createWebhookUseCases(deps: WebhookDeps): WebhookUseCases {
  return {
    create: (input) => createWebhookEndpoint(deps, input),
    delete: (input) => deleteWebhookEndpoint(deps, input),
    rotateSecret: (input) => rotateWebhookSecret(deps, input),
    sendTest: (input) => sendTestWebhook(deps, input),
    replay: (input) => replayWebhookDeliveries(deps, input),
  };
}
