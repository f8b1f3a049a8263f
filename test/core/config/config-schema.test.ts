// Goal: the config schema fills every default, freezes the result, and rejects each kind of bad config with
// the right code and the exact key path. Method: table tests, one row per bad config, plus checks on the
// defaults, the freezing and the helpers the loader uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configAsWritten,
  developmentPanKey,
  formatKeyPath,
  requirePanKey,
  schemaAtPath,
  validateConfig,
  type ReswipeConfig,
} from '../../../src/core/config/config-schema.ts';
import { panKeyIdOf } from '../../../src/core/config/pan-key.ts';
import { maskConfigSecrets } from '../../../src/core/config/mask-config-secrets.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const merchant = { id: '898310048161234', name: 'Corner Shop', mcc: '5411' };
/** Hex and base64 of 32 random bytes, pinned for the tests. */
const realPanKey = '3f9c1e7a52b04d86a1e0c7f25b9d3e48c6a71f0e2d5b8c94e3a7f16b0d2c5e98';
const olderPanKey = 'q8VvJ3m0cX5Tn2WbR7yLk1Hs9DfGp4Za6Ue0Oi3Bw2M=';

test('serve needs a real PAN key outside development mode (requirePanKey)', () => {
  expectRequired(() => requirePanKey(validateConfig({})));
  requirePanKey(validateConfig({ security: { developmentMode: true } }));
  requirePanKey(validateConfig({ security: { panKey: realPanKey } }));
  assert.equal(validateConfig({ security: { panKey: realPanKey } }).security.panKeyId, panKeyIdOf(realPanKey));
  assert.match(panKeyIdOf(realPanKey), /^pk_[0-9a-f]{8}$/);
});

function expectRequired(run: () => void): void {
  assert.throws(run, (error: unknown) => isReswipeError(error, 'RSW_CONFIG_PAN_KEY_REQUIRED') && error.field === 'security.panKey');
}
const channel = { name: 'bank-a', host: '127.0.0.1', port: 9583 };

test('an empty config gets every documented default', () => {
  const config = validateConfig({});
  assert.deepEqual(config.database, { url: 'sqlite:reswipe.db', synchronous: 'full', cacheMb: 64 });
  assert.deepEqual(config.security, { panKey: developmentPanKey, panKeyId: panKeyIdOf(developmentPanKey), panKeysRetired: [], panKeyIsDefault: true, developmentMode: false });
  assert.deepEqual(config.log, { level: 'info' });
  assert.deepEqual(config.http, {
    host: '127.0.0.1',
    port: 8080,
    trustProxy: [],
    rateLimit: {
      perAddress: { max: 1200, windowMs: 60_000 },
      perKey: { max: 600, windowMs: 60_000 },
      authFailuresPerAddress: { max: 20, windowMs: 300_000 },
      clientsTrackedMax: 10_000,
    },
    operations: { mode: 'admin-key', host: '127.0.0.1', port: 9464 },
    cors: { allowedOrigins: [] },
    allowPlaintext: false,
  });
  assert.deepEqual(config.engine, {
    terminalTimeoutMs: 60000,
    autoRetriesMax: 2,
    inFlightPerTerminalMax: 1,
    queuePerTerminalMax: 4,
    reversal: { triesMax: 6, backoffMs: 1000, backoffMsMax: 60000, terminalWindowMs: 86400000 },
    reswipeGuardWindowMs: 120000,
    qr: { budgetMs: 45000, queryDelaysMs: [2000, 3000, 5000], followUp: { triesMax: 20, backoffMs: 2000, backoffMsMax: 300000 } },
    transactions: { completionToleranceBps: 1500, holdExpiryDays: 30, adviceRetryMs: 30000 },
  });
  assert.deepEqual(config.listeners, [
    { name: 'terminals', host: '127.0.0.1', port: 8583, dialect: 'cups-pos', framing: { length: 'binary2', frameBytesMax: 4096 }, connectionsMax: 2000, connectionsPerAddressMax: 20, idleTimeoutMs: 600_000, sessionMsMax: 3_600_000, writeBufferBytesMax: 262_144, language: 'zh', security: {} },
  ]);
  assert.deepEqual(config.channels, []);
  assert.deepEqual(config.qrChannels, []);
  assert.deepEqual(config.merchants, []);
  assert.deepEqual(config.declines, { strictLuhn: false, strictBin: false, retryRuleEdition: '2026-04' });
  assert.deepEqual(config.fees, { settlementTimeZone: 'Asia/Shanghai', settleMode: 't1' });
});

