// The sender the outbox worker uses: a webhook is signed (Reswipe-Signature over the stored body) and
// POSTed to its endpoint; a chat message goes to its robot (DingTalk's URL and Feishu's body signed
// at each try, since both check the timestamp); a mail goes over SMTP. Nothing here decides retries.
import type { OutboxRecord } from '../../core/ports/notification-store.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import { signatureHeaderName, webhookSignatureHeader } from '../../core/webhooks/webhook-signature.ts';
import { dingTalkSignedUrl, feishuSignedBody } from '../../core/alerts/alert-message.ts';
import { httpPost } from '../../adapters/notify/http-post.ts';
import { sendMail, type SmtpSettings } from '../../adapters/notify/smtp-client.ts';
import type { DeliverySender, TryResult } from './outbox-worker.ts';
import { liveSigningSecrets } from './webhook-secrets.ts';

/** A chat robot or mail target as configured (secrets already read from their files). */
export interface NotifyTarget {
  readonly name: string;
  readonly kind: 'wecom' | 'dingtalk' | 'feishu' | 'email';
  readonly url?: string;
  readonly secret?: string;
  readonly to: readonly string[];
  readonly language: 'zh-CN' | 'en';
  readonly minSeverity: 'critical' | 'warning' | 'info';
}

export interface SenderDeps {
  store: Store;
  clock: Clock;
  vault: TerminalKeyVault | null;
  targets: ReadonlyMap<string, NotifyTarget>;
  smtp: SmtpSettings | null;
  timeoutMs: number;
  responseBytesMax: number;
}

export function createDeliverySender(deps: SenderDeps): DeliverySender {
  const post = (url: string, body: string, headers?: Record<string, string>): Promise<TryResult> => httpPost(url, body, { timeoutMs: deps.timeoutMs, responseBytesMax: deps.responseBytesMax, ...(headers === undefined ? {} : { headers }) });
  return async (delivery: OutboxRecord): Promise<TryResult> => {
    const nowMs = deps.clock.nowMs();
    switch (delivery.channel) {
      case 'webhook': {
        const endpoint = await deps.store.getWebhookEndpoint(delivery.targetId);
        if (endpoint === null || endpoint.deletedAtMs !== null) return { ok: false, status: null, error: 'the endpoint was deleted', durationMs: 0 };
        if (deps.vault === null) return { ok: false, status: null, error: 'no local master key to open the signing secret', durationMs: 0 };
        const header = webhookSignatureHeader(liveSigningSecrets(deps.vault, endpoint, nowMs).slice(0, 4), Math.floor(nowMs / 1000), delivery.body);
        return post(endpoint.url, delivery.body, { [signatureHeaderName]: header, 'reswipe-event-id': delivery.eventId, 'reswipe-event-type': delivery.eventType });
      }
      case 'chat': {
        const target = deps.targets.get(delivery.targetId);
        if (target?.url === undefined) return { ok: false, status: null, error: `no chat target ${delivery.targetId} in the config`, durationMs: 0 };
        const body = JSON.parse(delivery.body) as Record<string, unknown>;
        if (target.kind === 'dingtalk' && target.secret !== undefined) return checkRobotAnswer(await post(dingTalkSignedUrl(target.url, target.secret, nowMs), delivery.body));
        if (target.kind === 'feishu' && target.secret !== undefined) return checkRobotAnswer(await post(target.url, JSON.stringify(feishuSignedBody(body, target.secret, Math.floor(nowMs / 1000)))));
        return checkRobotAnswer(await post(target.url, delivery.body));
      }
      case 'email': {
        const target = deps.targets.get(delivery.targetId);
        if (target === undefined || deps.smtp === null) return { ok: false, status: null, error: 'no mail target or alerts.smtp in the config', durationMs: 0 };
        const started = performance.now();
        const mail = JSON.parse(delivery.body) as { subject: string; text: string };
        const result = await sendMail(deps.smtp, { to: target.to, subject: mail.subject, text: mail.text, id: delivery.eventId });
        return { ok: result.ok, status: result.code, error: result.error, durationMs: performance.now() - started };
      }
      default: {
        const unknown: never = delivery.channel;
        return { ok: false, status: null, error: `unknown channel ${String(unknown)}`, durationMs: 0 };
      }
    }
  };
}

/** The robots answer HTTP 200 with an error code in the body (errcode / code != 0) when they refuse a message. */
function checkRobotAnswer(result: TryResult & { responseText?: string }): TryResult {
  if (!result.ok || result.responseText === undefined || result.responseText === '') return result;
  try {
    const answer = JSON.parse(result.responseText) as { errcode?: number; code?: number; errmsg?: string; msg?: string };
    const code = answer.errcode ?? answer.code ?? 0;
    if (code !== 0) return { ...result, ok: false, error: `robot refused: ${code} ${(answer.errmsg ?? answer.msg ?? '').slice(0, 150)}` };
  } catch {
    // Not JSON: the HTTP status stands.
  }
  return result;
}
