import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { buildEmergencyPlan, formatEmergencyPlan } from '../../../src/core/drills/emergency-plan.ts';
import { parseBinTable } from '../../../src/core/cards/bin-table.ts';
import shippedBinTable from '../../../src/core/cards/bin-table.json' with { type: 'json' };

const binTable = parseBinTable(shippedBinTable);

function configWith(accepts: string[]) {
  return validateConfig({
    security: { developmentMode: true },
    channels: [
      { name: 'icbc', host: '127.0.0.1', port: 9001, priority: 1, contacts: [{ name: 'ICBC duty desk', role: '24 h', phone: '010-6610 8888' }] },
      { name: 'ccb', host: '127.0.0.1', port: 9002, priority: 2, contacts: [{ name: 'CCB desk', phone: '010-1234 5678', email: 'ops@example.com' }] },
      { name: 'spare', host: '127.0.0.1', port: 9003, priority: 3, disabled: true, contacts: [{ name: 'Spare desk', phone: '010-0000 0000' }] },
    ],
    merchants: [{ id: 'M00000000000001', name: 'Corner shop', mcc: '5411', accepts }],
    engine: { reswipeGuardWindowMs: 90_000 },
    routing: { breaker: { failuresMax: 3, openMs: 1_500 } },
    contacts: { posProviders: [{ name: 'Acme POS', phone: '400-800-1234' }], acquirer: [{ name: 'Acquirer NOC', phone: '021-5555 0000' }] },
  });
}

test('the plan lists the routes of the accepted cards, best first, skipping disabled channels', () => {
  const plan = buildEmergencyPlan(configWith(['debit']), 'M00000000000001', null, binTable);
  assert.ok(plan !== null);
  assert.deepEqual(plan.routes.map((route) => route.cards), ['unionpay debit', 'visa debit', 'mastercard debit'], 'credit is not accepted, so not listed');
  for (const route of plan.routes) assert.deepEqual(route.channels, ['icbc', 'ccb']);
});

test('the automatic part quotes the configured breaker, timeout, reversal and guard values', () => {
  const plan = buildEmergencyPlan(configWith(['debit']), 'M00000000000001', null, binTable);
  const text = plan?.automatic.map((line) => line.en).join('\n') ?? '';
  assert.match(text, /fails 3 times/);
  assert.match(text, /after 1\.5 s/);
  assert.match(text, /within 90 s/);
  assert.match(text, /within the terminal's 60 s/);
});

test('contacts: banks on the route, the acquirer and the POS provider; a disabled channel is not on any route', () => {
  const plan = buildEmergencyPlan(configWith(['debit']), 'M00000000000001', null, binTable);
  assert.deepEqual(plan?.contacts.map((contact) => [contact.for, contact.name, contact.email]), [
    ['bank icbc', 'ICBC duty desk', null],
    ['bank ccb', 'CCB desk', 'ops@example.com'],
    ['acquirer', 'Acquirer NOC', null],
    ['POS provider', 'Acme POS', null],
  ]);
});

test('the cashier is told to offer QR only when the merchant takes QR payments', () => {
  const withQr = buildEmergencyPlan(configWith(['debit', 'wechat']), 'M00000000000001', null, binTable);
  const withoutQr = buildEmergencyPlan(configWith(['debit']), 'M00000000000001', null, binTable);
  assert.ok(withQr?.cashier.some((line) => /offer QR payment/.test(line.en) && /扫码支付/.test(line.zh)));
  assert.ok(withoutQr?.cashier.some((line) => /does not take QR/.test(line.en)));
  assert.ok(!withoutQr?.cashier.some((line) => /offer QR payment/.test(line.en)));
});

test('issuer hotlines come from the BIN table, once per number; an unknown merchant has no plan', () => {
  const plan = buildEmergencyPlan(configWith(['debit']), 'M00000000000001', null, binTable);
  const icbc = plan?.issuerHotlines.find((hotline) => hotline.issuerZh === '中国工商银行');
  assert.equal(icbc?.hotline, '95588');
  assert.equal(new Set(plan?.issuerHotlines.map((hotline) => hotline.hotline)).size, plan?.issuerHotlines.length);
  assert.equal(buildEmergencyPlan(configWith(['debit']), 'M00000000000009', null, binTable), null);
  assert.match(formatEmergencyPlan(plan!, 'zh'), /中国工商银行\s+95588/);
});
