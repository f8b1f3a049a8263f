// One schema for the whole product. Every part of reswipe reads its settings from the frozen
// ReswipeConfig this module returns; nothing else parses configuration. The schema is TypeBox data
// (docs/decisions/typebox.md): the type, the defaults and the checks come from one declaration.
// Validation happens once, at start-up, before anything opens a port or a database.
import { drillScenarioNames } from '../drills/drill-scenarios.ts';
import { parseCron } from '../time/cron.ts';
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { ReswipeError } from '../errors/reswipe-error.ts';
import { paymentMethods, languages } from '../vocabulary.ts';
import { hasPanLikeRun } from '../cards/find-pan-like-runs.ts';
import { panKeyIdOf, panKeyWeakness } from './pan-key.ts';
import { AlertRuleProblem, parseAlertRules } from '../alerts/alert-rule.ts';

/** Dialects compiled into reswipe; any other dialect value must be a path to a dialect JSON file. */
export const builtInDialects = ['cups-pos', 'iso87-ascii'] as const;

/** A channel must time out at least this long before the terminal does, so reswipe can still answer (and start a reversal). */
export const terminalReplyMarginMs = 1000;

/** Used when no security.panKey is configured, and only in development mode: `serve` refuses it otherwise (requirePanKey). */
export const developmentPanKey = 'reswipe-development-pan-key-not-for-production';

/** Older card-fingerprint keys kept for lookups during a rotation (docs/card-data.md). */
const panKeysRetiredMax = 8;

/** Card types a merchant accepts when the config does not say. */
export const defaultAcceptedMethods = ['debit', 'credit', 'quasi-credit', 'prepaid'] as const;

const frameBytesMaxBinary2 = 65535;
const frameBytesMaxAscii4 = 9999;

// Hard bounds on list sizes: configuration is loaded into memory whole, so it is bounded too.
const listenersMax = 32;
const channelsMax = 64;
const merchantsMax = 100_000;
const terminalsPerMerchantMax = 10_000;

function enumOf<const T extends readonly string[]>(values: T, defaultValue: T[number]): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    { default: defaultValue },
  ) as TUnion<TLiteral<T[number]>[]>;
}

function integer(minimum: number, maximum: number, defaultValue?: number) {
  return Type.Integer(defaultValue === undefined ? { minimum, maximum } : { minimum, maximum, default: defaultValue });
}

/** `expected` is our own annotation: the phrase an error message uses when a pattern does not match. */
function text(options: { minLength?: number; maxLength: number; pattern?: string; expected?: string; default?: string }) {
  return Type.String({ minLength: options.minLength ?? 1, ...options });
}

function section<T extends Parameters<typeof Type.Object>[0]>(properties: T) {
  return Type.Object(properties, { additionalProperties: false, default: {} });
}

const namePattern = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const nameExpected = 'must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit';
const hostSchema = (defaultValue?: string) => text({ maxLength: 253, pattern: '^[A-Za-z0-9.:_\\[\\]-]+$', expected: 'must be a host name or IP address', ...(defaultValue === undefined ? {} : { default: defaultValue }) });
const dialectSchema = (defaultValue: string) => text({ maxLength: 4096, default: defaultValue });
const timeZoneSchema = text({ maxLength: 64, default: 'Asia/Shanghai' });
const filePathSchema = Type.Optional(text({ maxLength: 4096 }));
const amountMinorSchema = Type.Optional(integer(1, Number.MAX_SAFE_INTEGER));
const pemFileSchema = text({ maxLength: 4096 });

/** TLS on a terminal listener (docs/security.md): absent means plain TCP; clientCaFile turns on mutual TLS. */
const listenerTlsSchema = Type.Optional(
  Type.Object(
    {
      certFile: pemFileSchema,
      keyFile: pemFileSchema,
      /** Terminals must present a certificate signed by one of these CAs. */
      clientCaFile: Type.Optional(pemFileSchema),
    },
    { additionalProperties: false },
  ),
);

/** TLS to an upstream host: absent means plain TCP. The bank's certificate is checked against caFile (or the system CAs). */
const channelTlsSchema = Type.Optional(
  Type.Object(
    {
      caFile: Type.Optional(pemFileSchema),
      certFile: Type.Optional(pemFileSchema),
      keyFile: Type.Optional(pemFileSchema),
      /** The name the bank's certificate must carry, when channels[].host is an IP address or another name. */
      serverName: Type.Optional(hostSchema()),
    },
    { additionalProperties: false },
  ),
);

