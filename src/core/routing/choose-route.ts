// Picks the ordered channel list for one sale from the routing rules, and says why. Pure: the only
// randomness (weights among equal priorities) comes from an injected Random, so a seeded run replays.
//
// Which rule wins: among the rules whose every condition holds, the one whose matching BIN prefix is
// longest (a rule without a BIN condition counts as length 0); then the one with more conditions;
// then the one written first. No rule matching gives the default route; no default route gives
// every enabled channel by its configured priority (what the engine did before routing existed).
import type { Random } from '../time/random.ts';
import type { CardBrand, CardType } from '../vocabulary.ts';
import type { RouteChannel, RouteMatch, RouteRule, RoutingRules } from './routing-rules.ts';
import type { CircuitOverrideSetting } from './channel-override.ts';

export interface RouteInput {
  readonly brand: CardBrand;
  readonly cardType: CardType;
  /** The first 6 to 8 digits of the PAN. */
  readonly bin: string;
  readonly amountMinor: number;
  readonly merchantId: string;
  readonly mcc: string;
}

export interface RouteChoice {
  /** Best first: by priority, then weighted order among equal priorities. */
  readonly channels: readonly RouteChannel[];
  /** The winning rule's name, `default` for the default route, `all-channels` without routing. */
  readonly rule: string;
  readonly why: readonly string[];
}

export interface ConfiguredChannel {
  readonly name: string;
  readonly priority: number;
  readonly weight: number;
  readonly disabled: boolean;
  /** Takes no new sales (an operator drains it); its own payments' follow-ups still go to it. */
  readonly draining?: boolean;
  /** An operator's forced circuit (read with the time by the health monitor, channel-override.ts). */
  readonly circuitOverride?: CircuitOverrideSetting | null;
}

/** Whether a channel may take a new sale at all, before health: enabled and not draining. */
export function takesNewSales(channel: ConfiguredChannel): boolean {
  return !channel.disabled && channel.draining !== true;
}

/** Chooses the route; `channels` are the configured ones (disabled and draining ones never appear in a result). */
export function chooseRoute(rules: RoutingRules | null, input: RouteInput, channels: readonly ConfiguredChannel[], random: Random): RouteChoice {
  const enabled = new Set(channels.filter(takesNewSales).map((channel) => channel.name));
  const draining = new Set(channels.filter((channel) => !channel.disabled && channel.draining === true).map((channel) => channel.name));
  const why: string[] = [];
  if (rules === null) {
    why.push('no routing rules configured: every enabled channel by its configured priority');
    for (const name of draining) why.push(`channel "${name}" skipped: draining`);
    const all = channels.filter(takesNewSales).map(({ name, priority, weight }) => ({ name, priority, weight }));
    return { channels: orderChannels(all, random), rule: 'all-channels', why };
  }
  let best: { rule: RouteRule; binLength: number; conditions: number; index: number } | null = null;
  rules.rules.forEach((rule, index) => {
    const result = matchRule(rule.match, input);
    if (result === null) return;
    const candidate = { rule, binLength: result.binLength, conditions: result.conditions, index };
    if (best === null || isBetter(candidate, best)) best = candidate;
  });
  let route: readonly RouteChannel[];
  let ruleName: string;
  const chosen = best as { rule: RouteRule; binLength: number; conditions: number; index: number } | null;
  if (chosen !== null) {
    ruleName = chosen.rule.name;
    route = chosen.rule.channels;
    why.push(`rule "${ruleName}" matches: ${describeMatch(chosen.rule.match, input)}`);
    if (chosen.binLength > 0) why.push(`its BIN prefix is ${chosen.binLength} digits long, the longest matching prefix`);
    else why.push(`most specific match (${chosen.conditions} condition${chosen.conditions === 1 ? '' : 's'}), first in the file among equals`);
  } else if (rules.defaultRoute !== null) {
    ruleName = 'default';
    route = rules.defaultRoute;
    why.push('no rule matches: the default route');
  } else {
    ruleName = 'all-channels';
    route = channels.map(({ name, priority, weight }) => ({ name, priority, weight }));
    why.push('no rule matches and no default route: every enabled channel by its configured priority');
  }
  const usable = route.filter((channel) => enabled.has(channel.name));
  for (const skipped of route.filter((channel) => !enabled.has(channel.name))) why.push(`channel "${skipped.name}" skipped: ${draining.has(skipped.name) ? 'draining' : 'disabled or not configured'}`);
  const ordered = orderChannels(usable, random);
  why.push(ordered.length === 0 ? 'no usable channel: the sale cannot be sent' : `order: ${ordered.map((channel) => `${channel.name} (priority ${channel.priority}, weight ${channel.weight})`).join(' then ')}`);
  return { channels: ordered, rule: ruleName, why };
}

