// Webhook endpoints over HTTP (admin keys only, every change audited; docs/webhooks.md):
//   POST   /v1/webhook-endpoints                      {url, eventTypes, description?} → the endpoint and its secret (shown once)
//   GET    /v1/webhook-endpoints                      the endpoints (never a secret)
//   GET    /v1/webhook-endpoints/{id}                 one endpoint
//   DELETE /v1/webhook-endpoints/{id}                 stop deliveries (pending ones cancelled); the log stays
//   POST   /v1/webhook-endpoints/{id}/rotate-secret   a new secret, shown once; the old one signs beside it for webhooks.secretOverlapMs
//   POST   /v1/webhook-endpoints/{id}/test            queue a `webhook.test` delivery
//   GET    /v1/webhook-endpoints/{id}/deliveries      the delivery log, newest first, each with its tries
//   POST   /v1/webhook-endpoints/{id}/replay          put undelivered (dead, cancelled) deliveries back in the queue
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { WebhookEndpointRecord } from '../../../core/ports/notification-store.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import { webhookDescriptionCharsMax, webhookEventTypesMax, webhookUrlCharsMax } from '../../../core/webhooks/webhook-endpoint.ts';
import type { Store } from '../../../core/ports/store.ts';
import type { Clock } from '../../../core/time/clock.ts';
import type { WebhookUseCases } from '../../../core/ports/webhook-use-cases.ts';
import { actorOf, type ApiAuth } from '../auth.ts';
import { auditInTx } from '../audit-trail.ts';
import { problemSchema } from '../problem.ts';

export interface WebhookRoutesOptions {
  /** Reads endpoints and the delivery log. */
  store: Store;
  clock: Clock;
  /** Endpoint changes, test sends and replays (src/app/webhooks, bound to the same store). */
  useCases: WebhookUseCases;
  auth: ApiAuth;
  /** Wakes the outbox worker (a test send, a replay). */
  kick: () => void;
}

const security = [{ bearerAuth: [] }];
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const idParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const endpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  description: Type.String(),
  secretsLive: Type.Integer({ description: '1, or 2 while a rotated-out secret still signs' }),
  createdAt: Type.String(),
  deletedAt: nullable(Type.String()),
});
const deliverySchema = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  state: Type.String({ description: 'pending, delivered, dead (gave up after 3 days: replay it) or cancelled' }),
  tries: Type.Integer(),
  nextAt: nullable(Type.String()),
  createdAt: Type.String(),
  deliveredAt: nullable(Type.String()),
  lastStatus: nullable(Type.Integer()),
  lastError: nullable(Type.String()),
  attempts: Type.Array(Type.Object({ try: Type.Integer(), at: Type.String(), status: nullable(Type.Integer()), error: nullable(Type.String()), durationMs: Type.Integer() })),
});

function endpointView(endpoint: WebhookEndpointRecord, nowMs: number) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: [...endpoint.eventTypes],
    description: endpoint.description,
    secretsLive: endpoint.secrets.filter((secret) => secret.expiresAtMs === null || secret.expiresAtMs > nowMs).length,
    createdAt: new Date(endpoint.createdAtMs).toISOString(),
    deletedAt: iso(endpoint.deletedAtMs),
  };
}