const zoneKeyRefSchema = text({ maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$', expected: 'must be 1 to 128 letters, digits, "_", ".", ":", "/" or "-"' });
const zoneKeyCheckValueSchema = text({ minLength: 6, maxLength: 16, pattern: '^[0-9A-Fa-f]{6,16}$', expected: 'must be 6 to 16 hex digits' });
const zoneKeyAlgorithmSchema = enumOf(['3des', 'sm4'] as const, '3des');
const sealedZoneKeySchema = text({ maxLength: 512, pattern: '^v1\\.[A-Za-z0-9._-]+$', expected: 'must be the sealed text `reswipe zone-pin-key seal` (or `zone-mac-key seal`) printed' });

/** The channel's zone PIN key, by reference and check value; for the software HSM also the key itself, sealed under the local master key. */
const zonePinKeySchema = Type.Optional(
  Type.Object(
    {
      keyRef: zoneKeyRefSchema,
      checkValue: zoneKeyCheckValueSchema,
      algorithm: zoneKeyAlgorithmSchema,
      /** The key sealed under the local master key (`reswipe zone-pin-key seal`), for the software HSM; absent when the HSM already holds keyRef. */
      sealed: Type.Optional(sealedZoneKeySchema),
    },
    { additionalProperties: false },
  ),
);

/** The channel's zone MAC key (docs/channels.md, host-link MAC): the gateway MACs every message itself, so the sealed key is required (`reswipe zone-mac-key seal`). */
const channelMacSchema = Type.Optional(
  Type.Object(
    {
      keyRef: zoneKeyRefSchema,
      checkValue: zoneKeyCheckValueSchema,
      algorithm: zoneKeyAlgorithmSchema,
      sealed: sealedZoneKeySchema,
    },
    { additionalProperties: false },
  ),
);

/** TLS on the HTTP API: the certificate and key are read again on SIGHUP and when the files change. */
const httpTlsSchema = Type.Optional(
  Type.Object(
    {
      certFile: pemFileSchema,
      keyFile: pemFileSchema,
      /** How often the files are checked for a change; 0 leaves reloading to SIGHUP alone. */
      reloadCheckIntervalMs: integer(0, 86_400_000, 60_000),
    },
    { additionalProperties: false },
  ),
);

const framingSchema = section({
  length: enumOf(['binary2', 'ascii4'] as const, 'binary2'),
  frameBytesMax: integer(64, frameBytesMaxBinary2, 4096),
});

const listenerSchema = Type.Object(
  {
    name: text({ maxLength: 64, pattern: namePattern, expected: nameExpected, default: 'terminals' }),
    host: hostSchema('127.0.0.1'),
    port: integer(0, 65535, 8583),
    dialect: dialectSchema('cups-pos'),
    framing: framingSchema,
    connectionsMax: integer(1, 100_000, 2000),
    /** Open connections from one client address; more are closed at once (docs/terminal-link.md). */
    connectionsPerAddressMax: integer(1, 100_000, 20),
    /** A connection that delivers no complete frame for this long is closed (dribbling bytes does not count). */
    idleTimeoutMs: integer(1000, 86_400_000, 600_000),
    /** Absolute connection lifetime: closed once nothing is in flight, however busy; the terminal reconnects. */
    sessionMsMax: integer(10_000, 604_800_000, 3_600_000),
    /** Answers queued to a connection that does not read; above this the connection is closed. */
    writeBufferBytesMax: integer(1024, 16_777_216, 262_144),
    language: enumOf(languages, 'zh'),
    security: section({
      /** Terminal MACs (docs/terminal-keys.md). Absent: `required`, or `optional` in development mode (resolveMacMode). */
      mac: Type.Optional(Type.Union([Type.Literal('required'), Type.Literal('optional'), Type.Literal('off')])),
    }),
    tls: listenerTlsSchema,
  },
  { additionalProperties: false },
);

/** Whom to call in an emergency (docs/drills.md, `reswipe plan`): a bank's duty desk, a POS provider's hotline. */
const contactSchema = Type.Object(
  {
    name: text({ maxLength: 100 }),
    role: text({ minLength: 0, maxLength: 100, default: '' }),
    phone: text({ minLength: 3, maxLength: 32, pattern: '^\\+?[0-9][0-9 ()-]{1,30}$', expected: 'must be a phone number: digits, spaces, "-", "(", ")", an optional leading "+"' }),
    email: Type.Optional(text({ maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$', expected: 'must be an e-mail address' })),
  },
  { additionalProperties: false },
);
const contactsMax = 16;

/** A sandbox bank behind a staging gateway, for scheduled drills: the gateway's channel name and the simulator's admin URL. */
const drillBankSchema = Type.Object(
  {
    channel: text({ maxLength: 64, pattern: namePattern, expected: nameExpected }),
    adminUrl: text({ maxLength: 2000, pattern: '^https?://[^\\s]+$', expected: 'must be an http(s) URL' }),
  },
  { additionalProperties: false },
);

/** A drill run on a cron schedule against a staging gateway (docs/drills.md#scheduled-drills). */
const drillScheduleSchema = Type.Object(
  {
    scenario: enumOf(drillScenarioNames, 'bank-dies'),
    cron: text({ maxLength: 200 }),
    short: Type.Boolean({ default: false }),
    gatewayUrl: text({ maxLength: 2000, pattern: '^https?://[^\\s]+$', expected: 'must be an http(s) URL' }),
    apiKeyFile: text({ maxLength: 4096 }),
    primary: drillBankSchema,
    backup: drillBankSchema,
    merchantId: Type.Optional(text({ minLength: 15, maxLength: 15 })),
    terminals: Type.Array(text({ minLength: 8, maxLength: 8 }), { maxItems: 64, default: [] }),
    terminalLink: Type.Optional(text({ maxLength: 260, pattern: '^[A-Za-z0-9.:_-]+:[0-9]{1,5}$', expected: 'must be host:port' })),
  },
  { additionalProperties: false },
);

/** What a channel speaks: the acquirer's ISO 8583 host link (cards, UnionPay QR), or a QR provider's HTTP API (docs/qr-payments.md). */
export const channelProtocols = ['iso8583', 'wechatpay-v2', 'alipay'] as const;
export type ChannelProtocol = (typeof channelProtocols)[number];

/** Keys only a QR provider channel has, and which of them each protocol needs. */
const qrOnlyChannelKeys = ['baseUrl', 'appId', 'mchId', 'key', 'signType', 'certFile', 'certPassword', 'privateKeyFile', 'alipayPublicKeyFile'] as const;
const qrRequiredChannelKeys: Readonly<Record<Exclude<ChannelProtocol, 'iso8583'>, readonly (typeof qrOnlyChannelKeys)[number][]>> = {
  'wechatpay-v2': ['baseUrl', 'appId', 'mchId', 'key'],
  alipay: ['baseUrl', 'appId', 'privateKeyFile', 'alipayPublicKeyFile'],
};
const qrAllowedChannelKeys: Readonly<Record<Exclude<ChannelProtocol, 'iso8583'>, readonly (typeof qrOnlyChannelKeys)[number][]>> = {
  'wechatpay-v2': ['baseUrl', 'appId', 'mchId', 'key', 'signType', 'certFile', 'certPassword'],
  alipay: ['baseUrl', 'appId', 'privateKeyFile', 'alipayPublicKeyFile'],
};

const channelSchema = Type.Object(
  {
    name: text({ maxLength: 64, pattern: namePattern, expected: nameExpected }),
    protocol: enumOf(channelProtocols, 'iso8583'),
    /** Required for protocol iso8583; QR provider channels have a baseUrl instead. */
    host: Type.Optional(hostSchema()),
    port: Type.Optional(integer(1, 65535)),
    // QR provider channels (protocol wechatpay-v2 or alipay). Secrets (`key`, `certPassword`) are masked by `reswipe config print`.
    baseUrl: Type.Optional(text({ maxLength: 2048, pattern: '^https?://[^\\s]+$', expected: 'must be an http:// or https:// URL' })),
    appId: Type.Optional(text({ maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', expected: 'must be letters, digits, "_" or "-"' })),
    mchId: Type.Optional(text({ maxLength: 32, pattern: '^[0-9A-Za-z]+$', expected: 'must be letters and digits' })),
    key: Type.Optional(text({ minLength: 32, maxLength: 32, expected: 'must be the 32-character API key' })),
    signType: Type.Optional(Type.Union([Type.Literal('MD5'), Type.Literal('HMAC-SHA256')])),
    certFile: Type.Optional(pemFileSchema),
    certPassword: Type.Optional(text({ maxLength: 256 })),
    privateKeyFile: Type.Optional(pemFileSchema),
    alipayPublicKeyFile: Type.Optional(pemFileSchema),
    dialect: dialectSchema('iso87-ascii'),
    framing: framingSchema,
    timeoutMs: integer(100, 600_000, 10_000),
    priority: integer(1, 100, 1),
    weight: integer(1, 1000, 1),
    connections: integer(1, 64, 2),
    inFlightMax: integer(1, 10_000, 256),
    echoIntervalMs: integer(0, 3_600_000, 30_000),
    acquirerId: text({ maxLength: 11, pattern: '^[0-9]{1,11}$', expected: 'must be 1 to 11 digits', default: '00000000001' }),
    disabled: Type.Boolean({ default: false }),
    tls: channelTlsSchema,
    zonePinKey: zonePinKeySchema,
    mac: channelMacSchema,
    contacts: Type.Array(contactSchema, { maxItems: contactsMax, default: [] }),
  },
  { additionalProperties: false },
);

const merchantSchema = Type.Object(
  {
    id: text({ minLength: 15, maxLength: 15, pattern: '^[\\x21-\\x7E][\\x20-\\x7E]{14}$', expected: 'must be exactly 15 printable ASCII characters (DE 42)' }),
    name: text({ maxLength: 40 }),
    mcc: text({ minLength: 4, maxLength: 4, pattern: '^[0-9]{4}$', expected: 'must be 4 digits' }),
    accepts: Type.Array(enumOf(paymentMethods, 'debit'), { uniqueItems: true, maxItems: paymentMethods.length, default: [...defaultAcceptedMethods] }),
    limits: section({
      perSaleMinor: amountMinorSchema,
      perDayMinor: amountMinorSchema,
      perMonthMinor: amountMinorSchema,
    }),
    feePlan: text({ maxLength: 64, pattern: namePattern, expected: nameExpected, default: 'standard' }),
    terminals: Type.Array(
      text({ minLength: 8, maxLength: 8, pattern: '^[\\x21-\\x7E][\\x20-\\x7E]{7}$', expected: 'must be exactly 8 printable ASCII characters (DE 41)' }),
      { uniqueItems: true, maxItems: terminalsPerMerchantMax, default: [] },
    ),
  },
  { additionalProperties: false },
);

/** The schema of the configuration input. Every key is optional in input; defaults are filled. */
export const configSchema = Type.Object(
  {
    database: section({
      url: text({ maxLength: 4096, pattern: '^(sqlite:.+|postgres(ql)?://.+)$', expected: 'must be sqlite:<path> or postgres://...', default: 'sqlite:reswipe.db' }),
      synchronous: enumOf(['full', 'normal'] as const, 'full'),
      /** SQLite only: the writer's page cache at most, in MB; filled only with pages it touches (docs/configuration.md). */
      cacheMb: integer(2, 4096, 64),
    }),
    security: section({
      /** Hex or base64 of at least 32 random bytes (pan-key.ts); in development mode any 16+ characters. */
      panKey: Type.Optional(text({ minLength: 16, maxLength: 1024, expected: 'must be 16 to 1024 characters' })),
      /** Keys used before the current one: fingerprints are still computed under them for lookups (re-swipe guard, retry budgets), never for new records. */
      panKeysRetired: Type.Array(text({ minLength: 16, maxLength: 1024, expected: 'must be 16 to 1024 characters' }), { maxItems: panKeysRetiredMax, uniqueItems: true, default: [] }),
      /** Development conveniences (the development PAN key, relaxed terminal security) are allowed only when this says so: the demo and the tests. */
      developmentMode: Type.Boolean({ default: false }),
      /** The local master key that seals terminal keys in the store: 64 hex digits (AES-256). A secret. */
      terminalMasterKey: Type.Optional(text({ minLength: 64, maxLength: 64, pattern: '^[0-9A-Fa-f]{64}$', expected: 'must be 64 hex digits (32 bytes)' })),
      /** A file (mode 0600) holding the local master key as 64 hex digits; used when terminalMasterKey is absent. */
      terminalMasterKeyFile: filePathSchema,
    }),
    log: section({
      level: enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    }),
    http: section({
      host: hostSchema('127.0.0.1'),
      port: integer(0, 65535, 8080),
      /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; none by default. */
      trustProxy: Type.Array(text({ maxLength: 64, pattern: '^[0-9A-Fa-f.:/]+$', expected: 'must be an IP address or CIDR range' }), { maxItems: 64, uniqueItems: true, default: [] }),
      rateLimit: section({
        perAddress: section({ max: integer(0, 1_000_000, 1200), windowMs: integer(1000, 3_600_000, 60_000) }),
        perKey: section({ max: integer(0, 1_000_000, 600), windowMs: integer(1000, 3_600_000, 60_000) }),
        authFailuresPerAddress: section({ max: integer(0, 100_000, 20), windowMs: integer(1000, 86_400_000, 300_000) }),
        clientsTrackedMax: integer(100, 1_000_000, 10_000),
      }),
      /** /metrics, /docs and /openapi.json: behind an admin key on the API port, or on their own listener. */
      operations: section({
        mode: enumOf(['admin-key', 'listener'] as const, 'admin-key'),
        host: hostSchema('127.0.0.1'),
        port: integer(0, 65535, 9464),
      }),
      cors: section({
        allowedOrigins: Type.Array(text({ maxLength: 256, pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$', expected: 'must be an origin: scheme://host[:port], no path' }), {
          maxItems: 64,
          uniqueItems: true,
          default: [],
        }),
      }),
      tls: httpTlsSchema,
      /** Lets the API listen on a non-loopback address without TLS: only behind a TLS terminator. */
      allowPlaintext: Type.Boolean({ default: false }),
    }),
    engine: section({
      terminalTimeoutMs: integer(1000, 600_000, 60_000),
      autoRetriesMax: integer(0, 10, 2),
      inFlightPerTerminalMax: integer(1, 64, 1),
      queuePerTerminalMax: integer(0, 1000, 4),
      reversal: section({
        triesMax: integer(1, 100, 6),
        backoffMs: integer(1, 3_600_000, 1000),
        backoffMsMax: integer(1, 86_400_000, 60_000),
        /** A terminal's own 0400 for a sale later than this after it is refused (and any after the sale's batch is settled). */
        terminalWindowMs: integer(60_000, 7 * 86_400_000, 86_400_000),
      }),
      reswipeGuardWindowMs: integer(0, 86_400_000, 120_000),
      /** QR payments (docs/qr-payments.md): how long a sale may query a paying customer, and the background cancel queue. */
      qr: section({
        /** A QR sale's budget when the client gives no deadline (HTTP); a terminal's sale gets terminalTimeoutMs. */
        budgetMs: integer(5000, 300_000, 45_000),
        /** Waits before each query while the customer is paying; the last repeats. */
        queryDelaysMs: Type.Array(integer(100, 60_000), { minItems: 1, maxItems: 16, default: [2000, 3000, 5000] }),
        followUp: section({
          triesMax: integer(1, 1000, 20),
          backoffMs: integer(100, 3_600_000, 2000),
          backoffMsMax: integer(100, 86_400_000, 300_000),
        }),
      }),
      transactions: section({
        completionToleranceBps: integer(0, 10_000, 1500),
        holdExpiryDays: integer(1, 365, 30),
        adviceRetryMs: integer(1000, 86_400_000, 30_000),
      }),
    }),
    listeners: Type.Array(listenerSchema, { maxItems: listenersMax, default: [{}] }),
    channels: Type.Array(channelSchema, { maxItems: channelsMax, default: [] }),
    merchants: Type.Array(merchantSchema, { maxItems: merchantsMax, default: [] }),
    /** This gateway process among several on one PostgreSQL database (docs/cluster.md). */
    node: section({
      /** Stable name in logs, metrics, events and GET /v1/nodes; default `<hostname>-<pid>-<random>`, new on every start. */
      id: Type.Optional(text({ maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$', expected: 'must be letters, digits and . _ : - (at most 128)' })),
      /** How often the node renews its row and lease in the database. */
      heartbeatIntervalMs: integer(100, 60_000, 1000),
      /** How long after its last heartbeat a node counts as dead: its sales and leases are then taken over. */
      leaseMs: integer(500, 600_000, 5000),
    }),
    drills: section({
      schedule: Type.Array(drillScheduleSchema, { maxItems: 32, default: [] }),
    }),
    contacts: section({
      acquirer: Type.Array(contactSchema, { maxItems: contactsMax, default: [] }),
      posProviders: Type.Array(contactSchema, { maxItems: contactsMax, default: [] }),
    }),
    declines: section({
      strictLuhn: Type.Boolean({ default: false }),
      strictBin: Type.Boolean({ default: false }),
      binTableFile: filePathSchema,
      retryRuleEdition: text({ maxLength: 7, pattern: '^[0-9]{4}-[0-9]{2}$', expected: 'must be a YYYY-MM edition', default: '2026-04' }),
    }),
    routing: section({
      rulesFile: filePathSchema,
      breaker: section({
        failuresMax: integer(1, 1000, 5),
        windowMs: integer(1000, 3_600_000, 60_000),
        windowAttemptsMin: integer(1, 100_000, 10),
        failureRateMaxBps: integer(1, 10_000, 5000),
        openMs: integer(100, 3_600_000, 30_000),
        halfOpenSuccessesMin: integer(1, 100, 2),
        trialIntervalMs: integer(1, 3_600_000, 250),
        trialsInFlightMax: integer(1, 1000, 2),
      }),
      healthPollIntervalMs: integer(100, 3_600_000, 5000),
    }),
    monitoring: section({
      checkIntervalMs: integer(1000, 3_600_000, 60_000),
      quietAfterMs: integer(1000, 86_400_000, 1_800_000),
      failureRateAlarmBps: integer(1, 10_000, 3000),
      fallbackRateAlarmBps: integer(1, 10_000, 200),
      rateAttemptsMin: integer(1, 100_000, 20),
      stuckAfterMs: integer(1000, 86_400_000, 300_000),
    }),
    /** The web console's users and sessions (docs/console-access.md). */
    console: section({
      /** False: no logins, session cookies are ignored, only API keys reach /v1. */
      enabled: Type.Boolean({ default: true }),
      /** A session unused this long ends (the next request gets 401 RSW_SESSION_EXPIRED). */
      sessionIdleMinutes: integer(1, 1440, 30),
      /** A session ends this long after its login however busy it is. */
      sessionMaxHours: integer(1, 168, 12),
    }),
    standing: section({
      checkIntervalMs: integer(1000, 86_400_000, 900_000),
      declineRatioMaxBps: integer(1, 10_000, 1500),
      fallbackRatioMaxBps: integer(1, 10_000, 200),
      warnAtShareBps: integer(1, 10_000, 8000),
      ratioSalesMin: integer(1, 1_000_000, 100),
    }),
    /** Alerts (docs/alerts.md): rules beyond or replacing the shipped ones (by id), and where notifications go. */
    alerts: section({
      enabled: Type.Boolean({ default: true }),
      evaluateIntervalMs: integer(1000, 3_600_000, 15_000),
      /** Where runbooks are read: every notification links `<runbookBaseUrl><kind>.md` (docs/runbooks/ in this repository by default). */
      runbookBaseUrl: text({ maxLength: 1024, default: 'docs/runbooks/' }),
      /** Checked by the alert rule schema at start-up (src/core/alerts/alert-rule.ts), not here: its errors name the rule field. */
      rules: Type.Array(Type.Unknown(), { maxItems: 100, default: [] }),
      targets: Type.Array(
        Type.Object(
          {
            name: text({ maxLength: 64, pattern: namePattern, expected: nameExpected }),
            kind: enumOf(['wecom', 'dingtalk', 'feishu', 'email'] as const, 'wecom'),
            /** The robot's webhook URL (wecom, dingtalk, feishu). It holds the robot's key: keep the config private. */
            url: Type.Optional(text({ maxLength: 2048, pattern: '^https?://', expected: 'must be an http(s) URL' })),
            /** The robot's signing secret (dingtalk 加签, feishu 签名校验); or secretFile. */
            secret: Type.Optional(text({ maxLength: 256 })),
            secretFile: filePathSchema,
            /** Mail recipients (email). */
            to: Type.Array(text({ maxLength: 254, pattern: '^[^@\\s<>]+@[^@\\s<>]+$', expected: 'must be an e-mail address' }), { maxItems: 50, default: [] }),
            language: enumOf(['zh-CN', 'en'] as const, 'zh-CN'),
            minSeverity: enumOf(['critical', 'warning', 'info'] as const, 'warning'),
          },
          { additionalProperties: false },
        ),
        { maxItems: 32, default: [] },
      ),
      /** The SMTP server that sends alert mail. */
      smtp: Type.Optional(
        Type.Object(
          {
            host: hostSchema(),
            port: integer(1, 65535, 587),
            /** starttls (port 587), tls (implicit, port 465), or none (a local relay on loopback only, or development mode). */
            security: enumOf(['starttls', 'tls', 'none'] as const, 'starttls'),
            username: Type.Optional(text({ maxLength: 256 })),
            password: Type.Optional(text({ maxLength: 256 })),
            passwordFile: filePathSchema,
            from: text({ maxLength: 254, pattern: '^[^@\\s<>]+@[^@\\s<>]+$', expected: 'must be an e-mail address' }),
            timeoutMs: integer(1000, 120_000, 15_000),
          },
          { additionalProperties: false },
        ),
      ),
    }),
    /** Signed webhooks (docs/webhooks.md): delivery from the durable outbox. */
    webhooks: section({
      enabled: Type.Boolean({ default: true }),
      pollIntervalMs: integer(100, 60_000, 1000),
      deliveryTimeoutMs: integer(1000, 60_000, 10_000),
      /** Deliveries under way at once, across all endpoints. */
      concurrency: integer(1, 256, 8),
      /** How much of a receiver's answer is read (it is only logged); the rest is dropped. */
      responseBytesMax: integer(0, 1_048_576, 4096),
      /** The wait before the first retry of a failed delivery; each later retry waits twice as long (at most 6 h), for up to 3 days. */
      firstRetryMs: integer(1000, 60_000, 30_000),
      /** Delivered and cancelled deliveries (and their tries) are deleted this long after they ended; dead ones stay until replayed. */
      retentionDays: integer(1, 3650, 30),
      /** How long a rotated-out secret still signs beside the new one. */
      secretOverlapMs: integer(0, 7 * 86_400_000, 86_400_000),
    }),
    fees: section({
      plansFile: filePathSchema,
      settlementTimeZone: timeZoneSchema,
      holidayCalendarFile: filePathSchema,
      settleMode: enumOf(['t1', 'd0'] as const, 't1'),
    }),
    // Reconciliation with the channels (docs/reconciliation.md).
    reconciliation: section({
      /** A folder of `<channel>.json` format files (layout, tolerance, cut-off); a channel without one uses the default CSV. */
      formatsDir: filePathSchema,
      /** A folder watched for clearing files named `<channel>_<YYYYMMDD>.<ext>`; imported files move to `done/` or `failed/`. */
      dropFolder: filePathSchema,
      dropPollIntervalMs: integer(1000, 3_600_000, 30_000),
      /** Lines one clearing file may hold. */
      linesMax: integer(1, 20_000_000, 5_000_000),
      /** An open discrepancy older than this raises `recon.discrepancy_overdue` once. */
      openBoundMs: integer(60_000, 2_592_000_000, 172_800_000),
      overdueCheckIntervalMs: integer(1000, 86_400_000, 300_000),
    }),
  },
  { additionalProperties: false },
);

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type ConfigShape = Static<typeof configSchema>;

/** The validated, defaulted and deep-frozen configuration every part of reswipe reads. */
type RawChannelShape = ConfigShape['channels'][number];
/** A card channel (protocol iso8583): host and port are guaranteed by validateConfig. */
type CardChannelShape = Omit<RawChannelShape, 'host' | 'port' | (typeof qrOnlyChannelKeys)[number]> & { protocol: 'iso8583'; host: string; port: number };
/** A QR provider channel (docs/qr-payments.md): the credentials its protocol needs are guaranteed by validateConfig. */
type QrChannelShape = Pick<RawChannelShape, 'name' | 'timeoutMs' | 'priority' | 'disabled' | 'contacts' | 'signType' | 'certFile' | 'certPassword' | 'mchId' | 'key' | 'privateKeyFile' | 'alipayPublicKeyFile'> & {
  protocol: Exclude<ChannelProtocol, 'iso8583'>;
  baseUrl: string;
  appId: string;
};

export type ReswipeConfig = DeepReadonly<
  Omit<ConfigShape, 'security' | 'channels'> & {
    /** The ISO 8583 host-link channels (cards and UnionPay QR), in config order. */
    channels: CardChannelShape[];
    /** The QR provider channels (`channels[]` entries with protocol wechatpay-v2 or alipay), in config order. */
    qrChannels: QrChannelShape[];
    security: {
      /** HMAC key for PAN fingerprints. A secret: `config print` masks it. */
      panKey: string;
      /** The id stored with every fingerprint made under panKey (panKeyIdOf). */
      panKeyId: string;
      /** Earlier keys with their ids, newest first: lookups only. Secrets: `config print` masks each `key`. */
      panKeysRetired: ReadonlyArray<{ id: string; key: string }>;
      /** True when no key was configured and the development key is in use; `serve` refuses it outside development mode. */
      panKeyIsDefault: boolean;
      /** True only where development conveniences were asked for explicitly (the demo, the tests). */
      developmentMode: boolean;
      /** Local master key for terminal keys (hex), or a file holding it; see docs/terminal-keys.md. */
      terminalMasterKey?: string;
      terminalMasterKeyFile?: string;
    };
  }
>;
export type DatabaseConfig = ReswipeConfig['database'];
export type EngineConfig = ReswipeConfig['engine'];
export type ListenerConfig = ReswipeConfig['listeners'][number];
export type ChannelConfig = ReswipeConfig['channels'][number];
export type QrChannelConfig = ReswipeConfig['qrChannels'][number];
export type FramingConfig = ChannelConfig['framing'];
export type MerchantConfig = ReswipeConfig['merchants'][number];
export type LogLevel = ReswipeConfig['log']['level'];

/** Validates raw configuration (parsed file + env + flags), fills defaults, checks relations, and returns it deep-frozen. Throws ReswipeError naming the key path. */
export function validateConfig(raw: unknown): ReswipeConfig {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) {
    throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: '(root)', reason: 'must be a mapping of keys' });
  }
  const panKeyGiven = isPlainObject(raw.security) && raw.security.panKey !== undefined;
  const filled: unknown = fillDefaults(configSchema, raw);
  const firstError = Value.Errors(configSchema, filled).First();
  if (firstError !== undefined) throw toReswipeError(firstError);
  const shape = orderLikeSchema(configSchema, filled) as ConfigShape;
  const panKey = shape.security.panKey ?? developmentPanKey;
  const { cardChannels, qrChannels } = splitChannels(shape.channels);
  const config = {
    ...shape,
    channels: cardChannels,
    qrChannels,
    security: {
      panKey,
      panKeyId: panKeyIdOf(panKey),
      panKeysRetired: shape.security.panKeysRetired.map((key) => ({ id: panKeyIdOf(key), key })),
      panKeyIsDefault: !panKeyGiven,
      developmentMode: shape.security.developmentMode,
      ...(shape.security.terminalMasterKey === undefined ? {} : { terminalMasterKey: shape.security.terminalMasterKey }),
      ...(shape.security.terminalMasterKeyFile === undefined ? {} : { terminalMasterKeyFile: shape.security.terminalMasterKeyFile }),
    },
  };
  checkPanKeys(shape.security);
  checkValues(config);
  checkRelations(config);
  checkHttpExposure(config);
  checkAlertRules(config.alerts.rules);
  return deepFreeze(config) as ReswipeConfig;
}

/**
 * Splits `channels[]` by protocol, checking that each has the keys its protocol needs and none it does
 * not use: a card channel its host and port, a WeChat Pay channel its appId, mchId and key, an Alipay
 * channel its appId and key files. Errors name the key (`channels[2].mchId`).
 */
function splitChannels(channels: readonly RawChannelShape[]): { cardChannels: CardChannelShape[]; qrChannels: QrChannelShape[] } {
  const cardChannels: CardChannelShape[] = [];
  const qrChannels: QrChannelShape[] = [];
  channels.forEach((channel, index) => {
    const field = `channels[${index}]`;
    const given = (key: string): boolean => (channel as Record<string, unknown>)[key] !== undefined;
    if (channel.protocol === 'iso8583') {
      for (const key of ['host', 'port']) if (!given(key)) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: `${field}.${key}`, reason: 'is required for protocol iso8583' });
      for (const key of qrOnlyChannelKeys) if (given(key)) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: `${field}.${key}`, reason: 'is only for QR provider channels (protocol wechatpay-v2 or alipay)' });
      const { baseUrl: _b, appId: _a, mchId: _m, key: _k, signType: _s, certFile: _c, certPassword: _p, privateKeyFile: _f, alipayPublicKeyFile: _y, ...card } = channel;
      cardChannels.push({ ...card, protocol: 'iso8583', host: channel.host!, port: channel.port! });
      return;
    }
    const protocol = channel.protocol;
    for (const key of qrRequiredChannelKeys[protocol]) if (!given(key)) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: `${field}.${key}`, reason: `is required for protocol ${protocol}` });
    for (const key of ['host', 'port', ...qrOnlyChannelKeys.filter((k) => !qrAllowedChannelKeys[protocol].includes(k))]) {
      if (given(key)) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: `${field}.${key}`, reason: `is not used by protocol ${protocol}` });
    }
    qrChannels.push({
      name: channel.name,
      protocol,
      baseUrl: channel.baseUrl!,
      appId: channel.appId!,
      timeoutMs: channel.timeoutMs,
      priority: channel.priority,
      disabled: channel.disabled,
      contacts: channel.contacts,
      ...(channel.mchId === undefined ? {} : { mchId: channel.mchId }),
      ...(channel.key === undefined ? {} : { key: channel.key }),
      ...(channel.signType === undefined ? {} : { signType: channel.signType }),
      ...(channel.certFile === undefined ? {} : { certFile: channel.certFile }),
      ...(channel.certPassword === undefined ? {} : { certPassword: channel.certPassword }),
      ...(channel.privateKeyFile === undefined ? {} : { privateKeyFile: channel.privateKeyFile }),
      ...(channel.alipayPublicKeyFile === undefined ? {} : { alipayPublicKeyFile: channel.alipayPublicKeyFile }),
    });
  });
  return { cardChannels, qrChannels };
}

/** The configuration as a file would say it: QR channels back in `channels[]` (for `reswipe config print`). */
export function configAsWritten(config: ReswipeConfig): unknown {
  const { qrChannels, ...rest } = config;
  return { ...rest, channels: [...config.channels, ...qrChannels] };
}

/** Alert rules are checked by their own schema (src/core/alerts/alert-rule.ts), so `config check` catches a bad rule too. */
function checkAlertRules(rules: readonly unknown[]): void {
  try {
    parseAlertRules(rules, 'alerts.rules');
  } catch (error) {
    if (error instanceof AlertRuleProblem) throw new ReswipeError('RSW_ALERT_RULE_INVALID', { field: error.field, reason: error.reason });
    throw error;
  }
}

/** Turns a TypeBox JSON pointer (`/channels/1/timeoutMs`) into the key path people write (`channels[1].timeoutMs`). */
export function formatKeyPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(root)';
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^[0-9]+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

/**
 * The schema at a key path (`['engine', 'terminalTimeoutMs']`, `['listeners', 0, 'port']`), or undefined when
 * no such key exists. The loader uses it to map environment variables and convert their text by type.
 */
export function schemaAtPath(path: readonly (string | number)[]): TSchema | undefined {
  let schema: TSchema | undefined = configSchema;
  for (const segment of path) {
    if (schema === undefined) return undefined;
    if (schema.type === 'array' && typeof segment === 'number') schema = schema.items as TSchema | undefined;
    else if (schema.type === 'object' && typeof segment === 'string' && Object.hasOwn(schema.properties ?? {}, segment)) schema = schema.properties[segment] as TSchema;
    else return undefined;
  }
  return schema;
}

/** Every leaf key as documented: `http.port`, `listeners[].framing.length`. docs/configuration.md is tested against it. */
export function configKeyPaths(schema: TSchema = configSchema, prefix = ''): string[] {
  if (schema.type === 'object') {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, child]) => configKeyPaths(child, prefix === '' ? key : `${prefix}.${key}`));
  }
  if (schema.type === 'array' && (schema.items as TSchema).type === 'object') return configKeyPaths(schema.items as TSchema, `${prefix}[]`);
  return [prefix];
}

