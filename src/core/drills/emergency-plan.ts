// A merchant's emergency plan (应急预案) read from the configuration (docs/drills.md#the-emergency-plan):
// which banks take its cards and in what order, what reswipe switches by itself and how fast, what the
// cashier says and does, and whom to call. Pure: the CLI hands in the config, the routing rules and
// the BIN table.
import type { ReswipeConfig } from '../config/config-schema.ts';
import type { BinTable } from '../cards/card-info.ts';
import { chooseRoute } from '../routing/choose-route.ts';
import type { RoutingRules } from '../routing/routing-rules.ts';
import { SeededRandom } from '../time/random.ts';
import type { BilingualText, CardBrand, CardType } from '../vocabulary.ts';

export interface PlanContact {
  for: string;
  name: string;
  role: string;
  phone: string;
  email: string | null;
}

export interface EmergencyPlan {
  merchant: { id: string; name: string; accepts: readonly string[] };
  /** For each kind of card the merchant accepts: the channels a sale tries, best first. */
  routes: Array<{ cards: string; channels: string[]; rule: string }>;
  automatic: BilingualText[];
  cashier: BilingualText[];
  contacts: PlanContact[];
  issuerHotlines: Array<{ issuer: string; issuerZh: string | null; hotline: string }>;
}

const qrMethods = ['wechat', 'alipay', 'unionpay-qr', 'digital-rmb'];
const cardKinds: ReadonlyArray<{ brand: CardBrand; types: readonly CardType[] }> = [
  { brand: 'unionpay', types: ['debit', 'credit'] },
  { brand: 'visa', types: ['credit', 'debit'] },
  { brand: 'mastercard', types: ['credit', 'debit'] },
];

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}` : (ms / 1000).toFixed(1);
}

export function buildEmergencyPlan(config: ReswipeConfig, merchantId: string, rules: RoutingRules | null, binTable: BinTable): EmergencyPlan | null {
  const merchant = config.merchants.find((candidate) => candidate.id === merchantId);
  if (merchant === undefined) return null;
  const accepts = merchant.accepts as readonly string[];
  const routes: EmergencyPlan['routes'] = [];
  for (const kind of cardKinds) {
    for (const type of kind.types) {
      if (!accepts.includes(type)) continue;
      const choice = chooseRoute(rules, { brand: kind.brand, cardType: type, bin: '', amountMinor: 10_000, merchantId, mcc: merchant.mcc }, config.channels, new SeededRandom(1));
      routes.push({ cards: `${kind.brand} ${type}`, channels: choice.channels.map((channel) => channel.name), rule: choice.rule });
    }
  }
  const breaker = config.routing.breaker;
  const reversal = config.engine.reversal;
  const automatic: BilingualText[] = [
    {
      zh: `某家银行连续失败 ${breaker.failuresMax} 次（或失败率超过 ${breaker.failureRateMaxBps / 100}%）即熔断，新交易自动走下一家银行；${seconds(breaker.openMs)} 秒后试探恢复，连续成功 ${breaker.halfOpenSuccessesMin} 笔即切回。`,
      en: `A bank that fails ${breaker.failuresMax} times in a row (or above ${breaker.failureRateMaxBps / 100} % of attempts) is cut out and new sales go to the next bank; after ${seconds(breaker.openMs)} s it is tried again and taken back after ${breaker.halfOpenSuccessesMin} successes.`,
    },
    {
      zh: '请求未发出（连接不上）：立即换下一家银行重试，顾客无感知。',
      en: 'A request that never left (no connection): retried at once on the next bank; the customer does not notice.',
    },
    {
      zh: `结果未知（超时、断线）：先冲正，银行确认冲正后才会在终端时限（${seconds(config.engine.terminalTimeoutMs)} 秒）内换一家银行重新发起，绝不重复扣款；冲正最多重试 ${reversal.triesMax} 次，仍无结果转人工处理。`,
      en: `Unknown outcome (timeout, dropped line): reversed first; only once the bank confirms the reversal is the sale tried again on another bank, within the terminal's ${seconds(config.engine.terminalTimeoutMs)} s; never charged twice. A reversal is tried up to ${reversal.triesMax} times, then handed to manual handling.`,
    },
    {
      zh: `同一张卡同一金额 ${seconds(config.engine.reswipeGuardWindowMs)} 秒内再次刷卡，而上一笔结果未知时：终端提示等待，不会二次扣款。`,
      en: `The same card and amount swiped again within ${seconds(config.engine.reswipeGuardWindowMs)} s while the first sale is unknown: the terminal is told to wait; no second charge.`,
    },
  ];
  const acceptsQr = accepts.some((method) => qrMethods.includes(method));
  const cashier: BilingualText[] = [
    { zh: '终端显示"请稍候/结果未知"（98）：不要让顾客重新刷卡；在终端或管理后台查询上一笔交易状态。', en: 'The terminal says WAIT / result unknown (98): do not let the customer swipe again; look up the last sale on the terminal or in the console.' },
    { zh: '终端显示"可立即重试"：可以马上再刷一次；显示"稍后重试"：按提示时间等待。', en: 'NOW on the terminal: swiping again at once is safe; LATER: wait the time it shows.' },
    {
      zh: acceptsQr ? '网络或银行故障持续：请顾客改用扫码支付（微信、支付宝、银联二维码），或换卡、现金。' : '网络或银行故障持续：请顾客换卡或用现金；本商户未开通扫码支付。',
      en: acceptsQr ? 'Network or bank trouble that lasts: offer QR payment (WeChat Pay, Alipay, UnionPay QR), another card or cash.' : 'Network or bank trouble that lasts: offer another card or cash; this merchant does not take QR payments.',
    },
    { zh: '卡片状态问题（挂失、冻结、过期）：请顾客致电发卡行客服（见下表）。', en: "Card status problems (reported lost, frozen, expired): the customer calls the card issuer's hotline (below)." },
  ];
  const onRoute = new Set(routes.flatMap((route) => route.channels));
  const contacts: PlanContact[] = [];
  for (const channel of config.channels) {
    if (!onRoute.has(channel.name)) continue;
    for (const contact of channel.contacts) contacts.push({ for: `bank ${channel.name}`, name: contact.name, role: contact.role, phone: contact.phone, email: contact.email ?? null });
  }
  for (const contact of config.contacts.acquirer) contacts.push({ for: 'acquirer', name: contact.name, role: contact.role, phone: contact.phone, email: contact.email ?? null });
  for (const contact of config.contacts.posProviders) contacts.push({ for: 'POS provider', name: contact.name, role: contact.role, phone: contact.phone, email: contact.email ?? null });
  const hotlines = new Map<string, EmergencyPlan['issuerHotlines'][number]>();
  for (const entry of binTable.entries) {
    if (entry.hotline === undefined || hotlines.has(entry.hotline)) continue;
    hotlines.set(entry.hotline, { issuer: entry.issuer, issuerZh: entry.issuerZh ?? null, hotline: entry.hotline });
  }
  return { merchant: { id: merchant.id, name: merchant.name, accepts }, routes, automatic, cashier, contacts, issuerHotlines: [...hotlines.values()] };
}