/** Returns null when a condition fails; else the matched BIN prefix length and the number of conditions. */
function matchRule(match: RouteMatch, input: RouteInput): { binLength: number; conditions: number } | null {
  let conditions = 0;
  let binLength = 0;
  if (match.brands !== undefined) {
    if (!match.brands.includes(input.brand)) return null;
    conditions += 1;
  }
  if (match.cardTypes !== undefined) {
    if (!match.cardTypes.includes(input.cardType)) return null;
    conditions += 1;
  }
  if (match.binPrefixes !== undefined) {
    for (const prefix of match.binPrefixes) if (input.bin.startsWith(prefix) && prefix.length > binLength) binLength = prefix.length;
    if (binLength === 0) return null;
    conditions += 1;
  }
  if (match.amountMinorMin !== undefined || match.amountMinorMax !== undefined) {
    if (match.amountMinorMin !== undefined && input.amountMinor < match.amountMinorMin) return null;
    if (match.amountMinorMax !== undefined && input.amountMinor > match.amountMinorMax) return null;
    conditions += 1;
  }
  if (match.merchantIds !== undefined) {
    if (!match.merchantIds.includes(input.merchantId)) return null;
    conditions += 1;
  }
  if (match.mccs !== undefined) {
    if (!match.mccs.includes(input.mcc)) return null;
    conditions += 1;
  }
  return { binLength, conditions };
}

function isBetter(a: { binLength: number; conditions: number; index: number }, b: { binLength: number; conditions: number; index: number }): boolean {
  if (a.binLength !== b.binLength) return a.binLength > b.binLength;
  if (a.conditions !== b.conditions) return a.conditions > b.conditions;
  return a.index < b.index;
}

function describeMatch(match: RouteMatch, input: RouteInput): string {
  const parts: string[] = [];
  if (match.brands !== undefined) parts.push(`brand ${input.brand}`);
  if (match.cardTypes !== undefined) parts.push(`card type ${input.cardType}`);
  if (match.binPrefixes !== undefined) parts.push(`BIN ${input.bin} starts with ${match.binPrefixes.filter((prefix) => input.bin.startsWith(prefix)).sort((x, y) => y.length - x.length)[0] ?? ''}`);
  if (match.amountMinorMin !== undefined || match.amountMinorMax !== undefined) parts.push(`amount ${input.amountMinor} fen in [${match.amountMinorMin ?? 0}, ${match.amountMinorMax ?? '∞'}]`);
  if (match.merchantIds !== undefined) parts.push(`merchant ${input.merchantId}`);
  if (match.mccs !== undefined) parts.push(`MCC ${input.mcc}`);
  return parts.length === 0 ? 'no conditions (matches every sale)' : parts.join(', ');
}

/** Sorts by priority; within one priority a weighted draw without replacement decides the order. */
export function orderChannels(channels: readonly RouteChannel[], random: Random): RouteChannel[] {
  const priorities = [...new Set(channels.map((channel) => channel.priority))].sort((a, b) => a - b);
  const out: RouteChannel[] = [];
  for (const priority of priorities) {
    const group = channels.filter((channel) => channel.priority === priority).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Bounded: each pass removes one channel from the group.
    while (group.length > 0) {
      if (group.length === 1) {
        out.push(group.pop() as RouteChannel);
        break;
      }
      const total = group.reduce((sum, channel) => sum + channel.weight, 0);
      let pick = random.nextUint32() % total;
      let index = 0;
      for (; index < group.length - 1; index++) {
        const weight = (group[index] as RouteChannel).weight;
        if (pick < weight) break;
        pick -= weight;
      }
      out.push(group.splice(index, 1)[0] as RouteChannel);
    }
  }
  return out;
}
