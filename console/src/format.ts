// Amounts and times as people read them. Amounts are integers of minor units (fen) from the API and
// are formatted by digits, never through floating point, so ¥0.10 + ¥0.20 is never ¥0.30000000000000004.
// Times are shown in the business time zone the gateway serves in /console/settings.json.
import { reactive } from 'vue';

export const settings = reactive({ timeZone: 'Asia/Shanghai', currency: 'CNY' });

const currencySymbols: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: '¥' };

/** 123456 → "¥1,234.56"; -5 → "-¥0.05". Exact for any safe integer. */
export function money(minor: number | null | undefined, currency = settings.currency): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return '—';
  const digits = String(Math.abs(Math.trunc(minor))).padStart(3, '0');
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const symbol = currencySymbols[currency] ?? `${currency} `;
  return `${minor < 0 ? '-' : ''}${symbol}${whole}.${digits.slice(-2)}`;
}

/** Basis points as a percentage with one decimal: 6000 → "60.0%". */
export function percentOfBps(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return '—';
  return `${(Math.round(bps) / 100).toFixed(1)}%`;
}

/** A ratio 0..1 as a percentage with one decimal. */
export function percent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(1)}%`;
}

function partsOf(iso: string | number): Record<string, string> {
  const formatter = new Intl.DateTimeFormat('en-GB', { timeZone: settings.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(new Date(iso))) parts[part.type] = part.value;
  return parts;
}

/** "2026-11-26 05:51:57" in the business time zone. */
export function dateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const p = partsOf(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** "05:51:57" in the business time zone. */
export function timeOfDay(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const p = partsOf(iso);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** Today's business date, "YYYY-MM-DD". */
export function businessDate(atMs = Date.now()): string {
  const p = partsOf(atMs);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Offset of the business zone at that instant, e.g. "+08:00", to turn a local date into an instant. */
function zoneOffset(atMs: number): string {
  const p = partsOf(atMs);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const minutes = Math.round((asUtc - Math.floor(atMs / 1000) * 1000) / 60000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The instant a business date starts ("2026-11-26" → ISO UTC). */
export function startOfBusinessDate(date: string): string {
  const guess = Date.parse(`${date}T00:00:00Z`);
  return new Date(Date.parse(`${date}T00:00:00${zoneOffset(guess)}`)).toISOString();
}

/** Yuan typed by a person ("12.3") to fen (1230), by digits; null when it is not an amount. */
export function minorOfYuan(text: string): number | null {
  const match = /^\s*(\d{1,12})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}