test('undefined and null mean an empty config', () => {
  assert.deepEqual(validateConfig(undefined), validateConfig({}));
  assert.deepEqual(validateConfig(null), validateConfig({}));
});

test('defaults are filled inside list items, and given values are kept', () => {
  const config = validateConfig({
    security: { panKey: realPanKey, panKeysRetired: [olderPanKey] },
    channels: [{ ...channel, timeoutMs: 5000, framing: { length: 'ascii4' } }],
    merchants: [{ ...merchant, terminals: ['10000001'], limits: { perSaleMinor: 500000 } }],
  });
  assert.deepEqual(config.security, {
    panKey: realPanKey,
    panKeyId: panKeyIdOf(realPanKey),
    panKeysRetired: [{ id: panKeyIdOf(olderPanKey), key: olderPanKey }],
    panKeyIsDefault: false,
    developmentMode: false,
  });
  assert.deepEqual(config.channels[0], {
    ...channel,
    protocol: 'iso8583',
    dialect: 'iso87-ascii',
    framing: { length: 'ascii4', frameBytesMax: 4096 },
    timeoutMs: 5000,
    priority: 1,
    weight: 1,
    connections: 2,
    inFlightMax: 256,
    echoIntervalMs: 30000,
    acquirerId: '00000000001',
    contacts: [],
    disabled: false,
  });
  assert.deepEqual(config.merchants[0], {
    ...merchant,
    accepts: ['debit', 'credit', 'quasi-credit', 'prepaid'],
    limits: { perSaleMinor: 500000 },
    feePlan: 'standard',
    terminals: ['10000001'],
  });
});