/** One phrase saying what a schema accepts, for error messages. */
export function describeExpectation(schema: TSchema): string {
  if (typeof schema.expected === 'string') return schema.expected;
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((member: TSchema) => typeof member.const === 'string')) {
    return `must be one of ${schema.anyOf.map((member: TSchema) => `'${member.const as string}'`).join(', ')}`;
  }
  switch (schema.type) {
    case 'integer':
      return `must be an integer from ${schema.minimum as number} to ${schema.maximum as number}`;
    case 'number':
      return 'must be a number';
    case 'boolean':
      return 'must be true or false';
    case 'string':
      return `must be text of ${schema.minLength as number} to ${schema.maxLength as number} characters`;
    case 'array':
      return `must be a list of at most ${schema.maxItems as number} items${schema.uniqueItems === true ? ', none repeated' : ''}`;
    case 'object':
      return 'must be a mapping of keys';
    default:
      return 'has an invalid value';
  }
}

function toReswipeError(error: ValueError): ReswipeError {
  const field = formatKeyPath(error.path);
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const parent = error.path.slice(0, error.path.lastIndexOf('/'));
    const key = error.path.slice(error.path.lastIndexOf('/') + 1);
    const known = Object.keys(schemaAtPath(parsePointer(parent))?.properties ?? {});
    const near = known.find((candidate) => isNearMiss(candidate, key));
    return new ReswipeError('RSW_CONFIG_UNKNOWN_KEY', { field, hint: near === undefined ? '' : ` (did you mean ${near}?)` });
  }
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    return new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field, reason: `is required and ${describeExpectation(error.schema)}` });
  }
  if (error.type === ValueErrorType.ArrayUniqueItems) {
    return new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field, reason: 'must not repeat an item' });
  }
  return new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field, reason: describeExpectation(error.schema) });
}

