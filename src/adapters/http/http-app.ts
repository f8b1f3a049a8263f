// The HTTP API of the gateway (docs/contracts/http-api.md, docs/http-api.md): one Fastify app with the
// payments routes, management routes, the decline and fee plugins under /v1, health and metrics,
// and the OpenAPI document generated from the same JSON schemas that validate every request.
// Limits are set here once: body size, request and connection timeouts, open connections, rate limits
// (request-limits.ts). Every answer carries the security headers (security-headers.ts); CORS headers
// only for configured origins. /metrics, /docs and /openapi.json need an admin key here, or are served
// by a separate operations app on its own listener (http.operations, buildOperationsApp).
import type { ReconciliationUseCases } from '../../core/ports/reconciliation-use-cases.ts';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import type { ServerOptions } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { Type } from '@sinclair/typebox';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { decideReadiness, isChannelUsable } from '../../core/monitoring/readiness.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { ApiAuth, requireMerchantVisible } from './auth.ts';
import { merchantStandingRoutes, type StandingOfMerchant } from './routes/merchant-standing-routes.ts';
import { analyticsRoutes, type AnalyticsUseCases } from './routes/analytics-routes.ts';
import { registerRequestLimits, type RequestLimits } from './request-limits.ts';
import { registerCors, registerSecurityHeaders } from './security-headers.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { drillRoutes } from './routes/drill-routes.ts';
import { clusterRoutes } from './routes/cluster-routes.ts';
import type { ClusterView } from '../../core/ports/cluster-store.ts';
import { auditAfter } from './audit-trail.ts';
import { createErrorHandler, problemOfError, problemSchema, sendProblem } from './problem.ts';
import { refuseCardNumbersInText } from './refuse-card-numbers-in-text.ts';
import { ConsoleSessions, sessionCookieName } from './console-sessions.ts';
import { consoleAccessRoutes } from './routes/console-access-routes.ts';
import { paymentRoutes, type PaymentEngine } from './routes/payment-routes.ts';
import type { QrSaleUseCases } from '../../core/ports/qr-payments.ts';
import type { QrCodeTables } from '../../core/declines/qr-code-table.ts';
import { transactionRoutes, type TransactionRoutesEngine } from './routes/transaction-routes.ts';
import { managementRoutes, type ChannelHealthOfNode, type ManagementMonitoring } from './routes/management-routes.ts';
import { eventRoutes } from './routes/event-routes.ts';
import { manualHandlingRoutes } from './routes/manual-handling-routes.ts';
import { reconciliationRoutes } from './routes/reconciliation-routes.ts';
import { webhookRoutes, type WebhookRoutesOptions } from './routes/webhook-routes.ts';
import { alertRoutes, type AlertRoutesOptions } from './routes/alert-routes.ts';
import type { ManualHandlingUseCases } from '../../core/ports/manual-handling-use-cases.ts';
import type { FeeUseCases } from '../../core/ports/fee-use-cases.ts';
import type { PayoutUseCases } from '../../core/ports/payout-use-cases.ts';
import type { StatementUseCases } from '../../core/ports/statement-use-cases.ts';
import { defaultCutoff } from '../../core/fees/business-date.ts';
import { declineRoutes } from './routes/decline-routes.ts';
import { feeRoutes } from './routes/fee-routes.ts';
import { payoutRoutes } from './routes/payout-routes.ts';
import { merchantSelfServiceRoutes } from './routes/merchant-self-service-routes.ts';
import { consoleStaticRoutes } from './console-static.ts';
import { routingRoutes, type ExplainRoute } from './routes/routing-routes.ts';

/** Largest request body; a payment request is about 300 bytes. */
/** An RFC 3339 date-time: `2026-12-06T10:00:00Z`, seconds and fraction optional, an offset or Z required. */
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const bodyBytesMaxDefault = 16 * 1024;
/** Open HTTP connections at once; more are refused by the socket layer. */
export const connectionsMaxDefault = 1024;
/** Time to receive a whole request's headers. */
export const headersTimeoutMsDefault = 10_000;
/** Requests one keep-alive connection may carry before it is closed. */
export const requestsPerSocketMax = 10_000;

export interface ChannelHealthLike {
  name: string;
  connected: number;
  /** False while the channel's circuit breaker keeps sales off it. */
  available?: boolean;
}

/**
 * The use cases the routes call, bound to their store, clock and fee hooks by the composition root
 * (src/app/http-use-cases.ts), so the routes need not import src/app (docs/architecture.md, "Layers").
 */
