// Goal: the permission matrix keeps its promises as data: merchant-bound roles hold only permissions
// their routes confine to the caller's merchants, the auditor holds no write, no role creates a sale,
// every route names a known permission, the key scope of each permission is what the route asked of
// keys, and docs/console-access.md shows exactly this matrix. Method: table checks over the exported
// data, and the doc's table compared with one generated from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { merchantBoundRoles, merchantScopedPermissions, permissionScopes, permissions, principalAllows, rolePermissions, roles, type Permission } from '../../../src/core/access/permissions.ts';
import { isStateChangingMethod, routePermissions, routeRequirementOf } from '../../../src/core/access/route-permissions.ts';

test('merchant-bound roles hold only permissions whose routes confine the caller to its merchants', () => {
  for (const role of merchantBoundRoles) {
    assert.deepEqual(rolePermissions[role].filter((permission) => !merchantScopedPermissions.has(permission)), [], role);
  }
});

test('the auditor reads everything and holds nothing else; no role creates a sale; admin holds all the rest', () => {
  assert.deepEqual([...rolePermissions.auditor].sort(), permissions.filter((permission) => permission.endsWith(':read')).sort());
  for (const role of roles) assert.equal(rolePermissions[role].includes('payments:create'), false, role);
  assert.deepEqual([...rolePermissions.admin].sort(), permissions.filter((permission) => permission !== 'payments:create').sort());
});

test('the operator and the cashier move no money and touch neither fee plans nor users', () => {
  const forbidden: Permission[] = ['payments:refund', 'payments:capture', 'payments:create', 'fee_plans:write', 'users:write', 'users:read', 'reconciliation:write', 'payouts:write'];
  for (const role of ['operator', 'cashier'] as const) {
    assert.deepEqual(rolePermissions[role].filter((permission) => forbidden.includes(permission)), [], role);
  }
  assert.ok(principalAllows({ kind: 'user', role: 'operator' }, 'terminals:write'));
  assert.ok(principalAllows({ kind: 'user', role: 'merchant' }, 'payments:refund'));
});

test('keys hold a permission through its scope; admin keys hold every one', () => {
  for (const permission of permissions) {
    assert.ok(principalAllows({ kind: 'key', scopes: ['admin'] }, permission), permission);
    assert.equal(principalAllows({ kind: 'key', scopes: ['payments:read'] }, permission), permissionScopes[permission] === 'payments:read', permission);
  }
  // What the routes asked of keys before roles existed (docs/http-api.md): a till key sells and refunds, a books key reads settlements.
  assert.equal(permissionScopes['payments:refund'], 'refunds:write');
  assert.equal(permissionScopes['payments:capture'], 'payments:write');
  assert.equal(permissionScopes['settlements:read'], 'settlements:read');
});

test('every route names a known permission, public or session; HEAD is GET; unknown routes are null', () => {
  for (const [route, requirement] of Object.entries(routePermissions)) {
    assert.match(route, /^(GET|POST|PUT|PATCH|DELETE) \/v1\//, route);
    assert.ok(requirement === 'public' || requirement === 'session' || (permissions as readonly string[]).includes(requirement), route);
  }
  assert.equal(routeRequirementOf('HEAD', '/v1/payments'), 'payments:read');
  assert.equal(routeRequirementOf('GET', '/v1/analytics/today'), 'analytics:read');
  assert.equal(routeRequirementOf('POST', '/v1/analytics/today'), null);
  assert.equal(routeRequirementOf('GET', '/v1/not-a-route'), null);
  assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'].map(isStateChangingMethod), [false, false, false, true, true, true, true]);
});

test('docs/console-access.md shows exactly this permission matrix', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/console-access.md', import.meta.url)), 'utf8');
  const rows = [`| permission | ${roles.join(' | ')} | API key scope | routes |`];
  for (const permission of permissions) {
    const routes = Object.entries(routePermissions)
      .filter(([, requirement]) => requirement === permission)
      .map(([route]) => `\`${route}\``);
    if (permission === 'analytics:read') routes.push('`GET /v1/analytics/...`');
    rows.push(`| \`${permission}\` | ${roles.map((role) => (rolePermissions[role].includes(permission) ? 'yes' : '-')).join(' | ')} | \`${permissionScopes[permission]}\` | ${routes.join(', ')} |`);
  }
  const documented = doc.split('\n').filter((line) => line.startsWith('| permission |') || /^\| `[a-z_]+:[a-z]+` \|/.test(line));
  assert.deepEqual(documented, rows);
});
