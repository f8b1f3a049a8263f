// What the webhook endpoint routes call (docs/webhooks.md). The use cases live in src/app/webhooks; the
// composition root binds them to the store, clock, secret vault and settings, so the HTTP adapter
// depends on this port only (docs/architecture.md, "Layers"). Each `audit` runs inside the change's
// own store write, so the change and its audit record commit together.
import type { WebhookEndpointInput } from '../webhooks/webhook-endpoint.ts';
import type { OutboxRecord, WebhookEndpointRecord } from './notification-store.ts';
import type { StoreTx } from './store.ts';

export interface WebhookUseCases {
  /** Registers an endpoint; the answer holds its signing secret, shown this once. */
  create(input: WebhookEndpointInput & { audit: (tx: StoreTx, endpoint: WebhookEndpointRecord) => Promise<void> }): Promise<{ endpoint: WebhookEndpointRecord; secret: string }>;
  /** Stops deliveries to an endpoint (pending ones cancelled); the log stays. */
  delete(input: { id: string; audit: (tx: StoreTx, cancelled: number) => Promise<void> }): Promise<{ cancelled: number }>;
  /** A new secret; the old one signs beside it for webhooks.secretOverlapMs. */
  rotateSecret(input: { id: string; audit: (tx: StoreTx) => Promise<void> }): Promise<{ secret: string; previousExpiresAtMs: number }>;
  /** Queues a `webhook.test` delivery. */
  sendTest(input: { id: string; actor: string; audit: (tx: StoreTx, delivery: OutboxRecord) => Promise<void> }): Promise<OutboxRecord>;
  /** Puts undelivered (dead, cancelled) deliveries back in the queue. */
  replay(input: { id: string; deliveryIds?: readonly string[]; audit: (tx: StoreTx, replayed: string[]) => Promise<void> }): Promise<{ replayed: string[] }>;
}
