// GET /v1/merchants/{id}/standing (docs/standing.md, docs/http-api.md "Merchant standing"): a merchant's
// decline ratio, fallback ratio and worst cards against the scheme retry limits for a month, each with
// its threshold and state. Admin keys read every merchant; a merchant key with settlements:read reads its
// own only: naming another merchant is refused (403 RSW_AUTH_MERCHANT_SCOPE), an unknown merchant is 404.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { standingMeasures, standingStates, type MerchantStanding } from '../../../core/standing/merchant-standing.ts';
import { toStandingView } from '../../../core/standing/standing-view.ts';
import { requireMerchantVisible, type ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

/** How a merchant's month is judged (loadMerchantStanding, given by the composition root). */
export type StandingOfMerchant = (merchantId: string, month: string | undefined) => Promise<MerchantStanding>;

export interface MerchantStandingRouteOptions {
  auth: ApiAuth;
  standingOf: StandingOfMerchant;
}

const stateSchema = Type.Union(standingStates.map((state) => Type.Literal(state)));
const cardSchema = Type.Object({ fingerprintPrefix: Type.String({ description: 'first 12 hex digits of the keyed card fingerprint, never the PAN' }), value: Type.Integer(), shareBps: Type.Integer() });
const measureSchema = Type.Object({
  measure: Type.Union(standingMeasures.map((measure) => Type.Literal(measure))),
  value: Type.Integer(),
  unit: Type.Union([Type.Literal('bps'), Type.Literal('count')]),
  threshold: Type.Integer(),
  shareBps: Type.Integer({ description: 'value / threshold in basis points; 10000 = at the threshold' }),
  state: stateSchema,
  enoughSales: Type.Optional(Type.Boolean({ description: 'ratios: false below standing.ratioSalesMin sales (the state stays ok)' })),
  edition: Type.Optional(Type.String({ description: 'retry measures: the retry-rules edition in force' })),
  worstCards: Type.Optional(Type.Array(cardSchema)),
});
export const standingViewSchema = Type.Object({
  merchantId: Type.String(),
  month: Type.String(),
  asOf: Type.String({ description: 'the instant the month is judged at: its end, or now while it runs' }),
  state: stateSchema,
  truncated: Type.Boolean(),
  measures: Type.Array(measureSchema),
});

export async function merchantStandingRoutes(app: FastifyInstance, options: MerchantStandingRouteOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    await options.auth.guard(request, reply);
    requireMerchantVisible(request.principal, (request.params as { id?: string }).id, 'id');
  });

  app.get<{ Params: { id: string }; Querystring: { month?: string } }>(
    '/merchants/:id/standing',
    {
      schema: {
        summary: "A merchant's standing for a month: decline ratio, fallback ratio and the scheme retry limits, each against its threshold",
        tags: ['merchant self-service'],
        security: [{ bearerAuth: [] }],
        params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }),
        querystring: Type.Object({ month: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM of business dates; the running month when absent' })) }, { additionalProperties: false }),
        response: { 200: standingViewSchema, 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema },
      },
    },
    async (request) => {
      return toStandingView(await options.standingOf(request.params.id, request.query.month));
    },
  );
}
