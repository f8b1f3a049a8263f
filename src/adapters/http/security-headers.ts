// Response headers every answer of the HTTP API carries (docs/http-api.md "Security headers"), and
// CORS for the configured origins only. Nothing here depends on the route, except that the Swagger UI
// pages under /docs keep the Content-Security-Policy the UI plugin computes for its own scripts and
// may be cached by the browser, and the console's files under /console/ keep theirs (console-static.ts).
import type { FastifyInstance } from 'fastify';

/** The CSP of API answers: they are data, never a page, so nothing may load and nothing may frame them. */
export const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
/** Sent only on TLS connections (a browser ignores it on plain HTTP, and it must never pin a plain-HTTP host). */
export const strictTransportSecurity = 'max-age=31536000; includeSubDomains';

/** Headers a browser may read from cross-origin answers (when CORS allows the origin). */
const exposedHeaders = 'retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset';
const allowedRequestHeaders = 'authorization, content-type, idempotency-key';
const allowedMethods = 'GET, POST, PUT, PATCH';
const preflightMaxAgeS = 600;

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (request.protocol === 'https') reply.header('strict-transport-security', strictTransportSecurity);
    const isDocs = request.url === '/docs' || request.url.startsWith('/docs/');
    // The console's files (console-static.ts) set their own cache rule (hashed assets for a year,
    // the page never) and the console's CSP; its data still comes from /v1 with no-store.
    const isConsole = request.url === '/console' || request.url.startsWith('/console/');
    if (isConsole) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', apiContentSecurityPolicy);
    } else if (!isDocs) {
      // Answers hold payments, keys' views and merchants' data: no cache, no proxy, no back button may keep them.
      reply.header('cache-control', 'no-store');
      // A printable page (the monthly statement) sets a CSP of its own that allows only its hashed
      // inline style; every other answer gets the API's nothing-loads policy.
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', apiContentSecurityPolicy);
    } else if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    }
    return payload;
  });
}

/**
 * CORS off unless configured: an Origin on the allow-list gets Access-Control-Allow-Origin naming it
 * (never `*`, and no credentials: keys travel in the Authorization header the page sets itself);
 * any other Origin gets no CORS header at all, so the browser keeps the answer from the page.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.length === 0) return;
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  const allowedOriginOf = (header: string | string[] | undefined): string | null => (typeof header === 'string' && allowed.has(header.toLowerCase()) ? header : null);
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = allowedOriginOf(request.headers.origin);
    reply.header('vary', 'Origin');
    if (origin === null) return payload;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', exposedHeaders);
    return payload;
  });
  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const origin = allowedOriginOf(request.headers.origin);
    if (origin === null || request.headers['access-control-request-method'] === undefined) return reply.code(404).send();
    return reply
      .code(204)
      .header('access-control-allow-methods', allowedMethods)
      .header('access-control-allow-headers', allowedRequestHeaders)
      .header('access-control-max-age', String(preflightMaxAgeS))
      .send();
  });
}
