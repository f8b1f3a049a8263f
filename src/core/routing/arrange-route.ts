// The order in which one sale tries the channels of its route, given each channel's circuit: the pure
// rule behind ChannelHealthMonitor.arrange. Time comes in as an argument.
//
// - closed: tried in its place;
// - half-open: a trial sale in its place when it would be tried first and a trial may start (at most
//   trialsInFlightMax waiting, at least trialIntervalMs since the last one); otherwise after every
//   closed channel, or not at all when there is none (the rate bound holds);
// - open: left out, except when the route would be empty and the channel is still reachable (connected,
//   and it answered a sale inside the window): then it gets trial sales, at most trialsInFlightMax
//   waiting at once but without the trialIntervalMs spacing. The spacing is there to spare a recovering
//   bank while other channels carry the load; on the route's last reachable channel it would only refuse
//   sales (`91` at once) that the bank is answering. The breaker alone never leaves a route empty while
//   its channel still answers; only an unreachable channel (no connection, or nothing but failures for a
//   whole window) is fast-failed.
import { breakerTrialBounds, type BreakerSettings, type CircuitState } from './channel-health.ts';

export interface ChannelAdmission {
  readonly name: string;
  readonly circuit: CircuitState;
  /** When each trial sale still waiting for its result stops counting (its result frees it sooner). */
  readonly trialsUntilMs: readonly number[];
  readonly lastTrialAtMs: number | null;
  /** Connected, and answered a sale inside the window: up as far as we can tell, whatever the breaker says. */
  readonly reachable: boolean;
}

export interface ArrangedRoute {
  readonly channels: readonly string[];
  /** The channel this sale tries as a trial (it takes a trial slot), or null. */
  readonly trial: string | null;
  /** True when the trial is an open channel kept in use because it is the route's last reachable one. */
  readonly lastResort: boolean;
}

/** Whether a trial sale may start on the channel now. */
export function mayStartTrial(channel: ChannelAdmission, settings: BreakerSettings, nowMs: number): boolean {
  if (!hasFreeTrialSlot(channel, settings, nowMs)) return false;
  return channel.lastTrialAtMs === null || nowMs - channel.lastTrialAtMs >= breakerTrialBounds(settings).trialIntervalMs;
}

/** Fewer than trialsInFlightMax trial sales waiting on the channel: the bound that holds for the last reachable channel too. */
export function hasFreeTrialSlot(channel: ChannelAdmission, settings: BreakerSettings, nowMs: number): boolean {
  return channel.trialsUntilMs.filter((untilMs) => untilMs > nowMs).length < breakerTrialBounds(settings).trialsInFlightMax;
}

export function arrangeRoute(route: readonly ChannelAdmission[], settings: BreakerSettings, nowMs: number): ArrangedRoute {
  const usable: string[] = [];
  const deferred: string[] = [];
  let trial: string | null = null;
  for (const channel of route) {
    switch (channel.circuit) {
      case 'closed':
        usable.push(channel.name);
        break;
      case 'half_open':
        if (usable.length === 0 && trial === null && mayStartTrial(channel, settings, nowMs)) {
          usable.push(channel.name);
          trial = channel.name;
        } else {
          deferred.push(channel.name);
        }
        break;
      case 'open':
        break;
    }
  }
  if (usable.length > 0) return { channels: [...usable, ...deferred], trial, lastResort: false };
  // Nothing closed and no trial may start on a half-open channel: the route's last reachable channel, open
  // or half-open, still takes the sale as a trial while fewer than trialsInFlightMax are waiting on it.
  for (const channel of route) {
    if (channel.circuit === 'closed' || !channel.reachable) continue;
    if (!hasFreeTrialSlot(channel, settings, nowMs)) continue;
    return { channels: [channel.name], trial: channel.name, lastResort: channel.circuit === 'open' };
  }
  return { channels: [], trial: null, lastResort: false };
}
