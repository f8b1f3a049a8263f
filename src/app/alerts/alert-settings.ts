// The alert settings of a running gateway, from the validated config: the shipped rules with the
// config's rules replacing them by id (checked by the rule schema, errors naming `alerts.rules[i]`),
// and the chat and mail targets with their secrets read from files where given.
import { readFileSync, statSync } from 'node:fs';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { AlertRuleProblem, mergeAlertRules, parseAlertRule, parseAlertRules, type AlertRule } from '../../core/alerts/alert-rule.ts';
import { defaultAlertRules } from '../../core/alerts/default-alert-rules.ts';
import type { AlertRuleOverrideRecord } from '../../core/ports/notification-store.ts';
import type { SmtpSettings } from '../../adapters/notify/smtp-client.ts';
import type { NotifyTarget } from '../webhooks/send-delivery.ts';

/** Turns a rule problem into the catalogue error. */
export function alertRuleError(problem: unknown): unknown {
  return problem instanceof AlertRuleProblem ? new ReswipeError('RSW_ALERT_RULE_INVALID', { field: problem.field, reason: problem.reason }) : problem;
}

export function configuredAlertRules(config: ReswipeConfig): AlertRule[] {
  try {
    return mergeAlertRules(defaultAlertRules, parseAlertRules(config.alerts.rules as unknown[], 'alerts.rules'));
  } catch (error) {
    throw alertRuleError(error);
  }
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

function readSecretFile(path: string, target: string): string {
  try {
    if ((statSync(path).mode & 0o077) !== 0) throw new ReswipeError('RSW_ALERT_TARGET_SECRET', { target, reason: `${path} is readable by others; chmod 600` });
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if (error instanceof ReswipeError) throw error;
    throw new ReswipeError('RSW_ALERT_TARGET_SECRET', { target, reason: `${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}` });
  }
}

export function notifyTargetsFromConfig(config: ReswipeConfig): Map<string, NotifyTarget> {
  const targets = new Map<string, NotifyTarget>();
  for (const target of config.alerts.targets) {
    if (target.kind !== 'email' && target.url === undefined) throw new ReswipeError('RSW_ALERT_TARGET_SECRET', { target: target.name, reason: 'a chat robot needs its url' });
    if (target.kind === 'email' && target.to.length === 0) throw new ReswipeError('RSW_ALERT_TARGET_SECRET', { target: target.name, reason: 'a mail target needs at least one address in `to`' });
    if (target.url !== undefined && target.url.startsWith('http:') && !config.security.developmentMode) throw new ReswipeError('RSW_ALERT_TARGET_SECRET', { target: target.name, reason: 'the robot url must be https (plain http only in development mode)' });
    const secret = target.secret ?? (target.secretFile === undefined ? undefined : readSecretFile(target.secretFile, target.name));
    targets.set(target.name, { name: target.name, kind: target.kind, to: [...target.to], language: target.language, minSeverity: target.minSeverity, ...(target.url === undefined ? {} : { url: target.url }), ...(secret === undefined ? {} : { secret }) });
  }
  return targets;
}

export function smtpFromConfig(config: ReswipeConfig): SmtpSettings | null {
  const smtp = config.alerts.smtp;
  if (smtp === undefined) return null;
  if (smtp.security === 'none' && !config.security.developmentMode && !['127.0.0.1', '::1', 'localhost'].includes(smtp.host)) {
    throw new ReswipeError('RSW_ALERT_TARGET_SECRET', { target: 'smtp', reason: 'security none is allowed only for a relay on loopback, or in development mode' });
  }
  const password = smtp.password ?? (smtp.passwordFile === undefined ? undefined : readSecretFile(smtp.passwordFile, 'smtp'));
  return { host: smtp.host, port: smtp.port, security: smtp.security, from: smtp.from, timeoutMs: smtp.timeoutMs, ...(smtp.username === undefined ? {} : { username: smtp.username }), ...(password === undefined ? {} : { password }) };
}