export interface HttpUseCases {
  manualHandling: ManualHandlingUseCases;
  fees: FeeUseCases;
  payouts: PayoutUseCases;
  statements: StatementUseCases;
  reconciliation: ReconciliationUseCases;
}

export interface HttpAppDeps {
  engine: PaymentEngine;
  /** QR sales (`method` + `authCode` on POST /v1/payments, docs/qr-payments.md); absent: such a request is refused with a 400 naming `method`. */
  qrPayments?: QrSaleUseCases;
  /** The QR code catalogues GET /v1/qr-codes/{code} explains. */
  qrCodeTables?: QrCodeTables;
  useCases: HttpUseCases;
  /** Void, refund, capture and cancel routes and the CSV export; absent in apps built without the transaction set. */
  transactions?: TransactionRoutesEngine;
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  config: ReswipeConfig;
  /** The registry /metrics serves; a fresh one (without sources) when absent. */
  metrics?: Metrics;
  /** Connection state of the running upstream channels, for /readyz. */
  channelHealth?: () => readonly ChannelHealthLike[];
  /** The payment projector's lag and the bound for /readyz (docs/projector.md); absent without a projector. */
  projectorLag?: () => Promise<{ lagMs: number; lagMaxMs: number } | null>;
  /** This node and the cluster view for GET /v1/nodes (docs/cluster.md); without it the route is absent. */
  cluster?: { nodeId: string; nodes(): Promise<ClusterView> };
  /** Terminal stats and channel health joined to GET /v1/terminals and /v1/channels (docs/monitoring.md). */
  monitoring?: ManagementMonitoring;
  /** Every gateway node's last view of every channel, for GET /v1/channels/health (docs/cluster.md). */
  channelHealthOfNodes?: () => Promise<ChannelHealthOfNode[]>;
  bodyBytesMax?: number;
  connectionsMax?: number;
  /** At most one API key last-used write per key per this interval; default 60 s. */
  keyLastUsedWriteIntervalMs?: number;
  /** TLS server options read from http.tls; absent means plain HTTP (loopback or behind a TLS terminator, see validateConfig). */
  https?: TlsOptions;
  /** Webhook endpoints and alert routes (docs/webhooks.md, docs/alerts.md); absent in apps built without them. */
  notifications?: { webhooks: Omit<WebhookRoutesOptions, 'auth'> | null; alerts: Omit<AlertRoutesOptions, 'auth'> };
  /** A merchant's month against its thresholds, for GET /v1/merchants/{id}/standing (docs/standing.md); the route is absent without it. */
  standingOf?: StandingOfMerchant;
  /** Where the built web console is (console/dist by default); served at /console/ when `console.enabled` (docs/console.md). */
  consoleDistDir?: string;
  /** Failure analytics from the hourly rollup, for GET /v1/analytics/... (docs/analytics.md); the routes are absent without it. */
  analytics?: AnalyticsUseCases;
  /** The running router's decision for a described sale, for GET /v1/routing/explain (docs/routing.md); the route is absent without it. */
  explainRoute?: ExplainRoute;
}

const openapiInfo = {
  openapi: '3.1.0',
  info: {
    title: 'reswipe gateway API',
    version: '1',
    description:
      'Payments, management, decline intelligence and fees. Amounts are integers in minor units; times are ISO 8601 UTC. Errors are application/problem+json with a stable `code`. Keys carry scopes (payments:write, payments:read, refunds:write, settlements:read, admin); a merchant key with settlements:read reads its own settlements, statements, payouts and fee lines under /v1/merchants/{id}; too many requests get 429 with Retry-After.',
  },
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'rsw_<id>_<secret>, created with `reswipe keys create`' },
      sessionCookie: { type: 'apiKey', in: 'cookie', name: sessionCookieName, description: 'a console session from POST /v1/sessions; state-changing requests also send X-CSRF-Token (docs/console-access.md)' },
    },
  },
} as const;

