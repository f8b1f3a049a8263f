// Routing rules as data: which upstream channels a sale may take, chosen by card brand, card type,
// BIN prefix, amount, merchant and MCC. The document is validated once on load (validateRoutingRules
// names the path of the bad entry, e.g. `rules[2].channels[0].weight`) and then frozen. Pure: no I/O.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { cardBrands, cardTypes, isMember, type CardBrand, type CardType } from '../vocabulary.ts';

/** One channel of a route: lower priority is tried first; among equal priorities the weight picks. */
export interface RouteChannel {
  readonly name: string;
  readonly priority: number;
  readonly weight: number;
}

/** Conditions of a rule; every condition given must hold. An absent condition matches anything. */
export interface RouteMatch {
  readonly brands?: readonly CardBrand[];
  readonly cardTypes?: readonly CardType[];
  /** BIN prefixes, 1 to 8 digits; the longest prefix matching the card wins across rules. */
  readonly binPrefixes?: readonly string[];
  /** Inclusive bounds in minor units. */
  readonly amountMinorMin?: number;
  readonly amountMinorMax?: number;
  readonly merchantIds?: readonly string[];
  readonly mccs?: readonly string[];
}

export interface RouteRule {
  readonly name: string;
  readonly match: RouteMatch;
  readonly channels: readonly RouteChannel[];
}

export interface RoutingRules {
  readonly rules: readonly RouteRule[];
  /** The route when no rule matches; null means "every enabled channel by its configured priority". */
  readonly defaultRoute: readonly RouteChannel[] | null;
}

export const routeRulesMax = 1_000;
export const routeChannelsMax = 64;
export const routeListItemsMax = 10_000;

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const matchKeys = ['brands', 'cardTypes', 'binPrefixes', 'amountMinorMin', 'amountMinorMax', 'merchantIds', 'mccs'] as const;

/**
 * Validates a routing document (parsed JSON or YAML) and returns it frozen. `knownChannels`, when given,
 * is the set of configured channel names: a route naming another channel is an error.
 */
export function validateRoutingRules(raw: unknown, knownChannels?: ReadonlySet<string>): RoutingRules {
  const root = expectObject(raw, '(root)');
  allowKeys(root, ['rules', 'defaultRoute'], '');
  const rulesRaw = root.rules ?? [];
  if (!Array.isArray(rulesRaw)) fail('rules', 'must be a list of rules');
  if (rulesRaw.length > routeRulesMax) fail('rules', `must have at most ${routeRulesMax} rules`);
  const names = new Set<string>();
  const rules = rulesRaw.map((entry, index) => {
    const path = `rules[${index}]`;
    const rule = expectObject(entry, path);
    allowKeys(rule, ['name', 'match', 'channels'], `${path}.`);
    const name = rule.name;
    if (typeof name !== 'string' || !namePattern.test(name)) fail(`${path}.name`, 'must be 1 to 64 letters, digits, "_", "." or "-"');
    if (names.has(name)) fail(`${path}.name`, `repeats the rule name "${name}"`);
    names.add(name);
    return { name, match: validateMatch(rule.match ?? {}, `${path}.match`), channels: validateChannels(rule.channels, `${path}.channels`, knownChannels) };
  });
  const defaultRoute = root.defaultRoute === undefined || root.defaultRoute === null ? null : validateChannels(root.defaultRoute, 'defaultRoute', knownChannels);
  return deepFreeze({ rules, defaultRoute });
}

