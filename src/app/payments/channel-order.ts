// The channels a sale may use, best first: the router's answer (routing rules and channel health) among
// the enabled channels that run, or without a router every enabled channel by priority.
import type { RouteInput } from '../../core/routing/choose-route.ts';
import type { SaleServices } from './sale-deps.ts';

export function channelOrder(deps: Pick<SaleServices, 'router' | 'settings' | 'channels'>, input: RouteInput): string[] {
  if (deps.router !== undefined) {
    const enabled = new Set(deps.settings.channels.filter((channel) => !channel.disabled).map((channel) => channel.name));
    return deps.router.route(input).channels.filter((name) => enabled.has(name) && deps.channels.has(name));
  }
  return [...deps.settings.channels]
    .filter((channel) => !channel.disabled && deps.channels.has(channel.name))
    .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : 1))
    .map((channel) => channel.name);
}
