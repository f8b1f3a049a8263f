// Which local date a sale was made on, as its terminal would name it in cups-pos DE 61.3 (MMDD, the
// terminal's local date, no year). The store keeps the sale's MMDDhhmmss as the terminal sent it: DE 7,
// which is UTC on both built-in dialects, or, from a terminal that sent no DE 7, its local DE 13 + DE 12.
// Compared with 61.3 as UTC, a sale made between 00:00 and 08:00 China time sat on the previous day,
// its 0400 found nothing (`25`) and the sale stayed charged. So the stored value is turned back into
// an instant (the reading, UTC or local, nearest to when the gateway received the sale; the two are
// hours apart and terminal clocks are minutes off) and that instant's local date in the business zone
// is the sale's date. Pure: instants and the zone come in as arguments.
import { localTimeOf, offsetMinutesAt, type LocalZone } from '../time/local-time.ts';

export interface SaleTimes {
  /** The sale's MMDDhhmmss as stored: DE 7 (UTC) or DE 13 + DE 12 (local); null when it has none. */
  readonly terminalTransmittedAt: string | null;
  /** When the gateway received the sale. */
  readonly createdAtMs: number;
}

const minuteMs = 60_000;
const transmittedPattern = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** The local date (MMDD) of a sale in the business zone. */
export function saleLocalMmdd(sale: SaleTimes, zone: LocalZone): string {
  return localTimeOf(saleInstantMs(sale, zone), zone).mmdd;
}

/** Whether a terminal's DE 61.3 (MMDD, local) names the day this sale was made. */
export function isOriginalLocalDate(dateMmdd: string, sale: SaleTimes, zone: LocalZone): boolean {
  return /^\d{4}$/.test(dateMmdd) && saleLocalMmdd(sale, zone) === dateMmdd;
}

/**
 * The instant the terminal's MMDDhhmmss stands for: read as UTC and as local time in the zone, in the
 * year before, of and after the receipt, the candidate nearest the receipt wins (so a DE 7 of
 * `1231235959` received at 00:00:01 UTC on 1 January is last year's). Without a usable value, the receipt.
 */
export function saleInstantMs(sale: SaleTimes, zone: LocalZone): number {
  const match = sale.terminalTransmittedAt === null ? null : transmittedPattern.exec(sale.terminalTransmittedAt);
  if (match === null) return sale.createdAtMs;
  const [month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number];
  const receivedYear = new Date(sale.createdAtMs).getUTCFullYear();
  let bestMs: number | null = null;
  for (const year of [receivedYear - 1, receivedYear, receivedYear + 1]) {
    const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
    const wall = new Date(wallMs);
    // 0230, 1331 or 25:00 is no time at all: that year is skipped (and without any, the receipt is used).
    if (wall.getUTCMonth() !== month - 1 || wall.getUTCDate() !== day || wall.getUTCHours() !== hour || wall.getUTCMinutes() !== minute || wall.getUTCSeconds() !== second) continue;
    const asLocalMs = wallMs - offsetMinutesAt(wallMs, zone) * minuteMs;
    for (const candidateMs of [wallMs, asLocalMs]) {
      if (bestMs === null || Math.abs(candidateMs - sale.createdAtMs) < Math.abs(bestMs - sale.createdAtMs)) bestMs = candidateMs;
    }
  }
  return bestMs ?? sale.createdAtMs;
}
