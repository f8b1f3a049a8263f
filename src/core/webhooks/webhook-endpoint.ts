// Webhook endpoints as operators register them (POST /v1/webhook-endpoints): where deliveries go and
// which event types they take. The checks are pure so the HTTP route, the CLI and the tests share them.
// Secure by default: a URL must be https, unless the gateway runs in development mode; it may not
// carry credentials (the signature authenticates reswipe to the receiver, not the other way round).

export const webhookUrlCharsMax = 2048;
export const webhookEventTypesMax = 64;
export const webhookDescriptionCharsMax = 200;
/** Endpoints one gateway keeps; each event fans out to every subscribed one, so the count is bounded. */
export const webhookEndpointsMax = 100;

/** Every event type of the stream a receiver may subscribe to (docs/events.md), plus the alert notices and the test send. */
export const webhookEventTypes = [
  'payment.completed',
  'payment.unknown',
  'payment.reversed',
  'payment.manual_handling',
  'payment.manual_retry',
  'payment.manual_resolved',
  'payment.late_reply',
  'payment.reversal_requested',
  'payment.reswipe_blocked',
  'payment.double_approval',
  'reversal.queued',
  'reversal.reopened',
  'channel.opened',
  'channel.half_open',
  'channel.closed',
  'channel.circuit_forced',
  'channel.drained',
  'channel.undrained',
  'terminal.quiet',
  'terminal.unhealthy',
  'terminal.recovered',
  'terminal.mac_rejected',
  'batch.settled',
  'batch.unbalanced',
  'fee.failed',
  'alert.firing',
  'alert.resolved',
  'webhook.test',
] as const;

/** `*` subscribes to every type, including types added later. */
export const allEventTypes = '*';

export interface WebhookEndpointInput {
  url: string;
  eventTypes: readonly string[];
  description?: string;
}

export interface EndpointProblem {
  field: string;
  reason: string;
}

/** Why a URL cannot receive webhooks, or null. */
export function webhookUrlProblem(url: string, options: { developmentMode: boolean }): string | null {
  if (url.length > webhookUrlCharsMax) return `must be at most ${webhookUrlCharsMax} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an https URL';
  if (parsed.protocol === 'http:' && !options.developmentMode) return 'must be https (plain http only in development mode)';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password; receivers verify the Reswipe-Signature header instead';
  if (parsed.hash !== '') return 'must not have a #fragment';
  if (parsed.hostname === '') return 'must name a host';
  return null;
}

/** The first problem of an endpoint registration, or null. */
export function webhookEndpointProblem(input: WebhookEndpointInput, options: { developmentMode: boolean }): EndpointProblem | null {
  const urlProblem = webhookUrlProblem(input.url, options);
  if (urlProblem !== null) return { field: 'url', reason: urlProblem };
  if (input.eventTypes.length === 0) return { field: 'eventTypes', reason: 'name at least one event type, or "*" for all' };
  if (input.eventTypes.length > webhookEventTypesMax) return { field: 'eventTypes', reason: `at most ${webhookEventTypesMax} types` };
  if (new Set(input.eventTypes).size !== input.eventTypes.length) return { field: 'eventTypes', reason: 'a type is named twice' };
  for (const type of input.eventTypes) {
    if (type === allEventTypes) {
      if (input.eventTypes.length > 1) return { field: 'eventTypes', reason: '"*" already takes every type; give it alone' };
      continue;
    }
    if (!(webhookEventTypes as readonly string[]).includes(type)) return { field: 'eventTypes', reason: `unknown event type '${type}' (known: ${webhookEventTypes.join(', ')})` };
  }
  if (input.description !== undefined && input.description.length > webhookDescriptionCharsMax) return { field: 'description', reason: `at most ${webhookDescriptionCharsMax} characters` };
  return null;
}

/** True when an endpoint subscribed to these types takes an event of `type`. */
export function endpointWantsEvent(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.includes(allEventTypes) ? type !== 'webhook.test' : eventTypes.includes(type);
}

/** The id a receiver de-duplicates on: one per stream event, the same on every retry and replay. */
export function webhookEventIdOf(seq: number): string {
  return `evt_${seq}`;
}

/** The JSON body of a delivery: written once when the delivery is queued, sent byte for byte on every try. */
export function webhookBodyOf(event: { id: string; type: string; subjectId: string | null; payload: Record<string, unknown>; atMs: number }): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: new Date(event.atMs).toISOString(), subjectId: event.subjectId, data: event.payload });
}