function parsePointer(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => (/^[0-9]+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/** Same letters ignoring case, or one edit apart: enough to catch `timeoutMS` and `timoutMs`. */
function isNearMiss(candidate: string, key: string): boolean {
  const a = candidate.toLowerCase();
  const b = key.toLowerCase();
  if (a === b) return true;
  if (a.length === b.length) {
    const differences = [...a].flatMap((letter, index) => (letter === b[index] ? [] : [index]));
    const [first, second] = differences;
    if (differences.length === 2 && first !== undefined && second === first + 1 && a[first] === b[second] && a[second] === b[first]) return true;
  }
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  let j = 0;
  while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j += 1;
  return a.length - i - j <= 1 && b.length - i - j <= 1;
}

type CheckedConfig = Omit<ConfigShape, 'security' | 'channels'> & { channels: readonly CardChannelShape[]; qrChannels: readonly QrChannelShape[] };

/** A retired key is not the current one; outside development mode every configured card-fingerprint key must be a real key (panKeyWeakness). */
function checkPanKeys(security: ConfigShape['security']): void {
  if (security.panKey !== undefined && security.panKeysRetired.includes(security.panKey)) {
    throw new ReswipeError('RSW_CONFIG_RELATION', { field: 'security.panKeysRetired', reason: 'must not repeat the current security.panKey' });
  }
  if (security.developmentMode) return;
  const keys: Array<[string, string | undefined]> = [['security.panKey', security.panKey], ...security.panKeysRetired.map((key, index): [string, string] => [`security.panKeysRetired[${index}]`, key])];
  for (const [field, key] of keys) {
    const weakness = key === undefined ? null : panKeyWeakness(key);
    if (weakness !== null) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field, reason: weakness });
  }
}

