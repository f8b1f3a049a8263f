import { createApp } from 'vue';
import 'element-plus/dist/index.css';
import './style.css';
import App from './App.vue';
import { router } from './router.ts';
import { i18n } from './i18n.ts';
import { settings } from './format.ts';
import { whenSessionEnds } from './session.ts';

// The business time zone and currency come from the gateway's config, not the browser's clock.
async function loadSettings(): Promise<void> {
  try {
    const response = await fetch('/console/settings.json', { credentials: 'same-origin' });
    if (response.ok) Object.assign(settings, (await response.json()) as Partial<typeof settings>);
  } catch {
    // Keep the defaults (Asia/Shanghai, CNY): the pages still work.
  }
}

whenSessionEnds(() => void router.push({ name: 'login' }));
void loadSettings().then(() => createApp(App).use(i18n).use(router).mount('#app'));
