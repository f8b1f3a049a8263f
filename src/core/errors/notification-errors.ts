import { defineErrors } from './error-definition.ts';

/**
 * Errors of alerts and webhooks (docs/alerts.md, docs/webhooks.md): rules, silences and webhook
 * endpoints as operators change them. Codes are stable: add new ones, never rename or reuse.
 */
export const notificationErrors = defineErrors([
  {
    code: 'RSW_ALERT_RULE_INVALID',
    messageTemplate: 'alert rule {field}: {reason}',
    httpStatus: 400,
    description: 'An alert rule (in `alerts.rules`, or sent to PUT /v1/alert-rules/{id}) breaks the rule schema; the field and reason say what to fix (docs/alerts.md lists each kind\'s parameters).',
  },
  {
    code: 'RSW_ALERT_RULE_NOT_FOUND',
    messageTemplate: 'no alert rule {id}',
    httpStatus: 404,
    description: 'The rule id is neither shipped, configured nor created through the API; GET /v1/alert-rules lists them.',
  },
  {
    code: 'RSW_ALERT_NOT_FOUND',
    messageTemplate: 'no alert {id}',
    httpStatus: 404,
    description: 'The alert id is unknown; GET /v1/alerts lists alerts, newest first.',
  },
  {
    code: 'RSW_SILENCE_INVALID',
    messageTemplate: 'silence {field}: {reason}',
    httpStatus: 400,
    description: 'A silence must name a rule, a kind or labels, give a reason, and last at most 30 days.',
  },
  {
    code: 'RSW_SILENCE_NOT_FOUND',
    messageTemplate: 'no silence {id} in force',
    httpStatus: 404,
    description: 'The silence is unknown or already over.',
  },
  {
    code: 'RSW_WEBHOOK_ENDPOINT_INVALID',
    messageTemplate: 'webhook endpoint {field}: {reason}',
    httpStatus: 400,
    description: 'A webhook endpoint needs an https URL without credentials (plain http only in development mode) and known event types (docs/webhooks.md).',
  },
  {
    code: 'RSW_WEBHOOK_ENDPOINT_NOT_FOUND',
    messageTemplate: 'no webhook endpoint {id}',
    httpStatus: 404,
    description: 'The endpoint id is unknown or the endpoint was deleted; GET /v1/webhook-endpoints lists them.',
  },
  {
    code: 'RSW_WEBHOOK_ENDPOINTS_FULL',
    messageTemplate: 'at most {max} webhook endpoints',
    httpStatus: 409,
    description: 'Every event fans out to every endpoint, so their number is bounded; delete one that is no longer used.',
  },
  {
    code: 'RSW_ALERT_TARGET_SECRET',
    messageTemplate: 'alerts target {target}: {reason}',
    httpStatus: 500,
    description: 'A chat robot secret or SMTP password file named in the config could not be read (missing, or readable by others: chmod 600).',
  },
]);