/**
 * `serve` (and `config check`, which answers whether `serve` would start) refuse the development key
 * unless development mode says so: with a public key, a stored masked PAN and its fingerprint give the PAN back.
 */
export function requirePanKey(config: ReswipeConfig): void {
  if (config.security.panKeyIsDefault && !config.security.developmentMode) {
    throw new ReswipeError('RSW_CONFIG_PAN_KEY_REQUIRED', { field: 'security.panKey' });
  }
}

/** Single-value checks the schema language cannot say: dialect names or files, time zones. */
function checkValues(config: CheckedConfig): void {
  const checkDialect = (dialect: string, field: string): void => {
    if ((builtInDialects as readonly string[]).includes(dialect) || dialect.endsWith('.json')) return;
    throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', {
      field,
      reason: `must be ${builtInDialects.map((name) => `'${name}'`).join(' or ')} or a path to a dialect .json file`,
    });
  };
  config.listeners.forEach((listener, index) => checkDialect(listener.dialect, `listeners[${index}].dialect`));
  config.channels.forEach((channel, index) => checkDialect(channel.dialect, `channels[${index}].dialect`));
  config.merchants.forEach((merchant, index) => {
    // The name is stored and shown in the console: it must never carry a card number (docs/card-data.md).
    if (hasPanLikeRun(merchant.name)) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: `merchants[${index}].name`, reason: 'must not hold a card number' });
  });
  config.drills.schedule.forEach((entry, index) => {
    const parsed = parseCron(entry.cron);
    if ('error' in parsed) throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: `drills.schedule[${index}].cron`, reason: parsed.error });
  });
  if (!isTimeZone(config.fees.settlementTimeZone)) {
    throw new ReswipeError('RSW_CONFIG_INVALID_VALUE', { field: 'fees.settlementTimeZone', reason: 'must be an IANA time zone such as Asia/Shanghai' });
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const wildcardHosts = new Set(['0.0.0.0', '::', '[::]']);

function hostsOverlap(a: string, b: string): boolean {
  return a === b || wildcardHosts.has(a) || wildcardHosts.has(b);
}

/** Relations between values. Each failure names the later of the two keys, the one to change. */
function checkRelations(config: CheckedConfig): void {
  const relation = (field: string, reason: string): never => {
    throw new ReswipeError('RSW_CONFIG_RELATION', { field, reason });
  };
  const { engine } = config;

  // A lease shorter than two heartbeats expires on one late heartbeat: live nodes would be taken over.
  if (config.node.leaseMs < 2 * config.node.heartbeatIntervalMs) {
    relation('node.leaseMs', `(${config.node.leaseMs}) must be at least twice node.heartbeatIntervalMs (${config.node.heartbeatIntervalMs})`);
  }

  if (engine.reversal.backoffMs > engine.reversal.backoffMsMax) {
    relation('engine.reversal.backoffMs', `(${engine.reversal.backoffMs}) must not exceed engine.reversal.backoffMsMax (${engine.reversal.backoffMsMax})`);
  }

  const checkFraming = (framing: ConfigShape['channels'][number]['framing'], field: string): void => {
    if (framing.length === 'ascii4' && framing.frameBytesMax > frameBytesMaxAscii4) {
      relation(`${field}.frameBytesMax`, `(${framing.frameBytesMax}) must be at most ${frameBytesMaxAscii4} with ascii4 framing (a 4-digit length)`);
    }
  };

  const listenerNames = new Map<string, number>();
  config.listeners.forEach((listener, index) => {
    const field = `listeners[${index}]`;
    const earlier = listenerNames.get(listener.name);
    if (earlier !== undefined) relation(`${field}.name`, `'${listener.name}' is already used by listeners[${earlier}]`);
    listenerNames.set(listener.name, index);
    checkFraming(listener.framing, `${field}.framing`);
    if (listener.port !== 0) {
      const other = config.listeners.findIndex((candidate, otherIndex) => otherIndex < index && candidate.port === listener.port);
      if (other !== -1) relation(`${field}.port`, `${listener.port} is already used by listeners[${other}]`);
      if (listener.port === config.http.port && hostsOverlap(listener.host, config.http.host)) {
        relation(`${field}.port`, `${listener.port} is already used by http.port on the same host`);
      }
    }
  });

  const { operations } = config.http;
  if (operations.mode === 'listener' && operations.port !== 0 && operations.port === config.http.port && hostsOverlap(operations.host, config.http.host)) {
    relation('http.operations.port', `${operations.port} is already used by http.port on the same host`);
  }

  const channelNames = new Map<string, number>();
  config.channels.forEach((channel, index) => {
    const field = `channels[${index}]`;
    const earlier = channelNames.get(channel.name);
    if (earlier !== undefined) relation(`${field}.name`, `'${channel.name}' is already used by channels[${earlier}]`);
    channelNames.set(channel.name, index);
    checkFraming(channel.framing, `${field}.framing`);
    const tls = channel.tls;
    if (tls !== undefined && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      relation(`${field}.tls.${tls.certFile === undefined ? 'certFile' : 'keyFile'}`, 'must be given with the other: a client certificate needs its private key');
    }
    if (channel.timeoutMs + terminalReplyMarginMs > engine.terminalTimeoutMs) {
      relation(
        `${field}.timeoutMs`,
        `(${channel.timeoutMs}) plus ${terminalReplyMarginMs} ms to answer the terminal must not exceed engine.terminalTimeoutMs (${engine.terminalTimeoutMs})`,
      );
    }
  });

  const merchantIds = new Map<string, number>();
  const terminalOwners = new Map<string, number>();
  config.merchants.forEach((merchant, index) => {
    const field = `merchants[${index}]`;
    const earlier = merchantIds.get(merchant.id);
    if (earlier !== undefined) relation(`${field}.id`, `'${merchant.id}' is already used by merchants[${earlier}]`);
    merchantIds.set(merchant.id, index);
    merchant.terminals.forEach((terminalId, terminalIndex) => {
      const owner = terminalOwners.get(terminalId);
      if (owner !== undefined && owner !== index) {
        relation(`${field}.terminals[${terminalIndex}]`, `terminal '${terminalId}' already belongs to merchants[${owner}]`);
      }
      terminalOwners.set(terminalId, index);
    });
    const { perSaleMinor, perDayMinor, perMonthMinor } = merchant.limits;
    if (perSaleMinor !== undefined && perDayMinor !== undefined && perSaleMinor > perDayMinor) {
      relation(`${field}.limits.perSaleMinor`, `(${perSaleMinor}) must not exceed limits.perDayMinor (${perDayMinor})`);
    }
    if (perDayMinor !== undefined && perMonthMinor !== undefined && perDayMinor > perMonthMinor) {
      relation(`${field}.limits.perDayMinor`, `(${perDayMinor}) must not exceed limits.perMonthMinor (${perMonthMinor})`);
    }
    if (perSaleMinor !== undefined && perMonthMinor !== undefined && perSaleMinor > perMonthMinor) {
      relation(`${field}.limits.perSaleMinor`, `(${perSaleMinor}) must not exceed limits.perMonthMinor (${perMonthMinor})`);
    }
  });
}

/**
 * The HTTP API carries card numbers and API keys: reachable from other machines, it must speak TLS,
 * unless the operator says a TLS terminator in front does (http.allowPlaintext).
 */
function checkHttpExposure(config: CheckedConfig): void {
  const { http } = config;
  if (http.tls !== undefined || http.allowPlaintext || isLoopbackHost(http.host)) return;
  throw new ReswipeError('RSW_CONFIG_HTTP_TLS_REQUIRED', { field: 'http.tls', host: http.host });
}

/** True for addresses only this machine can reach. Any other name counts as reachable, the safe side. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * A copy of the input with defaults filled where a key is absent. Written here rather than using TypeBox's
 * Value.Default, which merges a list into an object default (and an object into a list default) instead of
 * leaving the wrong type for the checker to report. Values of the wrong type are copied unchanged.
 */
function fillDefaults(schema: TSchema, value: unknown): unknown {
  const current = value === undefined && 'default' in schema ? structuredClone(schema.default as unknown) : value;
  if (schema.type === 'object' && isPlainObject(current)) {
    const copy: Record<string, unknown> = { ...current };
    for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
      const filledChild = fillDefaults(child, current[key]);
      if (filledChild !== undefined) copy[key] = filledChild;
    }
    return copy;
  }
  if (schema.type === 'array' && Array.isArray(current)) return current.map((item) => fillDefaults(schema.items as TSchema, item));
  return current;
}

/** Rebuilds objects with keys in schema order, so printed configs read the same whatever order the input used. */
function orderLikeSchema(schema: TSchema, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => orderLikeSchema(schema.items as TSchema, item));
  if (!isPlainObject(value) || schema.type !== 'object') return value;
  const ordered: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
    if (value[key] !== undefined) ordered[key] = orderLikeSchema(child, value[key]);
  }
  return ordered;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
