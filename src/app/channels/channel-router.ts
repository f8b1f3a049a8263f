// The engine's routing: the pure rule choice (chooseRoute) arranged by channel health (open circuits
// left out unless one is the last reachable channel, half-open ones get bounded trials), and failovers
// counted per channel.
import type { Random } from '../../core/time/random.ts';
import type { RoutingRules } from '../../core/routing/routing-rules.ts';
import { chooseRoute, type ConfiguredChannel, type RouteInput } from '../../core/routing/choose-route.ts';
import type { ChannelHealthMonitor } from './channel-health-monitor.ts';

/** What the engine asks of routing; without one it tries every enabled channel by priority. */
export interface EngineRouter {
  /** The channels to try for one sale, best first, and the rule that chose them. */
  route(input: RouteInput): { channels: readonly string[]; rule: string };
  /** A payment moved from one channel to another. */
  recordFailover(from: string, to: string): void;
}

export function createChannelRouter(options: {
  rules: RoutingRules | null;
  /** The channels to choose from: a fixed list, or a function read at every sale (live settings, live-channels.ts). */
  channels: readonly ConfiguredChannel[] | (() => readonly ConfiguredChannel[]);
  random: Random;
  monitor?: ChannelHealthMonitor;
}): EngineRouter {
  return {
    route(input) {
      const channels = typeof options.channels === 'function' ? options.channels() : options.channels;
      const choice = chooseRoute(options.rules, input, channels, options.random);
      const names = choice.channels.map((channel) => channel.name);
      return { channels: options.monitor === undefined ? names : options.monitor.arrange(names), rule: choice.rule };
    },
    recordFailover(from, to) {
      options.monitor?.recordFailover(from, to);
    },
  };
}
