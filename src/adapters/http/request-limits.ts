// Rate limits of the HTTP API (docs/http-api.md "Limits"), counted by the maintained plugin
// @fastify/rate-limit (docs/decisions/fastify-rate-limit.md) in fixed windows held in memory per node:
// - per client address, every request except /healthz and /readyz (load balancers poll those);
// - per API key, every authenticated request (checked right after the key is known);
// - failed authentications per client address: once over the bound, every request from that address
//   that presents a key gets 429 until the window ends, so guessing keys costs a window per few tries.
// A refusal is a problem+json 429 with code RSW_HTTP_RATE_LIMITED and a Retry-After header (seconds).
// The counters live in bounded LRU maps (clientsTrackedMax): a client pushed out by more distinct
// clients than that starts a fresh window, which bounds memory at the price of precision under a flood.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

export interface RateWindow {
  /** Requests allowed per window; 0 turns this limit off. */
  max: number;
  windowMs: number;
}

export interface RequestLimitSettings {
  perAddress: RateWindow;
  perKey: RateWindow;
  authFailuresPerAddress: RateWindow;
  /** Distinct addresses (and keys) each limit remembers at once. */
  clientsTrackedMax: number;
}

/** Routes never limited: load balancers poll them from a few addresses. */
export const unlimitedRoutes: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export interface RequestLimits {
  /** Counts an authenticated request against its key; throws RSW_HTTP_RATE_LIMITED over the bound. */
  checkKey(request: FastifyRequest, reply: FastifyReply, keyId: string): Promise<void>;
  /** Throws RSW_HTTP_RATE_LIMITED when the address already failed authentication too often in this window. */
  checkAuthFailures(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Counts one failed authentication of the request's address. */
  recordAuthFailure(request: FastifyRequest): Promise<void>;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

function refuse(reply: FastifyReply, limit: string, max: number, ttlInSeconds: number): never {
  const retryAfterS = Math.max(1, ttlInSeconds);
  void reply.header('retry-after', String(retryAfterS));
  throw new ReswipeError('RSW_HTTP_RATE_LIMITED', { limit: `${limit}: ${max} per window`, retryAfterS });
}

/** Registers the plugin (no global hook) and the per-address hook; returns the per-key and auth-failure checks. */
export async function registerRequestLimits(app: FastifyInstance, settings: RequestLimitSettings): Promise<RequestLimits> {
  await app.register(rateLimit, { global: false, cache: settings.clientsTrackedMax });
  // `cache` is read by the plugin for each limiter's own LRU map, though its types list it only for the plugin.
  const limiterOf = (window: RateWindow, keyGenerator: (request: FastifyRequest) => string): Limiter | null =>
    window.max === 0 ? null : app.createRateLimit({ max: window.max, timeWindow: window.windowMs, keyGenerator, cache: settings.clientsTrackedMax } as Parameters<FastifyInstance['createRateLimit']>[0]);

  const perAddress = limiterOf(settings.perAddress, (request) => `address:${request.ip}`);
  let keyIdOfRequest = new WeakMap<FastifyRequest, string>();
  const perKey = limiterOf(settings.perKey, (request) => `key:${keyIdOfRequest.get(request) ?? ''}`);
  const authFailures = limiterOf(settings.authFailuresPerAddress, (request) => `auth-failures:${request.ip}`);

  if (perAddress !== null) {
    app.addHook('onRequest', async (request, reply) => {
      if (unlimitedRoutes.has(request.routeOptions.url ?? '')) return;
      const result = await perAddress(request);
      if (!result.isAllowed && result.isExceeded) refuse(reply, 'per client address', result.max, result.ttlInSeconds);
    });
  }
  app.addHook('onClose', async () => {
    keyIdOfRequest = new WeakMap();
  });

  return {
    async checkKey(request, reply, keyId) {
      if (perKey === null) return;
      keyIdOfRequest.set(request, keyId);
      const result = await perKey(request);
      if (!result.isAllowed && result.isExceeded) refuse(reply, 'per API key', result.max, result.ttlInSeconds);
    },
    async checkAuthFailures(request, reply) {
      if (authFailures === null) return;
      const result = await authFailures(request, { increment: false });
      // Read without counting: `current` is the failures so far, exceeded once it passed max.
      if (!result.isAllowed && result.max - result.remaining >= result.max) refuse(reply, 'failed authentications per client address', result.max, result.ttlInSeconds);
    },
    async recordAuthFailure(request) {
      if (authFailures !== null) await authFailures(request);
    },
  };
}
