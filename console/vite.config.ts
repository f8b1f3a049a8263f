// Build of the web console (docs/console.md): a single-page app served by the gateway under /console/.
// Built by the root `npm install` / `npm ci` (package.json `prepare`), offline from the npm packages.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [vue()],
  define: {
    // vue-i18n: compile messages without eval (the console's CSP allows no 'unsafe-eval'), no legacy API.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __INTLIFY_JIT_COMPILATION__: true,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
    __VUE_OPTIONS_API__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    // dist/.vite/manifest.json: the chunk graph bench/console-size.ts reads (the gateway does not serve dot folders).
    manifest: true,
    // ECharts and its renderer in one chunk named for what it is, loaded by the chart pages only.
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'charts', test: /node_modules[\\/](echarts|zrender)[\\/]/ }] } } },
  },
  logLevel: 'warn',
});