/** Builds the app (routes registered, not listening); the caller listens and closes it. */
export async function buildHttpApp(deps: HttpAppDeps): Promise<FastifyInstance> {
  const bodyBytesMax = deps.bodyBytesMax ?? bodyBytesMaxDefault;
  const http = deps.config.http;
  // A sale may take the whole terminal timeout (the engine answers before it); the request may not take longer.
  const requestTimeoutMs = deps.config.engine.terminalTimeoutMs + 5_000;
  const app = Fastify({
    logger: false,
    bodyLimit: bodyBytesMax,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs,
    keepAliveTimeout: 5_000,
    maxRequestsPerSocket: requestsPerSocketMax,
    return503OnClosing: true,
    // Only listed proxies may name the client in X-Forwarded-For; otherwise the socket address is the client.
    trustProxy: http.trustProxy.length === 0 ? false : [...http.trustProxy],
    routerOptions: { maxParamLength: 128 },
    // Random, so an id quoted from a problem body names one request in the log even across restarts and nodes.
    genReqId: () => `req_${randomBytes(8).toString('hex')}`,
    // Typed as the plain-HTTP instance either way: https.Server is an http.Server to the routes; serve.ts reloads its certificate.
    ...(deps.https === undefined ? {} : { https: deps.https as ServerOptions }),
  }) as FastifyInstance;
  app.server.maxConnections = deps.connectionsMax ?? connectionsMaxDefault;
  app.server.headersTimeout = headersTimeoutMsDefault;
  app.decorateRequest('principal', null);

  const metrics = deps.metrics ?? createMetrics({ collectDefault: false });

  // Bodies are validated strictly (no coercion: "100" is not 100 fen; unknown keys are errors);
  // query strings, params and headers arrive as text, so there numbers and booleans are coerced.
  // The one string format the schemas use, checked by shape (the handlers parse it and refuse what Date.parse cannot read).
  const formats = { 'date-time': isoDateTime };
  const strictAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false, formats });
  const coercingAjv = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false, formats });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema));

  app.setErrorHandler(createErrorHandler({ bodyBytesMax, logError: (details) => deps.logger.error(details, 'http request failed') }));
  app.addHook('preHandler', refuseCardNumbersInText);
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'route', id: `${request.method} ${request.url.split('?')[0] ?? ''}` })));
  });

  registerSecurityHeaders(app);
  registerCors(app, http.cors.allowedOrigins);
  const limits: RequestLimits = await registerRequestLimits(app, http.rateLimit);
  const sessions = deps.config.console.enabled
    ? new ConsoleSessions({
        store: deps.store,
        nowMs: () => deps.clock.nowMs(),
        logger: deps.logger,
        settings: { idleMs: deps.config.console.sessionIdleMinutes * 60_000, lifetimeMs: deps.config.console.sessionMaxHours * 3_600_000 },
      })
    : undefined;
  const auth = new ApiAuth({
    store: deps.store,
    nowMs: () => deps.clock.nowMs(),
    logger: deps.logger,
    limits,
    ...(sessions === undefined ? {} : { sessions }),
    ...(deps.keyLastUsedWriteIntervalMs === undefined ? {} : { lastUsedWriteIntervalMs: deps.keyLastUsedWriteIntervalMs }),
  });
  app.addHook('onClose', async () => auth.close());
  addRequestLog(app, deps.logger, metrics);

  await app.register(swagger, { openapi: openapiInfo, transform: ({ schema, url }) => ({ schema: stripNonStandardKeywords(schema) as typeof schema, url }) });
  registerHealthRoutes(app, deps);
  if (http.operations.mode === 'admin-key') {
    // On the API port the operations routes need an admin key: they name routes, channels and counts.
    await registerOperationsRoutes(app, { metrics, openapi: () => app.swagger(), guard: auth.require('admin') });
  }

  // The web console's static files; its data comes from /v1 like any client's (docs/console.md).
  if (deps.config.console.enabled) {
    await app.register(consoleStaticRoutes, { settings: { timeZone: deps.config.fees.settlementTimeZone }, ...(deps.consoleDistDir === undefined ? {} : { distDir: deps.consoleDistDir }) });
  }

  // ---- /v1 ----
  await app.register(
    async (v1) => {
      // Every /v1 route: the permission its entry in src/core/access/route-permissions.ts names, for keys and sessions alike.
      v1.addHook('onRequest', auth.guard);
      if (sessions !== undefined) {
        await v1.register(consoleAccessRoutes, { store: deps.store, auth, sessions, nowMs: () => deps.clock.nowMs(), logger: deps.logger, secureCookies: deps.https !== undefined });
      }
      await v1.register(paymentRoutes, { engine: deps.engine, ...(deps.qrPayments === undefined ? {} : { qrPayments: deps.qrPayments }), auth, onPaymentAnswered: (status) => metrics.recordPayment(status) });
      if (deps.transactions !== undefined) {
        await v1.register(transactionRoutes, { transactions: deps.transactions, store: deps.store, auth, nowMs: () => deps.clock.nowMs(), logger: deps.logger, onAnswered: (status) => metrics.recordPayment(status) });
      }
      await v1.register(managementRoutes, {
        store: deps.store,
        auth,
        clock: deps.clock,
        terminalTimeoutMs: deps.config.engine.terminalTimeoutMs,
        feePlanNames: () => new Set(deps.useCases.fees.plans().plans.keys()),
        ...(deps.monitoring === undefined ? {} : { monitoring: deps.monitoring }),
        ...(deps.channelHealthOfNodes === undefined ? {} : { channelHealthOfNodes: deps.channelHealthOfNodes }),
      });
      if (deps.explainRoute !== undefined) await v1.register(routingRoutes, { auth, store: deps.store, explainRoute: deps.explainRoute });
      await v1.register(eventRoutes, { store: deps.store, auth });
      await v1.register(auditRoutes, { store: deps.store, auth });
      if (deps.notifications !== undefined) {
        if (deps.notifications.webhooks !== null) await v1.register(webhookRoutes, { ...deps.notifications.webhooks, auth });
        await v1.register(alertRoutes, { ...deps.notifications.alerts, auth });
      }
      await v1.register(drillRoutes, { store: deps.store, auth });
      if (deps.cluster !== undefined) await v1.register(clusterRoutes, { auth, nodeId: deps.cluster.nodeId, nodes: deps.cluster.nodes, ...(deps.projectorLag === undefined ? {} : { projectorLag: deps.projectorLag }) });
      await v1.register(manualHandlingRoutes, { store: deps.store, clock: deps.clock, useCases: deps.useCases.manualHandling, auth });
      await v1.register(reconciliationRoutes, { store: deps.store, auth, clock: deps.clock, useCases: deps.useCases.reconciliation });
      // Payouts (admin) and what a merchant's own key reads about its money (docs/payouts.md).
      await v1.register(payoutRoutes, { store: deps.store, auth, clock: deps.clock, timeZone: deps.config.fees.settlementTimeZone, useCases: deps.useCases.payouts });
      await v1.register(merchantSelfServiceRoutes, {
        store: deps.store,
        auth,
        logger: deps.logger,
        clock: deps.clock,
        timeZone: deps.config.fees.settlementTimeZone,
        cutoff: defaultCutoff,
        payouts: deps.useCases.payouts,
        statements: deps.useCases.statements,
      });
      if (deps.standingOf !== undefined) await v1.register(merchantStandingRoutes, { auth, standingOf: deps.standingOf });
      if (deps.analytics !== undefined) {
        await v1.register(analyticsRoutes, { auth, analytics: deps.analytics, nowMs: () => deps.clock.nowMs(), ...(deps.monitoring === undefined ? {} : { monitoring: deps.monitoring }) });
      }
      // The decline catalogue is the same public knowledge `reswipe explain` prints: no key needed.
      await v1.register(declineRoutes, { nowMs: () => deps.clock.nowMs(), qrCodeTables: deps.qrCodeTables });
      // Fee routes read every merchant's settlements and change plans (the route table says who may);
      // settlement reads by a merchant's key or user are confined to its own merchants.
      await v1.register(async (fees) => {
        fees.addHook('onRequest', async (request) => {
          const route = request.routeOptions.url ?? '';
          if (request.method === 'GET' && route.startsWith('/v1/settlements')) {
            const named = (request.params as { merchantId?: string }).merchantId ?? (request.query as { merchantId?: string }).merchantId;
            requireMerchantVisible(request.principal, named, 'merchantId');
          }
        });
        // Statement exports are audited once they succeeded (a fee plan change is audited in the write that stores it).
        fees.addHook('onSend', async (request, reply, payload) => {
          const route = request.routeOptions.url ?? '';
          if (reply.statusCode >= 300) return payload;
          const params = request.params as Record<string, string>;
          if (request.method === 'GET' && route.endsWith('/statement.csv')) {
            await auditAfter(deps, request, 'settlement.export', params.merchantId ?? null, { date: params.date }, deps.clock.nowMs());
          }
          return payload;
        });
        await fees.register(feeRoutes, {
          store: deps.store,
          useCases: deps.useCases.fees,
          plans: () => deps.useCases.fees.plans(),
          putPlan: (plan, audit) => deps.useCases.fees.putPlan(plan, audit),
          nowMs: () => deps.clock.nowMs(),
          settlement: { timeZone: deps.config.fees.settlementTimeZone, settleMode: deps.config.fees.settleMode },
        });
      });
    },
    { prefix: '/v1' },
  );

  await app.ready();
  return app;
}

