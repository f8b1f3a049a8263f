// The alert rules in force, from the configured rules and those changed through the API; and the
// catalogue error for a rule that does not parse. Pure: the routes (src/adapters/http) and the alert
// evaluator (src/app/alerts) share them.
import { ReswipeError } from '../errors/reswipe-error.ts';
import type { AlertRuleOverrideRecord } from '../ports/notification-store.ts';
import { AlertRuleProblem, mergeAlertRules, parseAlertRule, type AlertRule } from './alert-rule.ts';

/** Turns a rule problem into the catalogue error. */
export function alertRuleError(problem: unknown): unknown {
  return problem instanceof AlertRuleProblem ? new ReswipeError('RSW_ALERT_RULE_INVALID', { field: problem.field, reason: problem.reason }) : problem;
}

/** The rules in force: configured ones, then those changed through the API (a stored override that no longer parses is skipped, not fatal). */
export function effectiveAlertRules(configured: readonly AlertRule[], overrides: readonly AlertRuleOverrideRecord[]): AlertRule[] {
  const parsed: AlertRule[] = [];
  for (const override of overrides) {
    try {
      parsed.push(parseAlertRule(override.rule, `override ${override.id}`));
    } catch {
      // A rule stored by a newer reswipe with a kind this one does not know: the configured rule stands.
    }
  }
  return mergeAlertRules(configured, parsed);
}
