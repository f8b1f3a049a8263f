// GET /v1/events: the one durable event stream (payment outcomes, reversals and their dead letters, channel
// circuits, terminal alarms, blocked re-swipes), read with a cursor. Alerts and webhooks read the same stream.
// Admin keys only: events name merchants and terminals across the whole gateway.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Store } from '../../../core/ports/store.ts';
import type { ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

export interface EventRoutesOptions {
  store: Store;
  auth: ApiAuth;
}

export const eventsPageMax = 500;

const eventView = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  subjectId: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Object({}, { additionalProperties: true }),
  at: Type.String({ description: 'ISO 8601 UTC' }),
  node: Type.Optional(Type.String({ description: 'the gateway node that wrote it (docs/cluster.md); absent for events written before migration 0022' })),
});

export async function eventRoutes(app: FastifyInstance, options: EventRoutesOptions): Promise<void> {
  app.addHook('onRequest', options.auth.guard);
  app.get<{ Querystring: { after: number; limit: number; type?: string } }>(
    '/events',
    {
      schema: {
        summary: 'The event stream after a cursor, oldest first; poll again with `after` = `nextCursor`',
        tags: ['events'],
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          {
            after: Type.Integer({ minimum: 0, default: 0, description: 'the seq of the last event already read (0: from the start)' }),
            limit: Type.Integer({ minimum: 1, maximum: eventsPageMax, default: 100 }),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+(\\.[a-z_]+)*$', description: 'one event type, e.g. channel.opened' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(eventView),
            nextCursor: Type.String({ description: 'pass as `after` next time; equals `after` when nothing new arrived' }),
            hasMore: Type.Boolean({ description: 'true when the page is full: more events are waiting now' }),
          }),
          400: problemSchema,
          401: problemSchema,
          403: problemSchema,
        },
      },
    },
    async (request) => {
      const { after, limit, type } = request.query;
      const events = await options.store.listEvents(after, limit, type);
      const last = events[events.length - 1];
      return {
        data: events.map((event) => ({ seq: event.seq, type: event.type, subjectId: event.subjectId, payload: event.payload, at: new Date(event.atMs).toISOString(), ...(event.node === undefined ? {} : { node: event.node }) })),
        nextCursor: String(last === undefined ? after : last.seq),
        hasMore: events.length === limit,
      };
    },
  );
}
