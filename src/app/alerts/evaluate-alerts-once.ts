// One run of the alert evaluator, off the sale's path: read the events after its cursor and the
// store's counts, run the pure step (src/core/alerts/evaluate-alerts.ts), then write in ONE store
// write the new state and cursor, the changed alerts, an `alert.firing` / `alert.resolved` event per
// notification (so webhooks carry alerts too) and one outbox row per chat or mail target. A crash
// before the write repeats the run from the old cursor; after it, nothing is sent twice beyond the
// outbox's at-least-once.
import { pendingDelivery } from '../../core/webhooks/pending-delivery.ts';
import { randomBytes } from 'node:crypto';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { evaluateAlerts, type AlertObservations } from '../../core/alerts/evaluate-alerts.ts';
import { emptyAlertEvaluatorState, isAlertEvaluatorState, type AlertEvaluatorState } from '../../core/alerts/alert-state.ts';
import { severityRank, type AlertRule } from '../../core/alerts/alert-rule.ts';
import { chatBodyOf, mailOf, renderAlert } from '../../core/alerts/alert-message.ts';
import type { AlertNotification } from '../../core/alerts/alert-model.ts';
import type { NotifyTarget } from '../webhooks/send-delivery.ts';
import { effectiveAlertRules } from './alert-settings.ts';

export const alertCursorName = 'alerts';
/**
 * Events one run takes in; a run that took this many is followed by another at once (AlertWorker). A
 * run's pure step holds the event loop, and so every terminal's answer, for all the events it takes:
 * at 1 500 sales/s a 15 s interval brings 22 500 `payment.completed` events, and taking 20 000 of them
 * in one run held the loop for 0.6-1.3 s on the loaded machine of 2026-12-06, 0.07-0.3 s with 5 000
 * (docs/benchmarks.md, "The tail and the projectors' lag"), for the cost of a few more runs (a read of
 * the state, a few counts, one write each).
 */
export const eventsPerRunMax = 5_000;
/** Events read per statement; the loop gets a turn between two reads. */
const eventsPerPage = 1_000;

/** Lets the event loop run what waits (terminals' frames, answers) between two synchronous stretches of a run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface AlertRunDeps {
  store: Store;
  clock: Clock;
  configuredRules: readonly AlertRule[];
  targets: ReadonlyMap<string, NotifyTarget>;
  runbookBaseUrl: string;
  /** The breaker windows of this node's channels. */
  channelWindows: () => AlertObservations['channelWindows'];
}

/**
 * The state of a first run: the evaluator starts at the stream's end (an upgraded gateway does not
 * replay months of history into stale alerts), with the payments already waiting in manual handling
 * taken from the store, since their events are behind the cursor.
 */
async function firstState(store: Store): Promise<AlertEvaluatorState> {
  const cursor = await store.latestEventSeq();
  const flagged = await store.listManualHandlingPayments(1000);
  const conditions = Object.fromEntries(
    flagged.map((payment) => [`manual|${payment.id}`, { source: 'manual' as const, labels: { paymentId: payment.id, channel: '' }, sinceMs: payment.manualHandlingSinceMs ?? payment.updatedAtMs, detail: {} }]),
  );
  return { ...emptyAlertEvaluatorState, cursor, conditions };
}

export async function evaluateAlertsOnce(deps: AlertRunDeps): Promise<{ notifications: readonly AlertNotification[]; caughtUp: boolean }> {
  const { store, clock } = deps;
  const cursor = await store.getConsumerCursor(alertCursorName);
  const state: AlertEvaluatorState = cursor === null ? await firstState(store) : isAlertEvaluatorState(cursor.state) ? cursor.state : { ...emptyAlertEvaluatorState, cursor: cursor.seq };
  const events = [];
  for (let after = state.cursor; events.length < eventsPerRunMax; ) {
    // On SQLite a read runs synchronously: without a turn between them, the pages of a run were one stretch.
    if (events.length > 0) await nextTurn();
    const page = await store.listEvents(after, Math.min(eventsPerPage, eventsPerRunMax - events.length));
    events.push(...page);
    const last = page[page.length - 1];
    if (last === undefined || page.length < eventsPerPage) break;
    after = last.seq;
  }
  const nowMs = clock.nowMs();
  const rules = effectiveAlertRules(deps.configuredRules, await store.listAlertRuleOverrides());
  const evaluation = evaluateAlerts({
    state,
    rules,
    firing: await store.listAlerts({ limit: 1000, state: 'firing' }),
    silences: await store.listSilences(nowMs),
    observations: { events, reversalQueue: await store.reversalQueueStats(), storeWriteFault: store.writeFault?.() ?? null, channelWindows: deps.channelWindows() },
    nowMs,
  });
  // Several gateway nodes run the evaluator on one database: the cursor is compare-and-set, so one run
  // per state commits and the others' notices are never queued twice. (A clock that did not move since
  // the last run would make the compare ambiguous, so the write time is always later than the last.)
  const writtenAtMs = Math.max(nowMs, (cursor?.updatedAtMs ?? 0) + 1);
  const committed = await store.write(async (tx) => {
    const won = await tx.compareAndSetConsumerCursor({ name: alertCursorName, seq: evaluation.state.cursor, state: evaluation.state as unknown as Record<string, unknown>, updatedAtMs: writtenAtMs }, cursor?.updatedAtMs ?? null);
    if (!won) return false;
    for (const alert of evaluation.changed) await tx.upsertAlert(alert);
    for (const notification of evaluation.notifications) {
      const noticeId = `${notification.alertId}:${notification.status}:${notification.atMs}`;
      await tx.appendEvent({ type: `alert.${notification.status}`, subjectId: notification.alertId, payload: { ...notification, runbook: `${deps.runbookBaseUrl}${notification.runbook}` }, atMs: nowMs });
      for (const target of deps.targets.values()) {
        if (severityRank(notification.severity) > severityRank(target.minSeverity)) continue;
        const rendered = renderAlert(notification, target.language, `${deps.runbookBaseUrl}${notification.runbook}`);
        const body = target.kind === 'email' ? JSON.stringify(mailOf(rendered)) : JSON.stringify(chatBodyOf(target.kind, rendered));
        await tx.insertOutbox(
          pendingDelivery(
            {
              id: `dlv_${randomBytes(10).toString('hex')}`,
              channel: target.kind === 'email' ? 'email' : 'chat',
              targetId: target.name,
              eventId: noticeId,
              eventType: `alert.${notification.status}`,
              body,
            },
            nowMs,
          ),
        );
      }
    }
    return true;
  });
  // Another node committed this step first: its notices stand, this run's are dropped; the next run reads its state.
  if (!committed) return { notifications: [], caughtUp: true };
  return { notifications: evaluation.notifications, caughtUp: events.length < eventsPerRunMax };
}
