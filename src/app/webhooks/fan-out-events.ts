// Reads the event stream after the `webhooks` cursor and queues one delivery per event and subscribed
// endpoint, advancing the cursor in the same write: a crash between two pages replays from the last
// committed cursor, and the outbox's (target, event id) key makes the replay add nothing. Runs off the
// sale's path (a timer in the outbox worker); a sale only appends its event.
import { pendingDelivery } from '../../core/webhooks/pending-delivery.ts';
import { randomBytes } from 'node:crypto';
import { endpointWantsEvent, webhookBodyOf, webhookEventIdOf } from '../../core/webhooks/webhook-endpoint.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';

export const webhookCursorName = 'webhooks';

/** Fans out at most one page of events; returns how many events it read (0 when caught up). */
export async function fanOutEvents(deps: { store: Store; clock: Clock }, pageSize = 200): Promise<number> {
  const cursor = await deps.store.getConsumerCursor(webhookCursorName);
  // A gateway that gets its first endpoint does not owe it the whole history: the cursor starts at the stream's end.
  if (cursor === null) {
    const latest = await deps.store.latestEventSeq();
    await deps.store.write((tx) => tx.setConsumerCursor({ name: webhookCursorName, seq: latest, state: null, updatedAtMs: deps.clock.nowMs() }));
    return 0;
  }
  const events = await deps.store.listEvents(cursor.seq, pageSize);
  if (events.length === 0) return 0;
  const endpoints = (await deps.store.listWebhookEndpoints()).filter((endpoint) => endpoint.deletedAtMs === null);
  const nowMs = deps.clock.nowMs();
  await deps.store.write(async (tx) => {
    // Another node may have moved the cursor meanwhile: only the events after the committed cursor are ours.
    const committed = (await tx.getConsumerCursor(webhookCursorName))?.seq ?? cursor.seq;
    for (const event of events) {
      if (event.seq <= committed) continue;
      for (const endpoint of endpoints) {
        if (!endpointWantsEvent(endpoint.eventTypes, event.type) || endpoint.createdAtMs > event.atMs) continue;
        const eventId = webhookEventIdOf(event.seq);
        await tx.insertOutbox(
          pendingDelivery(
            {
              id: `dlv_${randomBytes(10).toString('hex')}`,
              channel: 'webhook',
              targetId: endpoint.id,
              eventId,
              eventType: event.type,
              body: webhookBodyOf({ id: eventId, type: event.type, subjectId: event.subjectId, payload: event.payload, atMs: event.atMs }),
            },
            nowMs,
          ),
        );
      }
    }
    const last = events[events.length - 1]?.seq ?? committed;
    await tx.setConsumerCursor({ name: webhookCursorName, seq: Math.max(last, committed), state: null, updatedAtMs: nowMs });
  });
  return events.length;
}
