// GET /v1/routing/explain (docs/routing.md, "Which channel would this sale take"): the real routing
// decision for a sale described by its merchant, amount and card BIN, answered without sending anything.
// No card number is accepted: the BIN (6 to 8 digits) is all routing reads of a card.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { Store } from '../../../core/ports/store.ts';
import type { SaleRouteExplanation, SaleToExplain } from '../../../core/routing/route-explanation.ts';
import { requireMerchantVisible, type ApiAuth } from '../auth.ts';
import { problemSchema } from '../problem.ts';

/** The routing decision without a sale (the composition root binds it to the running router). */
export type ExplainRoute = (sale: SaleToExplain) => SaleRouteExplanation;

export interface RoutingRoutesOptions {
  auth: ApiAuth;
  store: Pick<Store, 'getMerchant' | 'getTerminal'>;
  explainRoute: ExplainRoute;
}

/** The largest amount one sale may carry (fen), as the payment schema bounds it. */
const amountMinorMax = 99_999_999_999;

const reasons = ['used', 'not_in_route', 'disabled', 'draining', 'not_running', 'circuit_forced_open', 'circuit_open', 'half_open_no_trial'] as const;
const explanationView = Type.Object({
  brand: Type.String(),
  cardType: Type.String(),
  rule: Type.String({ description: 'the winning rule, `default`, or `all-channels`' }),
  why: Type.Array(Type.String()),
  channels: Type.Array(
    Type.Object({
      name: Type.String(),
      position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1 = tried first; null = skipped' }),
      reason: Type.String({ enum: [...reasons] }),
      priority: Type.Integer(),
      disabled: Type.Boolean(),
      draining: Type.Boolean(),
      circuit: Type.Union([Type.String({ enum: ['closed', 'open', 'half_open'] }), Type.Null()], { description: 'as routing obeys it on the answering node; null: not running there' }),
      forced: Type.Union([Type.String({ enum: ['open', 'closed'] }), Type.Null()]),
      trial: Type.Boolean({ description: 'the sale would be a breaker trial on it' }),
    }),
  ),
});

export async function routingRoutes(app: FastifyInstance, options: RoutingRoutesOptions): Promise<void> {
  app.get<{ Querystring: { merchantId: string; terminalId?: string; amountMinor: number; cardBin: string } }>(
    '/routing/explain',
    {
      schema: {
        summary: 'Which channel would this sale take: the ordered channels, with why each is used or skipped (nothing is sent)',
        tags: ['management'],
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          {
            merchantId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
            terminalId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'checked to belong to the merchant' })),
            amountMinor: Type.Integer({ minimum: 1, maximum: amountMinorMax }),
            cardBin: Type.String({ pattern: '^[0-9]{6,8}$', description: 'the first 6 to 8 digits of the card; never a card number' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: explanationView, 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema },
      },
    },
    async (request) => {
      const { merchantId, terminalId, amountMinor, cardBin } = request.query;
      requireMerchantVisible(request.principal, merchantId, 'merchantId');
      const merchant = await options.store.getMerchant(merchantId);
      if (merchant === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: merchantId, field: 'merchantId' });
      if (terminalId !== undefined) {
        const terminal = await options.store.getTerminal(terminalId);
        if (terminal === null || terminal.merchantId !== merchantId) throw new ReswipeError('RSW_HTTP_VALIDATION', { field: 'terminalId', reason: `no terminal ${terminalId} of merchant ${merchantId}` });
      }
      return options.explainRoute({ bin: cardBin, amountMinor, merchantId, mcc: merchant.mcc });
    },
  );
}