/**
 * The operations app for `http.operations.mode: listener`: /metrics, /docs, /openapi.json, /healthz and
 * /readyz without a key, on their own listener (loopback by default). The OpenAPI document is the API
 * app's own, so both always describe the same routes.
 */
export async function buildOperationsApp(deps: Pick<HttpAppDeps, 'store' | 'channelHealth' | 'logger' | 'projectorLag'> & { metrics: Metrics; api: FastifyInstance }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024, requestTimeout: 10_000, connectionTimeout: 10_000, keepAliveTimeout: 5_000, return503OnClosing: true });
  app.server.maxConnections = 64;
  app.server.headersTimeout = headersTimeoutMsDefault;
  app.setErrorHandler(createErrorHandler({ bodyBytesMax: 1024, logError: (details) => deps.logger.error(details, 'operations request failed') }));
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'route', id: `${request.method} ${request.url.split('?')[0] ?? ''}` })));
  });
  registerSecurityHeaders(app);
  const document = deps.api.swagger();
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  registerHealthRoutes(app, deps);
  await registerOperationsRoutes(app, { metrics: deps.metrics, openapi: () => document, guard: null });
  await app.ready();
  return app;
}

/** /healthz and /readyz: no key and no rate limit, so load balancers can poll them on the API port. */
function registerHealthRoutes(app: FastifyInstance, deps: Pick<HttpAppDeps, 'store' | 'channelHealth' | 'projectorLag'>): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Ready for traffic: the store answers and accepts writes, and at least one upstream channel is usable (connected, circuit not open)',
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), store: Type.String(), channels: Type.Array(Type.Object({ name: Type.String(), connected: Type.Integer(), usable: Type.Boolean() })) }),
          503: problemSchema,
        },
      },
    },
    async (_request, reply) => {
      let storeAnswers = true;
      try {
        if (deps.store.ping !== undefined) await deps.store.ping();
        else await deps.store.listChannels();
      } catch {
        storeAnswers = false;
      }
      const health = deps.channelHealth?.() ?? null;
      const projector = storeAnswers ? ((await deps.projectorLag?.().catch(() => null)) ?? null) : null;
      const readiness = decideReadiness({ storeAnswers, storeWriteFault: deps.store.writeFault?.() ?? null, channels: health, projector });
      if (!readiness.ready) return sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_NOT_READY', { reason: readiness.reason })));
      const channels = (health ?? []).map((channel) => ({ name: channel.name, connected: channel.connected, usable: isChannelUsable(channel) }));
      return { status: 'ready' as const, store: deps.store.kind, channels };
    },
  );
}

