// The text of an alert notification in zh-CN and en, and its shape for each chat robot and for mail
// (docs/alerts.md "Chat and mail"). Pure: the same notification renders to the same bytes, so the
// outbox stores the rendered body once and every retry sends it unchanged. Message shapes follow the
// robots' published message formats:
// - WeCom (企业微信) group robot: {"msgtype":"markdown","markdown":{"content":...}}, content at most 4096 bytes of UTF-8.
// - DingTalk (钉钉) custom robot: {"msgtype":"markdown","markdown":{"title":...,"text":...}}; a signed
//   robot takes `timestamp` (ms) and `sign` in the URL (dingTalkSignedUrl).
// - Feishu (飞书) custom bot: {"msg_type":"text","content":{"text":...}}; a signed bot takes
//   `timestamp` (s) and `sign` in the body (feishuSignedBody).
import { createHmac } from 'node:crypto';
import type { AlertKind, AlertSeverity } from './alert-rule.ts';
import type { AlertNotification } from './alert-model.ts';

export const messageLanguages = ['zh-CN', 'en'] as const;
export type MessageLanguage = (typeof messageLanguages)[number];
export const chatKinds = ['wecom', 'dingtalk', 'feishu'] as const;
export type ChatKind = (typeof chatKinds)[number];

/** WeCom refuses markdown content over 4096 bytes; the others take more, but an alert fits well under it. */
export const chatContentBytesMax = 4000;

const kindTitles: Readonly<Record<AlertKind, Readonly<Record<MessageLanguage, string>>>> = {
  failure_rate_spike: { 'zh-CN': '失败率突增', en: 'Failure rate spike' },
  circuit_open: { 'zh-CN': '上游通道熔断', en: 'Upstream channel circuit open' },
  reversal_queue: { 'zh-CN': '冲正队列积压', en: 'Reversal queue backed up' },
  manual_handling: { 'zh-CN': '交易待人工处理', en: 'Payments in manual handling' },
  terminal_unhealthy: { 'zh-CN': '终端静默或异常', en: 'Terminal quiet or unhealthy' },
  batch_unbalanced: { 'zh-CN': '批结算不平', en: 'Batch does not balance' },
  store_refusing_writes: { 'zh-CN': '数据库拒绝写入', en: 'Store refusing writes' },
  reswipe_block_surge: { 'zh-CN': '重复刷卡拦截激增', en: 'Surge of re-swipe blocks' },
  scheme_threshold: { 'zh-CN': '商户接近卡组织阈值', en: 'Merchant nearing a scheme threshold' },
  recon_discrepancy_overdue: { 'zh-CN': '对账差错超时未处理', en: 'Reconciliation discrepancy open too long' },
};

const severityWords: Readonly<Record<AlertSeverity, Readonly<Record<MessageLanguage, string>>>> = {
  critical: { 'zh-CN': '严重', en: 'CRITICAL' },
  warning: { 'zh-CN': '警告', en: 'WARNING' },
  info: { 'zh-CN': '提示', en: 'INFO' },
};

const words = {
  firing: { 'zh-CN': '告警', en: 'FIRING' },
  repeat: { 'zh-CN': '仍在告警', en: 'STILL FIRING' },
  resolved: { 'zh-CN': '已恢复', en: 'RESOLVED' },
  since: { 'zh-CN': '开始于', en: 'since' },
  members: { 'zh-CN': '涉及对象', en: 'affected' },
  runbook: { 'zh-CN': '处置手册', en: 'Runbook' },
  rule: { 'zh-CN': '规则', en: 'rule' },
  alert: { 'zh-CN': '告警编号', en: 'alert' },
} as const;

