import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the access area (key scopes, expiry, rate limits). Codes are stable: add new ones, never rename or reuse. */
export const accessErrors = defineErrors([
  {
    code: 'RSW_AUTH_SCOPE',
    messageTemplate: 'this API key lacks the scope {scope}',
    httpStatus: 403,
    description: 'The key is valid but was not given the scope this route needs (for example a payments:write till key asking for a refund); nothing was done. Use a key with that scope (`reswipe keys create --scope ...`).',
  },
  {
    code: 'RSW_AUTH_EXPIRED',
    messageTemplate: 'the API key has expired',
    httpStatus: 401,
    description: 'The key was created with an expiry (`--expires-in`) that has passed; create a new key and revoke the old one.',
  },
  {
    code: 'RSW_HTTP_RATE_LIMITED',
    messageTemplate: 'too many requests ({limit}); retry after {retryAfterS} s',
    httpStatus: 429,
    description: 'The client address or API key sent more requests (or failed authentications) than http.rateLimit allows in its window; wait the Retry-After seconds. Nothing was done for the refused request.',
  },
]);
