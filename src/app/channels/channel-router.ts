// The engine's routing: the pure rule choice (chooseRoute) arranged by channel health (open circuits
// left out unless one is the last reachable channel, half-open ones get bounded trials; an operator's
// forced circuit and draining first, docs/channels.md "Operator overrides"), and failovers counted per
// channel. `explain` answers the same decision for GET /v1/routing/explain without sending or stamping
// anything.
import type { Random } from '../../core/time/random.ts';
import type { RoutingRules } from '../../core/routing/routing-rules.ts';
import { chooseRoute, type ConfiguredChannel, type RouteInput } from '../../core/routing/choose-route.ts';
import type { ExplainedChannel, RouteChannelReason, RouteExplanation } from '../../core/routing/route-explanation.ts';
import type { ChannelHealthMonitor } from './channel-health-monitor.ts';

/** What the engine asks of routing; without one it tries every enabled channel by priority. */
export interface EngineRouter {
  /** The channels to try for one sale, best first, and the rule that chose them. */
  route(input: RouteInput): { channels: readonly string[]; rule: string };
  /** A payment moved from one channel to another. */
  recordFailover(from: string, to: string): void;
}

/** Always the first of equal-priority channels by name: explain shows one possible order, each sale draws its own by weight. */
const firstByName: Random = { nextUint32: () => 0 };

export function createChannelRouter(options: {
  rules: RoutingRules | null;
  /** The channels to choose from: a fixed list, or a function read at every sale (live settings, live-channels.ts). */
  channels: readonly ConfiguredChannel[] | (() => readonly ConfiguredChannel[]);
  random: Random;
  monitor?: ChannelHealthMonitor;
}): EngineRouter & { explain(input: RouteInput, running: ReadonlySet<string>): RouteExplanation } {
  const current = () => (typeof options.channels === 'function' ? options.channels() : options.channels);
  return {
    route(input) {
      const choice = chooseRoute(options.rules, input, current(), options.random);
      const names = choice.channels.map((channel) => channel.name);
      return { channels: options.monitor === undefined ? names : options.monitor.arrange(names), rule: choice.rule };
    },
    recordFailover(from, to) {
      options.monitor?.recordFailover(from, to);
    },
    explain(input, running) {
      const channels = current();
      const everyName = chooseRoute(options.rules, input, channels.map((channel) => ({ ...channel, disabled: false, draining: false })), firstByName);
      const choice = chooseRoute(options.rules, input, channels, firstByName);
      const inRoute = new Set(everyName.channels.map((channel) => channel.name));
      const chosen = choice.channels.map((channel) => channel.name).filter((name) => running.has(name));
      const arranged = options.monitor === undefined ? { channels: chosen, trial: null } : options.monitor.preview(chosen);
      const explained = channels.map((channel): ExplainedChannel => {
        const circuit = running.has(channel.name) ? (options.monitor?.circuit(channel.name) ?? 'closed') : null;
        const forced = running.has(channel.name) ? (options.monitor?.forcedCircuit(channel.name) ?? null) : null;
        const position = arranged.channels.indexOf(channel.name);
        const reason: RouteChannelReason =
          position >= 0
            ? 'used'
            : !inRoute.has(channel.name)
              ? 'not_in_route'
              : channel.disabled
                ? 'disabled'
                : channel.draining === true
                  ? 'draining'
                  : !running.has(channel.name)
                    ? 'not_running'
                    : forced === 'open'
                      ? 'circuit_forced_open'
                      : circuit === 'open'
                        ? 'circuit_open'
                        : 'half_open_no_trial';
        return {
          name: channel.name,
          position: position >= 0 ? position + 1 : null,
          reason,
          priority: channel.priority,
          disabled: channel.disabled,
          draining: channel.draining === true,
          circuit,
          forced,
          trial: arranged.trial === channel.name,
        };
      });
      explained.sort((a, b) => (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) || a.priority - b.priority || (a.name < b.name ? -1 : 1));
      return { rule: choice.rule, why: choice.why, channels: explained };
    },
  };
}
