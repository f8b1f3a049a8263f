// GET /v1/audit: the audit log, newest first, for admin keys: who (actor `key:<id>` or `cli`), when,
// from where (client address), which request, and what. Filters by action, actor and time range;
// pages are bounded and follow a keyset cursor, so a page never shifts while new records arrive.
// There is no route that changes or deletes a record, and the store port has none either.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AuditQuery, Store } from '../../../core/ports/store.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

export interface AuditRoutesOptions {
  store: Pick<Store, 'listAudit'>;
  auth: ApiAuth;
}

export const auditPageMax = 500;
const isoInstantPattern = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$';

const auditView = Type.Object({
  id: Type.String(),
  at: Type.String({ description: 'ISO 8601 UTC' }),
  actor: Type.String({ description: '`key:<id>` for API keys, `cli` for the command line' }),
  action: Type.String({ description: 'e.g. payment.refund, merchant.update, fee_plan.put, api_key.create' }),
  subjectId: Type.Union([Type.String(), Type.Null()]),
  clientAddress: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Object({}, { additionalProperties: true }),
});

interface AuditQueryString {
  limit: number;
  cursor?: string;
  action?: string;
  actor?: string;
  from?: string;
  to?: string;
}

/** `<atMs>.<id>` of the last record of a page. */
function cursorOf(atMs: number, id: string): string {
  return `${atMs}.${id}`;
}

function parseCursor(cursor: string): { atMs: number; id: string } {
  const match = /^([0-9]{1,16})\.([A-Za-z0-9_]{1,64})$/.exec(cursor);
  if (match?.[1] === undefined || match[2] === undefined) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'cursor', reason: 'is not a cursor this API returned' });
  return { atMs: Number(match[1]), id: match[2] };
}

export async function auditRoutes(app: FastifyInstance, options: AuditRoutesOptions): Promise<void> {
  app.addHook('onRequest', options.auth.guard);
  app.get<{ Querystring: AuditQueryString }>(
    '/audit',
    {
      schema: {
        summary: 'The audit log of state-changing actions, newest first (admin keys only; never editable)',
        tags: ['audit'],
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: auditPageMax, default: 100 }),
            cursor: Type.Optional(Type.String({ minLength: 3, maxLength: 96, description: '`nextCursor` of the previous page' })),
            action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+(\\.[a-z_]+)*$' })),
            actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:.-]+$', description: '`key:<id>` or `cli`' })),
            from: Type.Optional(Type.String({ pattern: isoInstantPattern, description: 'inclusive' })),
            to: Type.Optional(Type.String({ pattern: isoInstantPattern, description: 'exclusive' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(auditView), nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }) }),
          400: problemSchema,
          401: problemSchema,
          403: problemSchema,
          429: problemSchema,
        },
      },
    },
    async (request) => {
      const { limit, cursor, action, actor, from, to } = request.query;
      const query: AuditQuery = {
        limit,
        ...(cursor === undefined ? {} : { before: parseCursor(cursor) }),
        ...(action === undefined ? {} : { action }),
        ...(actor === undefined ? {} : { actor }),
        ...(from === undefined ? {} : { fromMs: Date.parse(from) }),
        ...(to === undefined ? {} : { toMs: Date.parse(to) }),
      };
      const records = await options.store.listAudit(query);
      const last = records[records.length - 1];
      return {
        data: records.map((record) => ({
          id: record.id,
          at: new Date(record.atMs).toISOString(),
          actor: record.actor,
          action: record.action,
          subjectId: record.subjectId,
          clientAddress: record.clientAddress ?? null,
          requestId: record.requestId ?? null,
          detail: record.detail,
        })),
        nextCursor: records.length === limit && last !== undefined ? cursorOf(last.atMs, last.id) : null,
      };
    },
  );
}