test('the result is deep-frozen: mutation throws at every level', () => {
  const config = validateConfig({ channels: [channel], merchants: [{ ...merchant, terminals: ['10000001'] }] });
  const writable = config as unknown as { http: { port: number }; channels: Array<{ port: number }>; merchants: Array<{ terminals: string[] }>; log: unknown };
  assert.throws(() => {
    writable.http.port = 1;
  }, TypeError);
  assert.throws(() => {
    writable.log = {};
  }, TypeError);
  assert.throws(() => {
    (writable.channels[0] as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => writable.merchants[0]?.terminals.push('10000002'), TypeError);
  assert.throws(() => writable.channels.pop(), TypeError);
  assert.equal(config.http.port, 8080);
});

test('validation does not mutate its input and defaults are not shared between results', () => {
  const raw = { http: { port: 9000 } };
  const first = validateConfig(raw);
  assert.deepEqual(raw, { http: { port: 9000 } });
  const second = validateConfig({});
  assert.notEqual(first.listeners, second.listeners);
  assert.equal(validateConfig({}).http.port, 8080);
});

test('printed key order follows the schema whatever the input order', () => {
  const config = validateConfig({ fees: {}, http: { port: 1, host: 'localhost' } });
  assert.deepEqual(Object.keys(config).slice(0, 4), ['database', 'security', 'log', 'http']);
  assert.deepEqual(Object.keys(config.http), ['host', 'port', 'trustProxy', 'rateLimit', 'operations', 'cors', 'allowPlaintext']);
});

type Row = [name: string, raw: unknown, code: string, field: string];

const badConfigs: Row[] = [
  ['root is a list', [], 'RSW_CONFIG_INVALID_VALUE', '(root)'],
  ['unknown top-level key', { htpp: {} }, 'RSW_CONFIG_UNKNOWN_KEY', 'htpp'],
  ['an alert rule with an unknown kind', { alerts: { rules: [{ id: 'x', kind: 'loud_noise' }] } }, 'RSW_ALERT_RULE_INVALID', 'alerts.rules[0].kind'],
  ['an alert rule with a parameter out of bounds', { alerts: { rules: [{ id: 'reversal-queue', kind: 'reversal_queue', params: { depthMax: 0 } }] } }, 'RSW_ALERT_RULE_INVALID', 'alerts.rules[0].params.depthMax'],
  ['a webhook first retry later than a minute', { webhooks: { firstRetryMs: 120_000 } }, 'RSW_CONFIG_INVALID_VALUE', 'webhooks.firstRetryMs'],
  ['unknown nested key', { http: { prot: 1 } }, 'RSW_CONFIG_UNKNOWN_KEY', 'http.prot'],
  ['unknown key two levels down', { engine: { reversal: { tries: 3 } } }, 'RSW_CONFIG_UNKNOWN_KEY', 'engine.reversal.tries'],
  ['unknown key in a list item', { channels: [channel, { ...channel, name: 'b', timeout: 1 }] }, 'RSW_CONFIG_UNKNOWN_KEY', 'channels[1].timeout'],
  ['unknown key in framing', { listeners: [{ framing: { lenght: 'ascii4' } }] }, 'RSW_CONFIG_UNKNOWN_KEY', 'listeners[0].framing.lenght'],
  ['security.panKeyIsDefault is output only', { security: { panKeyIsDefault: false } }, 'RSW_CONFIG_UNKNOWN_KEY', 'security.panKeyIsDefault'],
  ['section of the wrong type', { http: 8080 }, 'RSW_CONFIG_INVALID_VALUE', 'http'],
  ['port as text', { http: { port: '8080' } }, 'RSW_CONFIG_INVALID_VALUE', 'http.port'],
  ['port out of range', { http: { port: 70000 } }, 'RSW_CONFIG_INVALID_VALUE', 'http.port'],
  ['negative port', { listeners: [{ port: -1 }] }, 'RSW_CONFIG_INVALID_VALUE', 'listeners[0].port'],
  ['fractional timeout', { engine: { terminalTimeoutMs: 1500.5 } }, 'RSW_CONFIG_INVALID_VALUE', 'engine.terminalTimeoutMs'],
  ['terminal timeout too short', { engine: { terminalTimeoutMs: 10 } }, 'RSW_CONFIG_INVALID_VALUE', 'engine.terminalTimeoutMs'],
  ['retries above the bound', { engine: { autoRetriesMax: 11 } }, 'RSW_CONFIG_INVALID_VALUE', 'engine.autoRetriesMax'],
  ['unknown log level', { log: { level: 'loud' } }, 'RSW_CONFIG_INVALID_VALUE', 'log.level'],
  ['unknown synchronous mode', { database: { synchronous: 'off' } }, 'RSW_CONFIG_INVALID_VALUE', 'database.synchronous'],
  ['page cache below SQLite\'s own default', { database: { cacheMb: 1 } }, 'RSW_CONFIG_INVALID_VALUE', 'database.cacheMb'],
  ['database url of an unknown kind', { database: { url: 'mysql://x' } }, 'RSW_CONFIG_INVALID_VALUE', 'database.url'],
  ['PAN key too short', { security: { panKey: 'short', developmentMode: true } }, 'RSW_CONFIG_INVALID_VALUE', 'security.panKey'],
  ['PAN key a passphrase outside development mode', { security: { panKey: 'a-production-key-of-enough-length' } }, 'RSW_CONFIG_INVALID_VALUE', 'security.panKey'],
  ['PAN key of 16 bytes', { security: { panKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' } }, 'RSW_CONFIG_INVALID_VALUE', 'security.panKey'],
  ['PAN key not random', { security: { panKey: 'ab'.repeat(32) } }, 'RSW_CONFIG_INVALID_VALUE', 'security.panKey'],
  ['retired PAN key weak', { security: { panKey: realPanKey, panKeysRetired: ['a-production-key-of-enough-length'] } }, 'RSW_CONFIG_INVALID_VALUE', 'security.panKeysRetired[0]'],
  ['retired PAN key repeats the current one', { security: { panKey: realPanKey, panKeysRetired: [realPanKey] } }, 'RSW_CONFIG_RELATION', 'security.panKeysRetired'],
  ['merchant name holding a card number', { merchants: [{ ...merchant, name: 'shop 4111 1111 1111 1111' }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].name'],
  ['listeners not a list', { listeners: { name: 'x' } }, 'RSW_CONFIG_INVALID_VALUE', 'listeners'],
  ['unknown framing', { channels: [{ ...channel, framing: { length: 'ascii2' } }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].framing.length'],
  ['frame too small', { listeners: [{ framing: { frameBytesMax: 10 } }] }, 'RSW_CONFIG_INVALID_VALUE', 'listeners[0].framing.frameBytesMax'],
  ['frame above binary2 range', { listeners: [{ framing: { frameBytesMax: 65536 } }] }, 'RSW_CONFIG_INVALID_VALUE', 'listeners[0].framing.frameBytesMax'],
  ['unknown language', { listeners: [{ language: 'fr' }] }, 'RSW_CONFIG_INVALID_VALUE', 'listeners[0].language'],
  ['unknown built-in dialect', { listeners: [{ dialect: 'cups' }] }, 'RSW_CONFIG_INVALID_VALUE', 'listeners[0].dialect'],
  ['channel without a name', { channels: [{ host: 'h', port: 1 }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].name'],
  ['channel without a host', { channels: [{ name: 'a', port: 1 }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].host'],
  ['channel name with a space', { channels: [{ ...channel, name: 'bank a' }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].name'],
  ['channel port 0', { channels: [{ ...channel, port: 0 }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].port'],
  ['acquirer id with letters', { channels: [{ ...channel, acquirerId: 'ABC' }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].acquirerId'],
  ['disabled as text', { channels: [{ ...channel, disabled: 'yes' }] }, 'RSW_CONFIG_INVALID_VALUE', 'channels[0].disabled'],
  ['merchant id too short', { merchants: [{ ...merchant, id: '12345' }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].id'],
  ['merchant MCC with letters', { merchants: [{ ...merchant, mcc: '54A1' }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].mcc'],
  ['merchant accepts an unknown method', { merchants: [{ ...merchant, accepts: ['debit', 'cheque'] }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].accepts[1]'],
  ['merchant accepts a method twice', { merchants: [{ ...merchant, accepts: ['debit', 'debit'] }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].accepts'],
  ['terminal id of 7 characters', { merchants: [{ ...merchant, terminals: ['1000000'] }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].terminals[0]'],
  ['limit of zero', { merchants: [{ ...merchant, limits: { perDayMinor: 0 } }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].limits.perDayMinor'],
  ['limit in yuan with decimals', { merchants: [{ ...merchant, limits: { perSaleMinor: 99.5 } }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].limits.perSaleMinor'],
  ['retry rule edition not YYYY-MM', { declines: { retryRuleEdition: 'April' } }, 'RSW_CONFIG_INVALID_VALUE', 'declines.retryRuleEdition'],
  ['strictLuhn as a number', { declines: { strictLuhn: 1 } }, 'RSW_CONFIG_INVALID_VALUE', 'declines.strictLuhn'],
  ['unknown time zone', { fees: { settlementTimeZone: 'Mars/Olympus' } }, 'RSW_CONFIG_INVALID_VALUE', 'fees.settlementTimeZone'],
  ['unknown settle mode', { fees: { settleMode: 't0' } }, 'RSW_CONFIG_INVALID_VALUE', 'fees.settleMode'],
  ['too many listeners', { listeners: Array.from({ length: 33 }, (_, index) => ({ name: `l${index}`, port: 9000 + index })) }, 'RSW_CONFIG_INVALID_VALUE', 'listeners'],
  // Relations between values.
  ['channel timeout equal to the terminal timeout', { channels: [{ ...channel, timeoutMs: 60000 }] }, 'RSW_CONFIG_RELATION', 'channels[0].timeoutMs'],
  ['channel timeout without room to answer', { channels: [channel, { ...channel, name: 'b', timeoutMs: 59001 }] }, 'RSW_CONFIG_RELATION', 'channels[1].timeoutMs'],
  ['terminal timeout lowered below a default channel timeout', { engine: { terminalTimeoutMs: 10500 }, channels: [channel] }, 'RSW_CONFIG_RELATION', 'channels[0].timeoutMs'],
  ['duplicate channel names', { channels: [channel, { ...channel, port: 9584 }] }, 'RSW_CONFIG_RELATION', 'channels[1].name'],
  ['duplicate listener names', { listeners: [{ port: 9000 }, { port: 9001 }] }, 'RSW_CONFIG_RELATION', 'listeners[1].name'],
  ['two listeners on one port', { listeners: [{ name: 'a', port: 9000 }, { name: 'b', port: 9000, host: '10.0.0.1' }] }, 'RSW_CONFIG_RELATION', 'listeners[1].port'],
  ['listener on the HTTP port', { http: { port: 9000 }, listeners: [{ port: 9000 }] }, 'RSW_CONFIG_RELATION', 'listeners[0].port'],
  ['listener on all interfaces and the HTTP port', { listeners: [{ port: 8080, host: '0.0.0.0' }] }, 'RSW_CONFIG_RELATION', 'listeners[0].port'],
  ['duplicate merchant ids', { merchants: [merchant, merchant] }, 'RSW_CONFIG_RELATION', 'merchants[1].id'],
  [
    'terminal belonging to two merchants',
    { merchants: [{ ...merchant, terminals: ['10000001'] }, { ...merchant, id: '898310048169999', terminals: ['10000002', '10000001'] }] },
    'RSW_CONFIG_RELATION',
    'merchants[1].terminals[1]',
  ],
  ['terminal listed twice by one merchant', { merchants: [{ ...merchant, terminals: ['10000001', '10000001'] }] }, 'RSW_CONFIG_INVALID_VALUE', 'merchants[0].terminals'],
  ['reversal backoff above its maximum', { engine: { reversal: { backoffMs: 5000, backoffMsMax: 4000 } } }, 'RSW_CONFIG_RELATION', 'engine.reversal.backoffMs'],
  ['ascii4 frame above 9999 bytes', { channels: [{ ...channel, framing: { length: 'ascii4', frameBytesMax: 10000 } }] }, 'RSW_CONFIG_RELATION', 'channels[0].framing.frameBytesMax'],
  ['per-sale limit above per-day limit', { merchants: [{ ...merchant, limits: { perSaleMinor: 200, perDayMinor: 100 } }] }, 'RSW_CONFIG_RELATION', 'merchants[0].limits.perSaleMinor'],
  // The HTTP API is reachable from other machines only over TLS, unless the operator says otherwise.
  ['HTTP on every interface without TLS', { http: { host: '0.0.0.0' } }, 'RSW_CONFIG_HTTP_TLS_REQUIRED', 'http.tls'],
  ['HTTP on every IPv6 interface without TLS', { http: { host: '::' } }, 'RSW_CONFIG_HTTP_TLS_REQUIRED', 'http.tls'],
  ['HTTP on a LAN address without TLS', { http: { host: '10.0.0.1' } }, 'RSW_CONFIG_HTTP_TLS_REQUIRED', 'http.tls'],
  ['HTTP on a host name without TLS', { http: { host: 'gateway.internal' } }, 'RSW_CONFIG_HTTP_TLS_REQUIRED', 'http.tls'],
  ['HTTP TLS without its key', { http: { host: '0.0.0.0', tls: { certFile: 'http.pem' } } }, 'RSW_CONFIG_INVALID_VALUE', 'http.tls.keyFile'],
  ['listener TLS with an unknown key', { listeners: [{ tls: { certFile: 'a.pem', keyFile: 'a.key', caFile: 'ca.pem' } }] }, 'RSW_CONFIG_UNKNOWN_KEY', 'listeners[0].tls.caFile'],
  ['channel client certificate without its key', { channels: [{ ...channel, tls: { certFile: 'client.pem' } }] }, 'RSW_CONFIG_RELATION', 'channels[0].tls.keyFile'],
  ['channel client key without its certificate', { channels: [{ ...channel, tls: { keyFile: 'client.key' } }] }, 'RSW_CONFIG_RELATION', 'channels[0].tls.certFile'],
  ['per-day limit above per-month limit', { merchants: [{ ...merchant, limits: { perDayMinor: 200, perMonthMinor: 100 } }] }, 'RSW_CONFIG_RELATION', 'merchants[0].limits.perDayMinor'],
];

for (const [name, raw, code, field] of badConfigs) {
  test(`rejects: ${name} → ${code} at ${field}`, () => {
    assert.throws(
      () => validateConfig(raw),
      (error: unknown) => {
        assert.ok(isReswipeError(error), `expected a ReswipeError, got ${String(error)}`);
        assert.equal(error.code, code);
        assert.equal(error.field, field);
        assert.ok(error.message.includes(field), `the message names the key: ${error.message}`);
        return true;
      },
    );
  });
}

const goodConfigs: Array<[name: string, raw: unknown]> = [
  ['ephemeral ports for tests', { http: { port: 0 }, listeners: [{ name: 'a', port: 0 }, { name: 'b', port: 0 }] }],
  ['same port on different hosts for HTTP and a listener', { http: { host: '10.0.0.1', port: 9000, allowPlaintext: true }, listeners: [{ host: '10.0.0.2', port: 9000 }] }],
  ['channel timeout exactly 1000 ms below the terminal timeout', { channels: [{ ...channel, timeoutMs: 59000 }] }],
  ['dialect from a JSON file', { listeners: [{ dialect: './dialects/acme-pos.json' }] }],
  ['ascii4 frame of 9999 bytes', { channels: [{ ...channel, framing: { length: 'ascii4', frameBytesMax: 9999 } }] }],
  ['postgres database', { database: { url: 'postgres://gateway@db:5432/reswipe' } }],
  ['no listeners at all', { listeners: [] }],
  ['HTTP on every interface with TLS', { http: { host: '0.0.0.0', tls: { certFile: 'http.pem', keyFile: 'http.key' } } }],
  ['HTTP on every interface in plaintext, said on purpose', { http: { host: '0.0.0.0', allowPlaintext: true } }],
  ['HTTP on loopback names and addresses without TLS', { http: { host: 'localhost' } }],
  ['HTTP on another loopback address without TLS', { http: { host: '127.0.0.2' } }],
  ['HTTP on IPv6 loopback without TLS', { http: { host: '::1' } }],
  ['mutual TLS on a listener', { listeners: [{ tls: { certFile: 'l.pem', keyFile: 'l.key', clientCaFile: 'terminals-ca.pem' } }] }],
  ['a channel over TLS with the system CAs and no client certificate', { channels: [{ ...channel, tls: {} }] }],
  ['a channel over TLS with its own CA, a client certificate and a server name', { channels: [{ ...channel, tls: { caFile: 'bank-ca.pem', certFile: 'c.pem', keyFile: 'c.key', serverName: 'host.bank.example' } }] }],
  ['merchant accepting QR only', { merchants: [{ ...merchant, accepts: ['wechat', 'alipay', 'unionpay-qr'] }] }],
];

for (const [name, raw] of goodConfigs) {
  test(`accepts: ${name}`, () => {
    const config: ReswipeConfig = validateConfig(raw);
    assert.ok(Object.isFrozen(config));
  });
}

test('an unknown key close to a known one suggests it', () => {
  assert.throws(() => validateConfig({ engine: { terminalTimeoutMS: 1000 } }), /did you mean terminalTimeoutMs\?/);
  assert.throws(() => validateConfig({ http: { prot: 1 } }), /did you mean port\?/);
});

test('formatKeyPath turns JSON pointers into key paths', () => {
  assert.equal(formatKeyPath('/channels/1/timeoutMs'), 'channels[1].timeoutMs');
  assert.equal(formatKeyPath('/merchants/0/accepts/2'), 'merchants[0].accepts[2]');
  assert.equal(formatKeyPath(''), '(root)');
});

test('schemaAtPath finds keys through lists and misses unknown ones', () => {
  assert.equal(schemaAtPath(['engine', 'terminalTimeoutMs'])?.type, 'integer');
  assert.equal(schemaAtPath(['listeners', 0, 'port'])?.type, 'integer');
  assert.equal(schemaAtPath(['merchants', 3, 'accepts'])?.type, 'array');
  assert.equal(schemaAtPath(['engine', 'nope']), undefined);
  assert.equal(schemaAtPath(['listeners', 'port']), undefined);
});

test('QR provider channels: their protocol needs its credentials, card keys are refused, and they are kept apart from the card channels', () => {
  const wx = { name: 'wx', protocol: 'wechatpay-v2', baseUrl: 'https://api.mch.weixin.qq.com', appId: 'wx2421b1c4370ec43b', mchId: '10000100', key: '192006250b4c09247ec02edce69f6a2d', timeoutMs: 5000 };
  const ali = { name: 'ali', protocol: 'alipay', baseUrl: 'https://openapi.alipay.com/gateway.do', appId: '2014072300007148', privateKeyFile: 'app.pem', alipayPublicKeyFile: 'alipay.pem' };
  const config = validateConfig({ channels: [channel, wx, ali] });
  assert.deepEqual(config.channels.map((c) => c.name), ['bank-a']);
  assert.deepEqual(config.qrChannels.map((c) => [c.name, c.protocol, c.timeoutMs]), [['wx', 'wechatpay-v2', 5000], ['ali', 'alipay', 10000]]);
  const fieldOf = (channels: unknown[]): string => {
    try {
      validateConfig({ channels });
    } catch (error) {
      assert.ok(isReswipeError(error));
      return `${error.code} ${error.field}`;
    }
    return 'accepted';
  };
  assert.equal(fieldOf([{ ...wx, mchId: undefined }]), 'RSW_CONFIG_INVALID_VALUE channels[0].mchId');
  assert.equal(fieldOf([{ ...wx, host: '127.0.0.1' }]), 'RSW_CONFIG_INVALID_VALUE channels[0].host');
  assert.equal(fieldOf([{ ...ali, key: '192006250b4c09247ec02edce69f6a2d' }]), 'RSW_CONFIG_INVALID_VALUE channels[0].key');
  assert.equal(fieldOf([{ ...ali, alipayPublicKeyFile: undefined }]), 'RSW_CONFIG_INVALID_VALUE channels[0].alipayPublicKeyFile');
  assert.equal(fieldOf([{ name: 'bank', port: 1 }]), 'RSW_CONFIG_INVALID_VALUE channels[0].host');
  assert.equal(fieldOf([{ ...channel, appId: 'x' }]), 'RSW_CONFIG_INVALID_VALUE channels[0].appId');
  assert.equal(fieldOf([{ ...wx, protocol: 'paypal' }]), 'RSW_CONFIG_INVALID_VALUE channels[0].protocol');
  assert.equal(fieldOf([{ ...wx, baseUrl: 'ftp://x' }]), 'RSW_CONFIG_INVALID_VALUE channels[0].baseUrl');
});

test('config print shows QR channels back in channels[] with their secrets masked', () => {
  const wx = { name: 'wx', protocol: 'wechatpay-v2', baseUrl: 'https://api.mch.weixin.qq.com', appId: 'wx2421b1c4370ec43b', mchId: '10000100', key: '192006250b4c09247ec02edce69f6a2d', certFile: 'c.p12', certPassword: 'secret-pass' };
  const printed = maskConfigSecrets(configAsWritten(validateConfig({ channels: [channel, wx] }))) as { channels: Array<Record<string, unknown>> };
  assert.deepEqual(printed.channels.map((c) => c.name), ['bank-a', 'wx']);
  const text = JSON.stringify(printed);
  assert.ok(!text.includes('192006250b4c09247ec02edce69f6a2d') && !text.includes('secret-pass'), text);
  assert.equal(printed.channels[1]?.key, '********');
  // What config print writes is a config that validates again.
  assert.equal(validateConfig({ channels: (configAsWritten(validateConfig({ channels: [channel, wx] })) as { channels: unknown[] }).channels }).qrChannels.length, 1);
});
