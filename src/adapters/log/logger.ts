// The one logger: pino writing JSON lines (docs/decisions/pino.md). It must never emit a PAN, CVV,
// track data or a PIN block (money-safety invariant 5), so every argument of every log call and
// every child binding passes through redactForLog before pino sees it: values under sensitive keys
// are replaced, every string has its PAN-like digit runs masked, and raw bytes are summarised.
import { hostname } from 'node:os';
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { maskPan, maskPansInText } from '../../core/cards/pan.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { maskSecretsInText } from '../../core/config/mask-config-secrets.ts';

export type Logger = PinoLogger;

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface CreateLoggerOptions {
  /** One of logLevels; usually config.log.level. */
  readonly level: string;
  /** A stream, or a file descriptor (1 = stdout, 2 = stderr). Defaults to stdout. */
  readonly destination?: NodeJS.WritableStream | number | undefined;
  /** Added to every line as `name`, for example the command (`serve`, `issuer-sim`). */
  readonly name?: string | undefined;
  /** Added to every line besides pino's pid and hostname: `node`, the gateway node id (docs/cluster.md). */
  readonly base?: Readonly<Record<string, string>> | undefined;
}

/** The placeholder that replaces a sensitive value. */
export const redactedText = '[redacted]';

// Keys are compared lower-cased with `_` and `-` removed, so `card_number`, `cardNumber` and `CARD-NUMBER` all match.
const sensitiveKeys = new Set([
  'pan',
  'cardnumber',
  'cardno',
  'primaryaccountnumber',
  'accountnumber',
  'track1',
  'track2',
  'track3',
  'track2data',
  'track2equivalent',
  'trackdata',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'cvn',
  'cid',
  'securitycode',
  'pin',
  'pinblock',
  'panrevealed',
  // Credentials: an API key or a password must never reach a log line, whatever key it travels under.
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'clientsecret',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'xapikey',
  'pankey',
  'pankeysretired',
  'mackey',
  'privatekey',
  // ISO 8583 data elements that carry card data: DE 2 (PAN), 35/36/45 (track 2/3/1), 52 (PIN block), 55 (ICC data, holds track 2 equivalent).
  'de2',
  'de35',
  'de36',
  'de45',
  'de52',
  'de55',
  'field2',
  'field35',
  'field36',
  'field45',
  'field52',
  'field55',
]);
const sensitiveDataElementKeys = new Set(['2', '35', '36', '45', '52', '55']);
/** Sensitive only under a card-ish parent: `card.number`, `card.cvv`. */
const sensitiveChildKeys = new Set(['number', 'digits', 'track', 'security']);
const cardParentKeys = new Set(['card', 'cardholder', 'payer', 'source']);

const depthMax = 8;
const itemsMax = 200;
const panLikeNumberMin = 1e13;

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

function isSensitiveKey(key: string, parentKey: string | undefined, value: unknown): boolean {
  const normalised = normaliseKey(key);
  if (sensitiveKeys.has(normalised)) return true;
  if (sensitiveDataElementKeys.has(key) && typeof value === 'string') return true;
  return parentKey !== undefined && cardParentKeys.has(normaliseKey(parentKey)) && sensitiveChildKeys.has(normalised);
}

/**
 * Returns a copy of a value that is safe to log: sensitive keys redacted at any depth, PAN-like digit runs
 * in strings (and PAN-sized integers) masked, buffers summarised, errors flattened. Bounded in depth and width.
 */
export function redactForLog(value: unknown): unknown {
  return redact(value, undefined, 0, new WeakSet());
}

function redact(value: unknown, parentKey: string | undefined, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskPansInText(maskSecretsInText(value));
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) >= panLikeNumberMin ? maskPan(String(Math.abs(value))) : value;
  if (typeof value === 'bigint') return maskPansInText(value.toString());
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= depthMax) return '[too deep]';
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  seen.add(value);
  try {
    if (value instanceof Error) {
      const flat: Record<string, unknown> = { type: value.name, message: maskPansInText(maskSecretsInText(value.message)) };
      if (value.stack !== undefined) flat.stack = maskPansInText(maskSecretsInText(value.stack));
      if (value instanceof ReswipeError) {
        flat.code = value.code;
        if (value.field !== undefined) flat.field = maskPansInText(value.field);
      } else {
        const code: unknown = (value as unknown as { code?: unknown }).code;
        if (typeof code === 'string') flat.code = code;
      }
      if (value.cause !== undefined) flat.cause = redact(value.cause, 'cause', depth + 1, seen);
      return flat;
    }
    // Objects that print themselves (CardNumber prints masked, Date prints ISO) are logged as they print.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return redact((value as { toJSON: () => unknown }).toJSON(), parentKey, depth + 1, seen);
    }
    if (Array.isArray(value)) {
      const items = value.slice(0, itemsMax).map((item) => redact(item, parentKey, depth + 1, seen));
      if (value.length > itemsMax) items.push(`[${value.length - itemsMax} more]`);
      return items;
    }
    if (value instanceof Map) return redact(Object.fromEntries(value), parentKey, depth, seen);
    if (value instanceof Set) return redact([...value], parentKey, depth, seen);
    const copy: Record<string, unknown> = {};
    let count = 0;
    for (const [key, child] of Object.entries(value)) {
      count += 1;
      if (count > itemsMax) {
        copy['[more keys]'] = Object.keys(value).length - itemsMax;
        break;
      }
      copy[maskPansInText(key)] = isSensitiveKey(key, parentKey, child) ? redactedText : redact(child, key, depth + 1, seen);
    }
    return copy;
  } finally {
    seen.delete(value);
  }
}

/** Creates the JSON-lines logger; every call and binding is redacted before it is written. */
export function createLogger(options: CreateLoggerOptions): Logger {
  if (!(logLevels as readonly string[]).includes(options.level)) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'log.level', reason: `must be one of ${logLevels.join(', ')}` });
  }
  const pinoOptions: LoggerOptions = {
    level: options.level,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.base === undefined ? {} : { base: { pid: process.pid, hostname: hostname(), ...options.base } }),
    formatters: {
      bindings: (bindings) => redactForLog(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const safe = (args as unknown[]).map((arg) => redactForLog(arg));
        return method.apply(this, safe as Parameters<typeof method>);
      },
    },
  };
  const destination = options.destination ?? 1;
  const logger =
    typeof destination === 'number'
      ? pino(pinoOptions, pino.destination({ dest: destination, sync: true }))
      : pino(pinoOptions, destination as NodeJS.WritableStream & { write(chunk: string): boolean });
  // pino applies formatters.bindings to the root's bindings only, so child bindings are redacted here.
  // Children are created with Object.create(parent), so they inherit these wrappers too.
  const childOriginal = logger.child;
  const setBindingsOriginal = logger.setBindings;
  const wrapped = logger as unknown as Record<string, unknown>;
  wrapped.child = function child(this: Logger, bindings: Record<string, unknown>, childOptions?: unknown) {
    return (childOriginal as unknown as (...args: unknown[]) => Logger).call(this, redactForLog(bindings), childOptions);
  };
  wrapped.setBindings = function setBindings(this: Logger, bindings: Record<string, unknown>) {
    (setBindingsOriginal as unknown as (...args: unknown[]) => void).call(this, redactForLog(bindings));
  };
  return logger;
}
