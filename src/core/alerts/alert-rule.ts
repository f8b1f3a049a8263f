// Alert rules as data (docs/alerts.md): shipped defaults (default-alert-rules.ts), changed in the
// config (`alerts.rules`) or through the API (PUT /v1/alert-rules/{id}), validated the same way on
// every path. A rule names a kind (what is watched), a severity, how its conditions are grouped into
// one alert (`groupBy`), how often a firing alert is repeated, how long a condition must stay gone
// before the alert resolves, and the kind's own parameters. Pure: the checks are table-tested.

export const alertKinds = [
  'failure_rate_spike',
  'circuit_open',
  'reversal_queue',
  'manual_handling',
  'terminal_unhealthy',
  'batch_unbalanced',
  'store_refusing_writes',
  'reswipe_block_surge',
  // Fed by merchant standing (events merchant.standing_near / merchant.standing_over, docs/standing.md).
  'scheme_threshold',
  // A reconciliation discrepancy open longer than reconciliation.openBoundMs (docs/reconciliation.md).
  'recon_discrepancy_overdue',
] as const;
export type AlertKind = (typeof alertKinds)[number];

export const alertSeverities = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** Lower is more severe: a target with `minSeverity: warning` gets critical and warning. */
export function severityRank(severity: AlertSeverity): number {
  return alertSeverities.indexOf(severity);
}

export const alertRulesMax = 100;
export const ruleIdPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** One numeric parameter: its bounds and default. */
interface NumberParam {
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
  readonly default: number;
}
/** One parameter that picks from a fixed list. */
interface ChoiceParam {
  readonly kind: 'choice';
  readonly choices: readonly string[];
  readonly default: string;
}
/** A parameter that is a subset of a fixed list. */
interface SubsetParam {
  readonly kind: 'subset';
  readonly choices: readonly string[];
  readonly default: readonly string[];
}
type ParamSpec = NumberParam | ChoiceParam | SubsetParam;

const n = (min: number, max: number, defaultValue: number): NumberParam => ({ kind: 'number', min, max, default: defaultValue });
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** Cause categories counted as failures of the payment path (card declines such as 51 are the cardholder's business, not an incident). */
export const systemFailureCategories = ['network', 'issuer_unavailable', 'format_system', 'terminal_setup', 'other'] as const;

/** Every kind's parameters; a rule may set only these. */
export const alertParamSpecs: Readonly<Record<AlertKind, Readonly<Record<string, ParamSpec>>>> = {
  failure_rate_spike: {
    dimension: { kind: 'choice', choices: ['merchant', 'terminal', 'channel'], default: 'merchant' },
    /** The recent window whose failure rate is compared with the baseline. */
    windowMs: n(60_000, 6 * hourMs, 5 * 60_000),
    /** The history before the window that makes the subject's own baseline. */
    baselineMs: n(10 * 60_000, 7 * dayMs, hourMs),
    /** Fewer attempts than this in the window say nothing. */
    attemptsMin: n(1, 1_000_000, 20),
    /** Fires when the window's rate is at least factor × the baseline's rate (and at least rateMinBps). */
    factorPercent: n(100, 10_000, 300),
    rateMinBps: n(1, 10_000, 2000),
    /** With a baseline of fewer attempts than this, only rateWithoutBaselineBps applies. */
    baselineAttemptsMin: n(1, 10_000_000, 50),
    rateWithoutBaselineBps: n(1, 10_000, 5000),
  },
  circuit_open: {},
  reversal_queue: {
    depthMax: n(1, 10_000_000, 50),
    oldestAgeMsMax: n(1000, 7 * dayMs, 10 * 60_000),
  },
  manual_handling: {},
  terminal_unhealthy: {
    problems: { kind: 'subset', choices: ['quiet', 'unhealthy'], default: ['quiet', 'unhealthy'] },
  },
  batch_unbalanced: {},
  store_refusing_writes: {},
  reswipe_block_surge: {
    dimension: { kind: 'choice', choices: ['merchant', 'terminal'], default: 'merchant' },
    windowMs: n(60_000, 6 * hourMs, 10 * 60_000),
    countMin: n(1, 1_000_000, 10),
  },
  scheme_threshold: {},
  recon_discrepancy_overdue: {},
};

/** The labels a kind's conditions carry, so `groupBy` can name only those. */
export const alertLabels: Readonly<Record<AlertKind, readonly string[]>> = {
  failure_rate_spike: ['dimension', 'subject'],
  circuit_open: ['channel'],
  reversal_queue: ['bound'],
  manual_handling: ['paymentId', 'channel'],
  terminal_unhealthy: ['terminalId', 'merchantId', 'problem'],
  batch_unbalanced: ['terminalId', 'batchNo'],
  store_refusing_writes: ['store'],
  reswipe_block_surge: ['dimension', 'subject'],
  scheme_threshold: ['merchantId', 'measure', 'month', 'state'],
  recon_discrepancy_overdue: ['channel', 'category', 'discrepancyId'],
};

export type AlertParams = Readonly<Record<string, number | string | readonly string[]>>;

export interface AlertRule {
  readonly id: string;
  readonly kind: AlertKind;
  readonly enabled: boolean;
  readonly severity: AlertSeverity;
  /** Labels whose values make one alert: conditions with the same values share it ([] = one alert for the whole rule). */
  readonly groupBy: readonly string[];
  /** A firing alert is announced again after this long; 0 announces it once. */
  readonly repeatIntervalMs: number;
  /** A condition must be gone this long before its alert resolves (damps flapping). */
  readonly resolveAfterMs: number;
  readonly params: AlertParams;
}

export class AlertRuleProblem extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw new AlertRuleProblem(field, `must be an integer from ${min} to ${max}`);
  return value;
}

