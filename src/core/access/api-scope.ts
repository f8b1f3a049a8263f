// Scopes of HTTP API keys: what a key may do. A key holds a set of scopes; `admin` holds every
// right and sees every merchant. Any other key is bound to one merchant and holds some of the
// four narrow scopes, so a till's key can sell without being able to refund (docs/http-api.md).
//
// Which route needs which scope is decided here, as data, so the table in the docs and the code
// cannot drift: money going out (refund, void, cancel) is `refunds:write`, money coming in (sale,
// capture) is `payments:write`.

export const apiScopes = ['payments:write', 'payments:read', 'refunds:write', 'settlements:read', 'admin'] as const;
export type ApiScope = (typeof apiScopes)[number];

/** The scopes the two key kinds before scopes existed had; migration 0011 gives them to existing keys. */
export const legacyScopes = Object.freeze({
  admin: Object.freeze(['admin'] as const satisfies readonly ApiScope[]),
  merchant: Object.freeze(['payments:write', 'payments:read', 'refunds:write'] as const satisfies readonly ApiScope[]),
});

export function isApiScope(value: string): value is ApiScope {
  return (apiScopes as readonly string[]).includes(value);
}

/** True when the granted scopes include the needed one (`admin` includes every scope). */
export function scopesAllow(granted: readonly ApiScope[], needed: ApiScope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}

/**
 * Checks a scope set for a new key: not empty, no duplicates, and `admin` alone (an admin key is not
 * bound to a merchant, the others must be). Returns the reason it is refused, or null.
 */
export function scopeSetProblem(scopes: readonly string[], merchantId: string | null): string | null {
  if (scopes.length === 0) return 'give at least one scope';
  const unknown = scopes.find((scope) => !isApiScope(scope));
  if (unknown !== undefined) return `unknown scope '${unknown}' (known: ${apiScopes.join(', ')})`;
  if (new Set(scopes).size !== scopes.length) return 'a scope is named twice';
  if (scopes.includes('admin')) {
    if (scopes.length > 1) return 'admin already holds every scope; give it alone';
    if (merchantId !== null) return 'an admin key is not bound to a merchant';
    return null;
  }
  if (merchantId === null) return 'a key without admin is bound to one merchant (--merchant <id>)';
  return null;
}