export function formatEmergencyPlan(plan: EmergencyPlan, language: 'zh' | 'en'): string {
  const zh = language === 'zh';
  const lines: string[] = [];
  lines.push(zh ? `应急预案：${plan.merchant.name}（${plan.merchant.id}）` : `Emergency plan: ${plan.merchant.name} (${plan.merchant.id})`, '');
  lines.push(zh ? '一、交易走哪家银行（按顺序）' : '1. Which banks take the cards, in order');
  for (const route of plan.routes) lines.push(`   ${route.cards.padEnd(18)} ${route.channels.length === 0 ? (zh ? '（无可用通道：本地拒绝）' : '(no channel: declined locally)') : route.channels.join(' -> ')}   [${route.rule}]`);
  lines.push('', zh ? '二、系统自动处理' : '2. What switches automatically');
  for (const text of plan.automatic) lines.push(`   - ${zh ? text.zh : text.en}`);
  lines.push('', zh ? '三、收银员怎么做' : '3. What the cashier says and does');
  for (const text of plan.cashier) lines.push(`   - ${zh ? text.zh : text.en}`);
  lines.push('', zh ? '四、联系谁' : '4. Whom to call');
  if (plan.contacts.length === 0) lines.push(zh ? '   （未配置：在配置文件 channels[].contacts 与 contacts 中填写）' : '   (none configured: add channels[].contacts and contacts to the configuration)');
  for (const contact of plan.contacts) lines.push(`   ${contact.for.padEnd(16)} ${contact.name}${contact.role === '' ? '' : ` (${contact.role})`}  ${contact.phone}${contact.email === null ? '' : `  ${contact.email}`}`);
  lines.push('', zh ? '五、发卡行客服电话' : "5. Card issuers' hotlines");
  for (const hotline of plan.issuerHotlines) lines.push(`   ${(zh ? (hotline.issuerZh ?? hotline.issuer) : hotline.issuer).padEnd(zh ? 12 : 48)} ${hotline.hotline}`);
  return `${lines.join('\n')}\n`;
}
