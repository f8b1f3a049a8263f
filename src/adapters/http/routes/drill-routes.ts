// GET /v1/drills and GET /v1/drills/{id}: the stored reports of emergency drills (docs/drills.md), newest
// first, for admin keys. Reports are written by `reswipe drill run` and by scheduled drills; the API
// only reads them.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { DrillReportRecord, Store } from '../../../core/ports/store.ts';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

export interface DrillRoutesOptions {
  store: Pick<Store, 'listDrillReports' | 'getDrillReport'>;
  auth: ApiAuth;
}

export const drillPageMax = 200;

const drillView = Type.Object({
  id: Type.String(),
  scenario: Type.String(),
  passed: Type.Boolean(),
  target: Type.String({ description: '`sandbox` or the gateway URL the drill rehearsed against' }),
  startedAt: Type.String({ description: 'ISO 8601 UTC' }),
  durationMs: Type.Integer(),
  report: Type.Object({}, { additionalProperties: true, description: 'the score: detectedAfterMs, trafficMovedAfterMs, salesLost, salesDelayed, money, manualSteps, checks' }),
});

function viewOf(record: DrillReportRecord) {
  return { id: record.id, scenario: record.scenario, passed: record.passed, target: record.target, startedAt: new Date(record.startedAtMs).toISOString(), durationMs: record.durationMs, report: record.report };
}

function parseCursor(cursor: string): { startedAtMs: number; id: string } {
  const match = /^([0-9]{1,16})\.([A-Za-z0-9_]{1,64})$/.exec(cursor);
  if (match?.[1] === undefined || match[2] === undefined) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'cursor', reason: 'is not a cursor this API returned' });
  return { startedAtMs: Number(match[1]), id: match[2] };
}

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 429: problemSchema };

export async function drillRoutes(app: FastifyInstance, options: DrillRoutesOptions): Promise<void> {
  app.addHook('onRequest', options.auth.guard);
  app.get<{ Querystring: { limit: number; cursor?: string; scenario?: string } }>(
    '/drills',
    {
      schema: {
        summary: 'Reports of emergency drills, newest first (admin keys only)',
        tags: ['drills'],
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: drillPageMax, default: 50 }),
            cursor: Type.Optional(Type.String({ minLength: 3, maxLength: 96, description: '`nextCursor` of the previous page' })),
            scenario: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z-]+$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(drillView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (request) => {
      const { limit, cursor, scenario } = request.query;
      const records = await options.store.listDrillReports({ limit, ...(scenario === undefined ? {} : { scenario }), ...(cursor === undefined ? {} : { before: parseCursor(cursor) }) });
      const last = records[records.length - 1];
      return { data: records.map(viewOf), nextCursor: records.length === limit && last !== undefined ? `${last.startedAtMs}.${last.id}` : null };
    },
  );
  app.get<{ Params: { id: string } }>(
    '/drills/:id',
    {
      schema: {
        summary: 'One drill report',
        tags: ['drills'],
        security: [{ bearerAuth: [] }],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' }) }),
        response: { 200: drillView, ...errors },
      },
    },
    async (request) => {
      const record = await options.store.getDrillReport(request.params.id);
      if (record === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'drill report', id: request.params.id });
      return viewOf(record);
    },
  );
}