/** /metrics, /openapi.json and /docs; `guard` is the admin-key hook on the API port, null on the operations listener. */
async function registerOperationsRoutes(app: FastifyInstance, options: { metrics: Metrics; openapi: () => unknown; guard: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | null }): Promise<void> {
  const hooks = options.guard === null ? {} : { onRequest: options.guard };
  const security = options.guard === null ? [] : [{ bearerAuth: [] }];
  // staticCSP: the UI's own pages get a Content-Security-Policy with hashes of its inline scripts and styles.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiHooks: hooks });
  app.get('/openapi.json', { ...hooks, schema: { hide: true } }, async () => options.openapi());
  app.get('/metrics', { ...hooks, schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['health'], security } }, async (_request, reply) => {
    const text = await options.metrics.render();
    return reply.type(options.metrics.contentType).send(text);
  });
}

/** One log line and one metric per request: the route template (never the raw URL or body), the key id and the client address. */
function addRequestLog(app: FastifyInstance, logger: LoggerLike, metrics: Metrics): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = reply.elapsedTime;
    metrics.recordHttpRequest(request.method, route, reply.statusCode, durationMs);
    logger.info(
      { requestId: request.id, method: request.method, route, status: reply.statusCode, durationMs: Math.round(durationMs), keyId: request.principal?.keyId ?? null, user: request.principal?.user ?? null, clientAddress: request.ip },
      'http request',
    );
  });
}

/** Drops our own schema annotations (`expected`, used by config error messages) that are not OpenAPI keywords. */
function stripNonStandardKeywords(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => stripNonStandardKeywords(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'expected') continue;
    copy[key] = stripNonStandardKeywords(child, depth + 1);
  }
  return copy;
}
