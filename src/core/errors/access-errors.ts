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
  {
    code: 'RSW_AUTH_ROLE',
    messageTemplate: 'the {role} role may not do this ({permission})',
    httpStatus: 403,
    description: 'A console user asked for something their role does not allow (docs/console-access.md, the permission matrix); nothing was done. An admin can change the role (`PATCH /v1/users/{name}` or `reswipe users`).',
  },
  {
    code: 'RSW_LOGIN_FAILED',
    messageTemplate: 'wrong user name or password',
    httpStatus: 401,
    description: 'POST /v1/sessions with a user that does not exist, is disabled, or a wrong password: the answer is the same for all three so user names cannot be probed. Five failures per user name or client address in 15 minutes throttle further tries.',
  },
  {
    code: 'RSW_LOGIN_THROTTLED',
    messageTemplate: 'too many failed logins; retry after {retryAfterS} s',
    httpStatus: 429,
    description: 'Five logins failed for this user name or from this client address in the last 15 minutes; the password was not checked. Wait the Retry-After seconds (the count is kept in the store, so it holds across restarts and nodes), or ask an admin to reset the password.',
  },
  {
    code: 'RSW_SESSION_MISSING',
    messageTemplate: 'no console session',
    httpStatus: 401,
    description: 'The route belongs to a console session (its own session or password) and the request carries no session cookie, or an unknown, ended or logged-out one. Log in with POST /v1/sessions.',
  },
  {
    code: 'RSW_SESSION_EXPIRED',
    messageTemplate: 'the console session ended ({reason})',
    httpStatus: 401,
    description: 'The session was idle longer than console.sessionIdleMinutes or is older than console.sessionMaxHours; log in again.',
  },
  {
    code: 'RSW_CSRF_TOKEN_MISSING',
    messageTemplate: 'a request that changes state with a session cookie must carry X-CSRF-Token',
    httpStatus: 403,
    description: 'Cookie-authenticated POST, PUT, PATCH and DELETE requests carry the X-CSRF-Token header with the csrfToken the login answered (GET /v1/sessions/current repeats it); nothing was done.',
  },
  {
    code: 'RSW_CSRF_TOKEN_INVALID',
    messageTemplate: 'X-CSRF-Token is not this session\'s token',
    httpStatus: 403,
    description: "The X-CSRF-Token header does not match the session's token (another tab's old session, or a forged request); nothing was done. Read the token again from GET /v1/sessions/current.",
  },
  {
    code: 'RSW_PASSWORD_WEAK',
    messageTemplate: 'the new password is refused: {reason}',
    httpStatus: 422,
    description: 'A new password must have at least 12 characters (at most 128), mix three of lower case, upper case, digits and other characters unless it has 20 or more, not contain the user name and not be one character repeated (docs/console-access.md).',
  },
  {
    code: 'RSW_PASSWORD_WRONG',
    messageTemplate: 'the current password is wrong',
    httpStatus: 403,
    description: 'POST /v1/sessions/current/password needs the current password as well as the new one; it did not match and nothing changed. Failures count towards login throttling.',
  },
]);