export interface RenderedAlert {
  /** One line: severity, status, kind title and the group's labels. */
  readonly title: string;
  /** Plain-text lines (also valid markdown). */
  readonly lines: readonly string[];
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/** The words of a notification in one language; `runbookUrl` is where the runbook of its kind is read. */
export function renderAlert(notification: AlertNotification, language: MessageLanguage, runbookUrl: string): RenderedAlert {
  const status = notification.status === 'resolved' ? words.resolved[language] : notification.repeat ? words.repeat[language] : words.firing[language];
  const labels = labelsText(notification.labels);
  const title = `[${severityWords[notification.severity][language]}] ${status}: ${kindTitles[notification.kind][language]}${labels === '' ? '' : ` (${labels})`}`;
  const lines = [
    title,
    `${words.since[language]} ${new Date(notification.startedAtMs).toISOString()}${notification.status === 'resolved' ? ` → ${new Date(notification.atMs).toISOString()}` : ''}`,
    ...(notification.status === 'firing' ? [`${words.members[language]}: ${notification.members}`] : []),
    ...membersLines(notification.detail),
    `${words.rule[language]}: ${notification.ruleId} · ${words.alert[language]}: ${notification.alertId}`,
    `${words.runbook[language]}: ${runbookUrl}`,
  ];
  return { title, lines };
}

function membersLines(detail: Readonly<Record<string, unknown>>): string[] {
  const members = Array.isArray(detail.members) ? detail.members : [];
  return members.slice(0, 5).map((member) => `- ${JSON.stringify(member).slice(0, 300)}`);
}

/** Cuts a text to at most `bytesMax` bytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, bytesMax: number): string {
  if (Buffer.byteLength(text, 'utf8') <= bytesMax) return text;
  let out = '';
  let bytes = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (bytes + size > bytesMax - 3) break;
    out += character;
    bytes += size;
  }
  return `${out}…`;
}

/** The JSON body a chat robot takes for this alert. */
export function chatBodyOf(kind: ChatKind, rendered: RenderedAlert): Record<string, unknown> {
  const text = truncateUtf8(rendered.lines.join('\n'), chatContentBytesMax);
  switch (kind) {
    case 'wecom':
      return { msgtype: 'markdown', markdown: { content: truncateUtf8(rendered.lines.map((line, i) => (i === 0 ? `**${line}**` : line)).join('\n'), chatContentBytesMax) } };
    case 'dingtalk':
      // DingTalk markdown needs a blank line between paragraphs to break lines.
      return { msgtype: 'markdown', markdown: { title: truncateUtf8(rendered.title, 200), text: truncateUtf8(rendered.lines.map((line, i) => (i === 0 ? `#### ${line}` : line)).join('\n\n'), chatContentBytesMax) } };
    case 'feishu':
      return { msg_type: 'text', content: { text } };
    default: {
      const unknownKind: never = kind;
      throw new Error(`no chat body for ${String(unknownKind)}`);
    }
  }
}

/** The mail of an alert: subject and plain-text body. */
export function mailOf(rendered: RenderedAlert): { subject: string; text: string } {
  return { subject: truncateUtf8(`reswipe ${rendered.title}`, 240), text: `${rendered.lines.join('\n')}\n` };
}

/**
 * DingTalk's signed robot URL: the robot URL with `timestamp` (ms) and
 * `sign` = urlencode(base64(HMAC-SHA256(key = secret, text = timestamp + "\n" + secret))).
 * DingTalk refuses a timestamp more than an hour from its clock, so it is computed at each try.
 */
export function dingTalkSignedUrl(robotUrl: string, secret: string, timestampMs: number): string {
  const sign = createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
  const separator = robotUrl.includes('?') ? '&' : '?';
  return `${robotUrl}${separator}timestamp=${timestampMs}&sign=${encodeURIComponent(sign)}`;
}

/**
 * Feishu's signed bot body: `timestamp` (s) and `sign` = base64(HMAC-SHA256(key = timestamp + "\n" +
 * secret, text = empty)) added to the message JSON.
 */
export function feishuSignedBody(body: Record<string, unknown>, secret: string, timestampSeconds: number): Record<string, unknown> {
  const sign = createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
  return { timestamp: String(timestampSeconds), sign, ...body };
}
