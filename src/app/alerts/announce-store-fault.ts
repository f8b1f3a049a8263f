// The one notice that cannot go through the outbox: when the store refuses writes, nothing can be
// queued in it, so the alert evaluator's run fails. This sends a critical store_refusing_writes notice
// straight to the chat and mail targets, once per fault and process (a write fault is sticky until
// the store is reopened, that is until a restart), best effort and without retries. Everything else
// (webhooks, the resolved notice) waits for the store.
import type { AlertNotification } from '../../core/alerts/alert-model.ts';
import { runbookPathOf } from '../../core/alerts/alert-model.ts';
import { severityRank } from '../../core/alerts/alert-rule.ts';
import { chatBodyOf, mailOf, renderAlert } from '../../core/alerts/alert-message.ts';
import type { OutboxRecord } from '../../core/ports/notification-store.ts';
import type { DeliverySender } from '../webhooks/outbox-worker.ts';
import type { NotifyTarget } from '../webhooks/send-delivery.ts';

export async function announceStoreFault(deps: { targets: ReadonlyMap<string, NotifyTarget>; send: DeliverySender; runbookBaseUrl: string; nowMs: number; fault: string }): Promise<number> {
  const notification: AlertNotification = {
    alertId: `alr_store_${deps.nowMs}`,
    status: 'firing',
    repeat: false,
    ruleId: 'store-refusing-writes',
    kind: 'store_refusing_writes',
    severity: 'critical',
    labels: { store: 'primary' },
    members: 1,
    detail: { members: [{ store: 'primary', fault: deps.fault.slice(0, 200), delivery: 'direct: the outbox is in the store that refuses writes' }] },
    startedAtMs: deps.nowMs,
    atMs: deps.nowMs,
    runbook: runbookPathOf('store_refusing_writes'),
  };
  let sent = 0;
  for (const target of deps.targets.values()) {
    if (severityRank(notification.severity) > severityRank(target.minSeverity)) continue;
    const rendered = renderAlert(notification, target.language, `${deps.runbookBaseUrl}${notification.runbook}`);
    const delivery: OutboxRecord = {
      id: `direct_${target.name}`,
      channel: target.kind === 'email' ? 'email' : 'chat',
      targetId: target.name,
      eventId: `${notification.alertId}:firing`,
      eventType: 'alert.firing',
      body: JSON.stringify(target.kind === 'email' ? mailOf(rendered) : chatBodyOf(target.kind, rendered)),
      state: 'pending',
      tries: 0,
      nextAtMs: deps.nowMs,
      createdAtMs: deps.nowMs,
      updatedAtMs: deps.nowMs,
      deliveredAtMs: null,
      lastStatus: null,
      lastError: null,
    };
    const result = await deps.send(delivery).catch(() => ({ ok: false }));
    if (result.ok) sent += 1;
  }
  return sent;
}