function validateMatch(raw: unknown, path: string): RouteMatch {
  const match = expectObject(raw, path);
  allowKeys(match, matchKeys, `${path}.`);
  const out: { -readonly [K in keyof RouteMatch]: RouteMatch[K] } = {};
  if (match.brands !== undefined) out.brands = stringList(match.brands, `${path}.brands`, (value) => isMember(cardBrands, value), `one of ${cardBrands.join(', ')}`) as CardBrand[];
  if (match.cardTypes !== undefined) out.cardTypes = stringList(match.cardTypes, `${path}.cardTypes`, (value) => isMember(cardTypes, value), `one of ${cardTypes.join(', ')}`) as CardType[];
  if (match.binPrefixes !== undefined) out.binPrefixes = stringList(match.binPrefixes, `${path}.binPrefixes`, (value) => /^[0-9]{1,8}$/.test(value), '1 to 8 digits');
  if (match.merchantIds !== undefined) out.merchantIds = stringList(match.merchantIds, `${path}.merchantIds`, (value) => value.length >= 1 && value.length <= 15, '1 to 15 characters');
  if (match.mccs !== undefined) out.mccs = stringList(match.mccs, `${path}.mccs`, (value) => /^[0-9]{4}$/.test(value), '4 digits');
  if (match.amountMinorMin !== undefined) out.amountMinorMin = amount(match.amountMinorMin, `${path}.amountMinorMin`);
  if (match.amountMinorMax !== undefined) out.amountMinorMax = amount(match.amountMinorMax, `${path}.amountMinorMax`);
  if (out.amountMinorMin !== undefined && out.amountMinorMax !== undefined && out.amountMinorMin > out.amountMinorMax) {
    fail(`${path}.amountMinorMax`, 'must not be below amountMinorMin');
  }
  return out;
}

function validateChannels(raw: unknown, path: string, knownChannels: ReadonlySet<string> | undefined): RouteChannel[] {
  if (!Array.isArray(raw) || raw.length === 0) fail(path, 'must be a non-empty list of channels');
  if (raw.length > routeChannelsMax) fail(path, `must have at most ${routeChannelsMax} channels`);
  const seen = new Set<string>();
  return raw.map((entry, index) => {
    const itemPath = `${path}[${index}]`;
    // A bare name is shorthand for { name, priority: position + 1, weight: 1 }.
    const item = typeof entry === 'string' ? { name: entry, priority: index + 1 } : expectObject(entry, itemPath);
    allowKeys(item, ['name', 'priority', 'weight'], `${itemPath}.`);
    const name = item.name;
    if (typeof name !== 'string' || !namePattern.test(name)) fail(`${itemPath}.name`, 'must be a channel name');
    if (knownChannels !== undefined && !knownChannels.has(name)) fail(`${itemPath}.name`, `names channel "${name}", which is not configured`);
    if (seen.has(name)) fail(`${itemPath}.name`, `repeats channel "${name}"`);
    seen.add(name);
    const priority = item.priority ?? 1;
    const weight = item.weight ?? 1;
    if (!(Number.isInteger(priority) && (priority as number) >= 1 && (priority as number) <= 100)) fail(`${itemPath}.priority`, 'must be an integer from 1 to 100');
    if (!(Number.isInteger(weight) && (weight as number) >= 1 && (weight as number) <= 1000)) fail(`${itemPath}.weight`, 'must be an integer from 1 to 1000');
    return { name, priority: priority as number, weight: weight as number };
  });
}

function stringList(raw: unknown, path: string, ok: (value: string) => boolean, expected: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0) fail(path, 'must be a non-empty list');
  if (raw.length > routeListItemsMax) fail(path, `must have at most ${routeListItemsMax} items`);
  return raw.map((value, index) => {
    if (typeof value !== 'string' || !ok(value)) fail(`${path}[${index}]`, `must be ${expected}`);
    return value;
  });
}

function amount(raw: unknown, path: string): number {
  if (!(typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0)) fail(path, 'must be a whole number of minor units (fen), 0 or more');
  return raw;
}

function expectObject(raw: unknown, path: string): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(path, 'must be a mapping of keys');
  return raw as Record<string, unknown>;
}

function allowKeys(object: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) fail(`${prefix}${key}`, `is not a routing key (expected one of ${allowed.join(', ')})`);
  }
}

function fail(field: string, reason: string): never {
  throw new ReswipeError('RSW_ROUTING_INVALID', { field, reason });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
