// The local day and month an instant falls in, at a fixed offset: the windows of the per-day and
// per-month limits and of a terminal's daily figures.
import { localTimeOf } from './local-time.ts';

/** Start of the local day and month containing `nowMs`, for the per-day and per-month limits. */
export function localWindows(nowMs: number, offsetMinutes: number): { dayStartMs: number; monthStartMs: number } {
  const offsetMs = offsetMinutes * 60_000;
  const local = localTimeOf(nowMs, offsetMinutes);
  const dayStartMs = Date.UTC(local.year, local.month - 1, local.day) - offsetMs;
  const monthStartMs = Date.UTC(local.year, local.month - 1, 1) - offsetMs;
  return { dayStartMs, monthStartMs };
}