/**
 * Checks one rule as written (config, API or shipped defaults) and fills its defaults. Throws
 * AlertRuleProblem naming the field; callers turn it into RSW_ALERT_RULE_INVALID.
 */
export function parseAlertRule(raw: unknown, at = 'rule'): AlertRule {
  if (!isRecord(raw)) throw new AlertRuleProblem(at, 'must be an object');
  const known = new Set(['id', 'kind', 'enabled', 'severity', 'groupBy', 'repeatIntervalMs', 'resolveAfterMs', 'params']);
  for (const key of Object.keys(raw)) if (!known.has(key)) throw new AlertRuleProblem(`${at}.${key}`, 'is not a rule field');
  if (typeof raw.id !== 'string' || !ruleIdPattern.test(raw.id)) throw new AlertRuleProblem(`${at}.id`, 'must be 1 to 64 lower-case letters, digits, "_" or "-"');
  if (typeof raw.kind !== 'string' || !(alertKinds as readonly string[]).includes(raw.kind)) throw new AlertRuleProblem(`${at}.kind`, `must be one of ${alertKinds.join(', ')}`);
  const kind = raw.kind as AlertKind;
  const enabled = raw.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new AlertRuleProblem(`${at}.enabled`, 'must be true or false');
  const severity = raw.severity ?? 'warning';
  if (typeof severity !== 'string' || !(alertSeverities as readonly string[]).includes(severity)) throw new AlertRuleProblem(`${at}.severity`, `must be one of ${alertSeverities.join(', ')}`);
  const groupBy = raw.groupBy ?? [...alertLabels[kind]];
  if (!Array.isArray(groupBy) || groupBy.length > 8) throw new AlertRuleProblem(`${at}.groupBy`, 'must be a list of at most 8 labels');
  for (const label of groupBy) {
    if (typeof label !== 'string' || !alertLabels[kind].includes(label)) throw new AlertRuleProblem(`${at}.groupBy`, `labels of ${kind} are ${alertLabels[kind].join(', ') || 'none'}`);
  }
  if (new Set(groupBy).size !== groupBy.length) throw new AlertRuleProblem(`${at}.groupBy`, 'a label is named twice');
  const repeatIntervalMs = integerIn(raw.repeatIntervalMs ?? 4 * hourMs, `${at}.repeatIntervalMs`, 0, 7 * dayMs);
  const resolveAfterMs = integerIn(raw.resolveAfterMs ?? 0, `${at}.resolveAfterMs`, 0, dayMs);
  const rawParams = raw.params ?? {};
  if (!isRecord(rawParams)) throw new AlertRuleProblem(`${at}.params`, 'must be an object');
  const specs = alertParamSpecs[kind];
  const params: Record<string, number | string | readonly string[]> = {};
  for (const key of Object.keys(rawParams)) if (specs[key] === undefined) throw new AlertRuleProblem(`${at}.params.${key}`, `is not a parameter of ${kind} (${Object.keys(specs).join(', ') || 'it has none'})`);
  for (const [name, spec] of Object.entries(specs)) {
    const value = rawParams[name];
    const field = `${at}.params.${name}`;
    if (spec.kind === 'number') params[name] = value === undefined ? spec.default : integerIn(value, field, spec.min, spec.max);
    else if (spec.kind === 'choice') {
      if (value !== undefined && (typeof value !== 'string' || !spec.choices.includes(value))) throw new AlertRuleProblem(field, `must be one of ${spec.choices.join(', ')}`);
      params[name] = (value as string | undefined) ?? spec.default;
    } else {
      if (value !== undefined && (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string' || !spec.choices.includes(item)))) {
        throw new AlertRuleProblem(field, `must be a non-empty list of ${spec.choices.join(', ')}`);
      }
      params[name] = Object.freeze([...((value as string[] | undefined) ?? spec.default)]);
    }
  }
  if (kind === 'failure_rate_spike' && (params.windowMs as number) >= (params.baselineMs as number)) throw new AlertRuleProblem(`${at}.params.baselineMs`, 'must be longer than windowMs');
  return Object.freeze({ id: raw.id, kind, enabled, severity: severity as AlertSeverity, groupBy: Object.freeze([...(groupBy as string[])]), repeatIntervalMs, resolveAfterMs, params: Object.freeze(params) });
}

/** A rule set: each rule checked, ids unique, bounded. */
export function parseAlertRules(raw: readonly unknown[], at = 'rules'): AlertRule[] {
  if (raw.length > alertRulesMax) throw new AlertRuleProblem(at, `at most ${alertRulesMax} rules`);
  const rules = raw.map((rule, index) => parseAlertRule(rule, `${at}[${index}]`));
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.id)) throw new AlertRuleProblem(`${at}[${index}].id`, `rule id '${rule.id}' is used twice`);
    seen.add(rule.id);
  });
  return rules;
}

/** The effective rules: the base set with each override replacing the rule of the same id (or adding one). */
export function mergeAlertRules(base: readonly AlertRule[], overrides: readonly AlertRule[]): AlertRule[] {
  const byId = new Map(base.map((rule) => [rule.id, rule]));
  for (const rule of overrides) byId.set(rule.id, rule);
  if (byId.size > alertRulesMax) throw new AlertRuleProblem('rules', `at most ${alertRulesMax} rules`);
  return [...byId.values()];
}
