// Goal: the scope rules are exactly the documented table: admin holds everything and stands alone,
// other keys hold named scopes for one merchant, and the legacy kinds map to what they always allowed.
// Method: table tests over the pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiScopes, legacyScopes, scopeSetProblem, scopesAllow, type ApiScope } from '../../../src/core/access/api-scope.ts';

test('scopesAllow: admin allows every scope; others allow only what they hold', () => {
  const rows: Array<[readonly ApiScope[], ApiScope, boolean]> = [
    [['admin'], 'refunds:write', true],
    [['admin'], 'admin', true],
    [['payments:write'], 'refunds:write', false],
    [['payments:write', 'payments:read'], 'payments:read', true],
    [['refunds:write'], 'payments:write', false],
    [['settlements:read'], 'admin', false],
    [[], 'payments:read', false],
  ];
  for (const [granted, needed, allowed] of rows) assert.equal(scopesAllow(granted, needed), allowed, `${granted.join(',')} → ${needed}`);
});

test('scopeSetProblem: the sets a new key may hold', () => {
  const rows: Array<[string[], string | null, RegExp | null]> = [
    [['admin'], null, null],
    [['payments:write'], 'M1', null],
    [['payments:write', 'refunds:write', 'settlements:read'], 'M1', null],
    [[], 'M1', /at least one/],
    [['payments:delete'], 'M1', /unknown scope 'payments:delete'/],
    [['payments:read', 'payments:read'], 'M1', /twice/],
    [['admin', 'payments:read'], null, /give it alone/],
    [['admin'], 'M1', /not bound to a merchant/],
    [['payments:read'], null, /bound to one merchant/],
  ];
  for (const [scopes, merchantId, problem] of rows) {
    const found = scopeSetProblem(scopes, merchantId);
    if (problem === null) assert.equal(found, null, scopes.join(','));
    else assert.match(found ?? '', problem, scopes.join(','));
  }
});

test('legacy kinds keep their rights: admin is admin, merchant keys sell, read and give back', () => {
  assert.deepEqual([...legacyScopes.admin], ['admin']);
  assert.deepEqual([...legacyScopes.merchant], ['payments:write', 'payments:read', 'refunds:write']);
  for (const scope of legacyScopes.merchant) assert.ok(apiScopes.includes(scope));
});
