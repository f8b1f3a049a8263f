// zh-CN by default, en one click away; the choice is kept in localStorage. Every text is in
// locales/*.json (docs/console.md, "Texts").
import { createI18n } from 'vue-i18n';
import { ref } from 'vue';
import zhCN from './locales/zh-CN.json';
import en from './locales/en.json';

export type Locale = 'zh-CN' | 'en';
const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem('reswipe.locale');
const initial: Locale = stored === 'en' ? 'en' : 'zh-CN';

export const i18n = createI18n({ legacy: false, locale: initial, fallbackLocale: 'zh-CN', messages: { 'zh-CN': zhCN, en } });
export const currentLocale = ref<Locale>(initial);
if (typeof document !== 'undefined') document.documentElement.lang = initial;

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  currentLocale.value = locale;
  document.documentElement.lang = locale;
  localStorage.setItem('reswipe.locale', locale);
}

/** Picks the zh or en text of an API answer that carries both ({zh, en}). */
export function bilingual(text: { zh?: string; en?: string } | null | undefined): string {
  if (text === null || text === undefined) return '';
  return (currentLocale.value === 'en' ? text.en : text.zh) ?? text.en ?? text.zh ?? '';
}