export async function webhookRoutes(app: FastifyInstance, options: WebhookRoutesOptions): Promise<void> {
  const { store, useCases } = options;
  app.addHook('onRequest', options.auth.guard);
  const now = () => options.clock.nowMs();
  const live = async (id: string) => {
    const endpoint = await store.getWebhookEndpoint(id);
    if (endpoint === null || endpoint.deletedAtMs !== null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id, field: 'id' });
    return endpoint;
  };

  const createBody = Type.Object(
    {
      url: Type.String({ minLength: 1, maxLength: webhookUrlCharsMax, description: 'https URL (plain http only in development mode), without credentials' }),
      eventTypes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: webhookEventTypesMax, description: 'event types (docs/events.md), alert.firing, alert.resolved, or ["*"]' }),
      description: Type.Optional(Type.String({ maxLength: webhookDescriptionCharsMax })),
    },
    { additionalProperties: false },
  );
  app.post<{ Body: Static<typeof createBody> }>(
    '/webhook-endpoints',
    {
      schema: {
        summary: 'Register a webhook endpoint; the answer holds its signing secret, shown this once',
        tags: ['webhooks'],
        security,
        body: createBody,
        response: { 201: Type.Intersect([endpointSchema, Type.Object({ secret: Type.String({ description: 'whsec_…: verify Reswipe-Signature with it (docs/webhooks.md). Never shown again.' }) })]), ...errors },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await useCases.create({
        url: request.body.url,
        eventTypes: request.body.eventTypes,
        ...(request.body.description === undefined ? {} : { description: request.body.description }),
        audit: (tx, created) => auditInTx(tx, request, 'webhook_endpoint.create', created.id, { url: created.url, eventTypes: created.eventTypes }, now()),
      });
      return reply.code(201).send({ ...endpointView(endpoint, now()), secret });
    },
  );

  app.get('/webhook-endpoints', { schema: { summary: 'Webhook endpoints (deleted ones too, for their logs)', tags: ['webhooks'], security, response: { 200: Type.Object({ data: Type.Array(endpointSchema) }), ...errors } } }, async () => ({
    data: (await store.listWebhookEndpoints()).map((endpoint) => endpointView(endpoint, now())),
  }));

  app.get<{ Params: Static<typeof idParams> }>('/webhook-endpoints/:id', { schema: { summary: 'One webhook endpoint', tags: ['webhooks'], security, params: idParams, response: { 200: endpointSchema, ...errors } } }, async (request) => {
    const endpoint = await store.getWebhookEndpoint(request.params.id);
    if (endpoint === null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id: request.params.id, field: 'id' });
    return endpointView(endpoint, now());
  });

  app.delete<{ Params: Static<typeof idParams> }>(
    '/webhook-endpoints/:id',
    { schema: { summary: 'Stop deliveries to an endpoint (pending ones are cancelled; its log stays)', tags: ['webhooks'], security, params: idParams, response: { 200: Type.Object({ id: Type.String(), cancelled: Type.Integer() }), ...errors } } },
    async (request) => {
      const { cancelled } = await useCases.delete({ id: request.params.id, audit: (tx, count) => auditInTx(tx, request, 'webhook_endpoint.delete', request.params.id, { cancelled: count }, now()) });
      return { id: request.params.id, cancelled };
    },
  );

  app.post<{ Params: Static<typeof idParams> }>(
    '/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        summary: 'A new signing secret, shown once; the old one keeps signing beside it for webhooks.secretOverlapMs',
        tags: ['webhooks'],
        security,
        params: idParams,
        response: { 200: Type.Object({ id: Type.String(), secret: Type.String(), previousSecretExpiresAt: Type.String() }), ...errors },
      },
    },
    async (request) => {
      const { secret, previousExpiresAtMs } = await useCases.rotateSecret({ id: request.params.id, audit: (tx) => auditInTx(tx, request, 'webhook_endpoint.rotate_secret', request.params.id, {}, now()) });
      return { id: request.params.id, secret, previousSecretExpiresAt: new Date(previousExpiresAtMs).toISOString() };
    },
  );

  app.post<{ Params: Static<typeof idParams> }>(
    '/webhook-endpoints/:id/test',
    { schema: { summary: 'Queue a signed webhook.test delivery to the endpoint', tags: ['webhooks'], security, params: idParams, response: { 202: Type.Object({ deliveryId: Type.String(), eventId: Type.String() }), ...errors } } },
    async (request, reply) => {
      const delivery = await useCases.sendTest({ id: request.params.id, actor: actorOf(request.principal), audit: (tx, queued) => auditInTx(tx, request, 'webhook_endpoint.test', request.params.id, { deliveryId: queued.id }, now()) });
      options.kick();
      return reply.code(202).send({ deliveryId: delivery.id, eventId: delivery.eventId });
    },
  );

  const deliveriesQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }), state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead'), Type.Literal('cancelled')])) }, { additionalProperties: false });
  app.get<{ Params: Static<typeof idParams>; Querystring: Static<typeof deliveriesQuery> }>(
    '/webhook-endpoints/:id/deliveries',
    { schema: { summary: "The endpoint's delivery log, newest first, with every try", tags: ['webhooks'], security, params: idParams, querystring: deliveriesQuery, response: { 200: Type.Object({ data: Type.Array(deliverySchema) }), ...errors } } },
    async (request) => {
      const endpoint = await store.getWebhookEndpoint(request.params.id);
      if (endpoint === null) throw new ReswipeError('RSW_WEBHOOK_ENDPOINT_NOT_FOUND', { id: request.params.id, field: 'id' });
      const deliveries = await store.listOutboxOfTarget(endpoint.id, { limit: request.query.limit, ...(request.query.state === undefined ? {} : { state: request.query.state }) });
      const data = [];
      for (const delivery of deliveries) {
        const attempts = await store.listDeliveryAttempts(delivery.id);
        data.push({
          id: delivery.id,
          eventId: delivery.eventId,
          eventType: delivery.eventType,
          state: delivery.state,
          tries: delivery.tries,
          nextAt: delivery.state === 'pending' ? iso(delivery.nextAtMs) : null,
          createdAt: new Date(delivery.createdAtMs).toISOString(),
          deliveredAt: iso(delivery.deliveredAtMs),
          lastStatus: delivery.lastStatus,
          lastError: delivery.lastError,
          attempts: attempts.map((attempt) => ({ try: attempt.tryNo, at: new Date(attempt.atMs).toISOString(), status: attempt.status, error: attempt.error, durationMs: attempt.durationMs })),
        });
      }
      return { data };
    },
  );

  const replayBody = Type.Object({ deliveryIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })) }, { additionalProperties: false });
  app.post<{ Params: Static<typeof idParams>; Body: Static<typeof replayBody> }>(
    '/webhook-endpoints/:id/replay',
    {
      schema: {
        summary: 'Queue undelivered deliveries (dead or cancelled) again with a fresh retry budget; same event ids and bodies',
        tags: ['webhooks'],
        security,
        params: idParams,
        body: replayBody,
        response: { 200: Type.Object({ replayed: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (request) => {
      await live(request.params.id);
      const result = await useCases.replay({
        id: request.params.id,
        ...(request.body?.deliveryIds === undefined ? {} : { deliveryIds: request.body.deliveryIds }),
        audit: (tx, replayed) => auditInTx(tx, request, 'webhook_endpoint.replay', request.params.id, { replayed: replayed.length }, now()),
      });
      options.kick();
      return result;
    },
  );
}
