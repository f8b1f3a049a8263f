// Screenshots of every console page in zh-CN and en for docs/console.md, taken with the browser
// tests' harness (test/console/console-harness.ts): the demo's shop day in a real gateway, a real
// Chromium at 1280x800, logged in as an admin through the login page. Each PNG is reduced to 256
// colours (upng-js, pure JavaScript) so the docs stay small. Usage: npm run docs:console-screenshots
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import UPNG from 'upng-js';
import { logIn, openBrowser, openPage, startConsoleGateway, useLanguage, fullCardNumbersOnPage, type ConsoleBrowser, type ConsoleGateway } from '../test/console/console-harness.ts';

const outDir = fileURLToPath(new URL('../docs/console/', import.meta.url));
const pages = ['today', 'payments', 'payment', 'failures', 'terminals', 'channels', 'manual', 'settlement', 'events', 'users'] as const;
const languages = [
  ['zh-CN', 'zh'],
  ['en', 'en'],
] as const;
/** Lets charts finish their entry animation and tables their loading fade before the shot. */
const settleMs = 1200;

function smallPng(png: Buffer): Buffer {
  const image = UPNG.decode(png);
  const rgba = UPNG.toRGBA8(image);
  return Buffer.from(UPNG.encode(rgba, image.width, image.height, 256));
}

async function shoot(browser: ConsoleBrowser, name: string): Promise<void> {
  const leaked = await fullCardNumbersOnPage(browser.page);
  if (leaked.length > 0) throw new Error(`${name} shows a full card number`);
  await browser.page.waitForTimeout(settleMs);
  const png = smallPng(await browser.page.screenshot({ type: 'png' }));
  writeFileSync(`${outDir}${name}.png`, png);
  console.log(`docs/console/${name}.png ${(png.length / 1024).toFixed(0)} KB`);
}

let gateway: ConsoleGateway | undefined;
let browser: ConsoleBrowser | undefined;
try {
  mkdirSync(outDir, { recursive: true });
  gateway = await startConsoleGateway();
  browser = await openBrowser();
  const { page } = browser;
  // The detail page's example: a payment with several attempts (a retry or failover, a reversal), else a decline.
  const listed = (await gateway.api('GET', '/v1/payments?limit=200')).body as { data: Array<{ id: string; status: string; attempts: unknown[] }> };
  const example = listed.data.find((payment) => payment.attempts.length > 1 && payment.status !== 'approved') ?? listed.data.find((payment) => payment.attempts.length > 1) ?? listed.data.find((payment) => payment.status === 'declined');
  if (example === undefined) throw new Error('the demo has no declined payment to show');

  for (const [language, suffix] of languages) {
    await page.goto(`${gateway.url}/console/login`);
    await useLanguage(page, language);
    await shoot(browser, `login-${suffix}`);
  }
  await logIn(page, gateway.url, gateway.users.admin!);
  for (const [language, suffix] of languages) {
    for (const name of pages) {
      await openPage(page, gateway.url, name === 'payment' ? `payments/${example.id}` : name);
      await useLanguage(page, language);
      await shoot(browser, `${name}-${suffix}`);
    }
  }
} finally {
  await browser?.close();
  await gateway?.stop();
}
