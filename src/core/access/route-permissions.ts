// The permission each /v1 route needs (permissions.ts), as data: the HTTP adapter checks it for every
// request before the route runs, for API keys and console sessions alike, and refuses a route that is
// missing here (a test registers every route and checks the table covers it). `public` needs no
// caller; `session` needs a console session of any role (its own session and password).
import type { Permission } from './permissions.ts';

export type RouteRequirement = Permission | 'public' | 'session';

/** `<METHOD> <route template>` → what the caller needs. HEAD is looked up as GET. */
export const routePermissions: Readonly<Record<string, RouteRequirement>> = Object.freeze({
  // decline knowledge: the same public catalogue `reswipe explain` prints
  'GET /v1/decline-codes': 'public',
  'GET /v1/decline-codes/:code': 'public',
  'GET /v1/qr-codes/:code': 'public',
  'GET /v1/symptoms': 'public',
  'GET /v1/symptoms/:id': 'public',
  'POST /v1/diagnose': 'public',
  // console sessions and users
  'POST /v1/sessions': 'public',
  'GET /v1/sessions/current': 'session',
  'DELETE /v1/sessions/current': 'session',
  'POST /v1/sessions/current/password': 'session',
  'GET /v1/users': 'users:read',
  'GET /v1/users/:name': 'users:read',
  'POST /v1/users': 'users:write',
  'PATCH /v1/users/:name': 'users:write',
  'POST /v1/users/:name/password-reset': 'users:write',
  // payments
  'POST /v1/payments': 'payments:create',
  'GET /v1/payments': 'payments:read',
  'GET /v1/payments/:id': 'payments:read',
  'GET /v1/payments/:id/follow-ups': 'payments:read',
  'GET /v1/payments.csv': 'payments:read',
  'POST /v1/payments/:id/void': 'payments:refund',
  'POST /v1/payments/:id/refunds': 'payments:refund',
  'POST /v1/payments/:id/cancel': 'payments:refund',
  'POST /v1/payments/:id/capture': 'payments:capture',
  // failure analytics (docs/analytics.md): a merchant-bound caller sees its merchants only
  'GET /v1/analytics/today': 'analytics:read',
  'GET /v1/analytics/failures': 'analytics:read',
  'GET /v1/analytics/terminals': 'analytics:read',
  'GET /v1/analytics/channels': 'analytics:read',
  // management
  'GET /v1/merchants': 'merchants:read',
  'POST /v1/merchants': 'merchants:write',
  'GET /v1/merchants/:id': 'merchants:read',
  'PATCH /v1/merchants/:id': 'merchants:write',
  'PUT /v1/merchants/:id/payout-account': 'merchants:write',
  'GET /v1/terminals': 'terminals:read',
  'POST /v1/terminals': 'terminals:write',
  'GET /v1/terminals/:id': 'terminals:read',
  'PATCH /v1/terminals/:id': 'terminals:write',
  'GET /v1/channels': 'channels:read',
  // the gateway nodes sharing the database (docs/cluster.md): operations, like the channels
  'GET /v1/nodes': 'channels:read',
  'POST /v1/channels': 'channels:write',
  'GET /v1/channels/health': 'channels:read',
  'GET /v1/channels/:name': 'channels:read',
  'PATCH /v1/channels/:name': 'channels:write',
  'POST /v1/channels/:name/circuit': 'channels:write',
  'GET /v1/routing/explain': 'channels:read',
  // reversals left for people, reconciliation, payouts
  'GET /v1/manual-handling': 'manual_handling:read',
  'GET /v1/manual-handling/:paymentId': 'manual_handling:read',
  'POST /v1/manual-handling/:paymentId/retry': 'manual_handling:write',
  'POST /v1/manual-handling/:paymentId/resolve': 'manual_handling:write',
  'GET /v1/reconciliation/runs': 'reconciliation:read',
  'GET /v1/reconciliation/runs/:runId': 'reconciliation:read',
  'GET /v1/reconciliation/discrepancies': 'reconciliation:read',
  'GET /v1/reconciliation/discrepancies/:id': 'reconciliation:read',
  'POST /v1/reconciliation/discrepancies/:id/actions': 'reconciliation:write',
  'GET /v1/payouts': 'payouts:read',
  'GET /v1/payouts/:id': 'payouts:read',
  'POST /v1/payouts/answers': 'payouts:write',
  // a merchant's own money (confined to the caller's merchants)
  'GET /v1/merchants/:id/settlements': 'settlements:read',
  'GET /v1/merchants/:id/statements/monthly': 'settlements:read',
  'GET /v1/merchants/:id/statements/:date': 'settlements:read',
  'GET /v1/merchants/:id/payouts': 'settlements:read',
  'GET /v1/merchants/:id/payouts/:payoutId': 'settlements:read',
  'GET /v1/merchants/:id/fee-lines': 'settlements:read',
  'GET /v1/merchants/:id/payout-account': 'settlements:read',
  'GET /v1/merchants/:id/standing': 'settlements:read',
  'GET /v1/settlements': 'settlements:read',
  'GET /v1/settlements/:merchantId/:date/statement.csv': 'settlements:read',
  // fees
  'GET /v1/fee-plans': 'fee_plans:read',
  'GET /v1/fee-plans/:name': 'fee_plans:read',
  'PUT /v1/fee-plans/:name': 'fee_plans:write',
  'POST /v1/fees/quote': 'fee_plans:read',
  'POST /v1/fees/compare': 'fee_plans:read',
  // operations
  'GET /v1/events': 'events:read',
  'GET /v1/audit': 'audit:read',
  'GET /v1/drills': 'drills:read',
  'GET /v1/drills/:id': 'drills:read',
  'GET /v1/alert-rules': 'alerts:read',
  'PUT /v1/alert-rules/:id': 'alerts:write',
  'GET /v1/alerts': 'alerts:read',
  'POST /v1/alert-silences': 'alerts:write',
  'GET /v1/alert-silences': 'alerts:read',
  'DELETE /v1/alert-silences/:id': 'alerts:write',
  'POST /v1/webhook-endpoints': 'webhooks:write',
  'GET /v1/webhook-endpoints': 'webhooks:read',
  'GET /v1/webhook-endpoints/:id': 'webhooks:read',
  'DELETE /v1/webhook-endpoints/:id': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/rotate-secret': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/test': 'webhooks:write',
  'GET /v1/webhook-endpoints/:id/deliveries': 'webhooks:read',
  'POST /v1/webhook-endpoints/:id/replay': 'webhooks:write',
});

/** Route families whose routes are added elsewhere and share one permission: every GET under the prefix. */
const routePrefixPermissions: ReadonlyArray<{ method: string; prefix: string; requirement: RouteRequirement }> = [{ method: 'GET', prefix: '/v1/analytics/', requirement: 'analytics:read' }];

/** What a route needs, or null when the route is not in the table (the caller refuses it). */
export function routeRequirementOf(method: string, routeUrl: string): RouteRequirement | null {
  const lookedUp = method === 'HEAD' ? 'GET' : method;
  const exact = routePermissions[`${lookedUp} ${routeUrl}`];
  if (exact !== undefined) return exact;
  return routePrefixPermissions.find((family) => family.method === lookedUp && routeUrl.startsWith(family.prefix))?.requirement ?? null;
}

/** Methods that change state: a session request with one of them must carry its CSRF token. */
export function isStateChangingMethod(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}
