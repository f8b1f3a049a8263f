// Names of the article's five failure causes (issue #15, docs/analytics.md) in both languages, for the
// console and the CSV export.
import type { BilingualText } from '../vocabulary.ts';
import type { ArticleCause } from './rollup.ts';

export const articleCauseLabels: Readonly<Record<ArticleCause, BilingualText>> = Object.freeze({
  card_data: { zh: '卡片信息错误', en: 'Card data' },
  balance: { zh: '余额或额度不足', en: 'Balance' },
  network: { zh: '网络或系统', en: 'Network' },
  merchant_permission: { zh: '商户权限', en: 'Merchant permission' },
  card_status: { zh: '卡片状态', en: 'Card status' },
  other: { zh: '其他', en: 'Other' },
});
