// The HTTP API of the gateway (docs/contracts/http-api.md, docs/http-api.md): one Fastify app with the
// payments routes, management routes, the decline and fee plugins under /v1, health and metrics,
// and the OpenAPI document generated from the same JSON schemas that validate every request.
// Limits are set here once: body size, request and connection timeouts, open connections.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import type { ServerOptions } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { Type } from '@sinclair/typebox';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { FeePlanSet } from '../../core/fees/fee-plan.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { decideReadiness, isChannelUsable } from '../../core/monitoring/readiness.ts';
import type { LoggerLike } from '../channels/upstream-channel.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { requireAdmin } from './auth.ts';
import { createErrorHandler, problemOfError, problemSchema, sendProblem } from './problem.ts';
import { refuseCardNumbersInText } from './refuse-card-numbers-in-text.ts';
import { paymentRoutes, type PaymentEngine } from './routes/payment-routes.ts';
import { transactionRoutes, type TransactionRoutesEngine } from './routes/transaction-routes.ts';
import { managementRoutes, type ManagementMonitoring } from './routes/management-routes.ts';
import { eventRoutes } from './routes/event-routes.ts';
import { manualHandlingRoutes } from './routes/manual-handling-routes.ts';
import { createPaymentFeeHooks } from '../../app/fees/payment-fee-hooks.ts';
import type { FeeHooks } from '../../app/engine/authorization-engine.ts';
import { defaultCutoff } from '../../core/fees/business-date.ts';
import { declineRoutes } from './routes/decline-routes.ts';
import { feeRoutes } from './routes/fee-routes.ts';
import { feeSettingsFromConfig } from '../../app/fees/fee-settings.ts';

/** Largest request body; a payment request is about 300 bytes. */
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

export interface HttpAppDeps {
  engine: PaymentEngine;
  /** Void, refund, capture and cancel routes and the CSV export; absent in apps built without the transaction set. */
  transactions?: TransactionRoutesEngine;
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  config: ReswipeConfig;
  /** Fee plans for the fee routes and the merchant feePlan check; loaded from config when absent. */
  plans?: FeePlanSet;
  onPlansChange?: (next: FeePlanSet) => void | Promise<void>;
  /** The registry /metrics serves; a fresh one (without sources) when absent. */
  metrics?: Metrics;
  /** Connection state of the running upstream channels, for /readyz. */
  channelHealth?: () => readonly ChannelHealthLike[];
  /** Terminal stats and channel health joined to GET /v1/terminals and /v1/channels (docs/monitoring.md). */
  monitoring?: ManagementMonitoring;
  bodyBytesMax?: number;
  connectionsMax?: number;
  /** TLS server options read from http.tls; absent means plain HTTP (loopback or behind a TLS terminator, see validateConfig). */
  https?: TlsOptions;
  /** The fee hooks of the running engine and a way to wake its reversal worker, for /v1/manual-handling; hooks built from the config when absent. */
  manualHandling?: { fees?: FeeHooks; kickReversals?: () => void };
}

/** Builds the app (routes registered, not listening); the caller listens and closes it. */
export async function buildHttpApp(deps: HttpAppDeps): Promise<FastifyInstance> {
  const bodyBytesMax = deps.bodyBytesMax ?? bodyBytesMaxDefault;
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
  let plans = deps.plans ?? feeSettingsFromConfig(deps.config).plans;

  // Bodies are validated strictly (no coercion: "100" is not 100 fen; unknown keys are errors);
  // query strings, params and headers arrive as text, so there numbers and booleans are coerced.
  const strictAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  const coercingAjv = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema));

  app.setErrorHandler(createErrorHandler({ bodyBytesMax, logError: (details) => deps.logger.error(details, 'http request failed') }));
  app.addHook('preHandler', refuseCardNumbersInText);
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'route', id: `${request.method} ${request.url.split('?')[0] ?? ''}` })));
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = reply.elapsedTime;
    metrics.recordHttpRequest(request.method, route, reply.statusCode, durationMs);
    // The route template, never the raw URL or body: nothing a client sent is logged beyond ids the logger masks anyway.
    deps.logger.info({ requestId: request.id, method: request.method, route, status: reply.statusCode, durationMs: Math.round(durationMs) }, 'http request');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'reswipe gateway API',
        version: '1',
        description: 'Payments, management, decline intelligence and fees. Amounts are integers in minor units; times are ISO 8601 UTC. Errors are application/problem+json with a stable `code`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'rsw_<id>_<secret>, created with `reswipe keys create`' } } },
    },
    transform: ({ schema, url }) => ({ schema: stripNonStandardKeywords(schema) as typeof schema, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // ---- health and metrics: no key, so load balancers and Prometheus can reach them; bind http.host accordingly ----
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
      const readiness = decideReadiness({ storeAnswers, storeWriteFault: deps.store.writeFault?.() ?? null, channels: health });
      if (!readiness.ready) return sendProblem(reply, problemOfError(new ReswipeError('RSW_HTTP_NOT_READY', { reason: readiness.reason })));
      const channels = (health ?? []).map((channel) => ({ name: channel.name, connected: channel.connected, usable: isChannelUsable(channel) }));
      return { status: 'ready' as const, store: deps.store.kind, channels };
    },
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['health'] } }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });

  // ---- /v1 ----
  await app.register(
    async (v1) => {
      await v1.register(paymentRoutes, { engine: deps.engine, store: deps.store, onPaymentAnswered: (status) => metrics.recordPayment(status) });
      if (deps.transactions !== undefined) await v1.register(transactionRoutes, { transactions: deps.transactions, store: deps.store, onAnswered: (status) => metrics.recordPayment(status) });
      await v1.register(managementRoutes, {
        store: deps.store,
        clock: deps.clock,
        terminalTimeoutMs: deps.config.engine.terminalTimeoutMs,
        feePlanNames: () => new Set(plans.plans.keys()),
        ...(deps.monitoring === undefined ? {} : { monitoring: deps.monitoring }),
      });
      await v1.register(eventRoutes, { store: deps.store });
      await v1.register(manualHandlingRoutes, {
        store: deps.store,
        clock: deps.clock,
        fees:
          deps.manualHandling?.fees ??
          createPaymentFeeHooks({ plans: () => plans, settings: { timeZone: deps.config.fees.settlementTimeZone, settleMode: deps.config.fees.settleMode, cutoff: defaultCutoff }, clock: deps.clock, logger: deps.logger }),
        settlementDay: { timeZone: deps.config.fees.settlementTimeZone },
        ...(deps.manualHandling?.kickReversals === undefined ? {} : { kickReversals: deps.manualHandling.kickReversals }),
      });
      // The decline catalogue is the same public knowledge `reswipe explain` prints: no key needed.
      await v1.register(declineRoutes, { nowMs: () => deps.clock.nowMs() });
      // Fee routes read every merchant's settlements and change plans: admin keys only.
      await v1.register(async (fees) => {
        fees.addHook('onRequest', requireAdmin(deps.store));
        await fees.register(feeRoutes, {
          store: deps.store,
          plans,
          nowMs: () => deps.clock.nowMs(),
          settlement: { timeZone: deps.config.fees.settlementTimeZone, settleMode: deps.config.fees.settleMode },
          onPlansChange: async (next) => {
            await deps.onPlansChange?.(next);
            plans = next;
          },
        });
      });
    },
    { prefix: '/v1' },
  );

  await app.ready();
  return app;
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
