// Reads the routing rules named by config `routing.rulesFile` (JSON or YAML, bounded read shared with
// the config loader) and validates them against the configured channels. No file: null, which the
// router takes as "every enabled channel by priority".
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { validateRoutingRules, type RoutingRules } from '../../core/routing/routing-rules.ts';
import { readConfigFile } from './load-config.ts';

/** The validated routing rules of a config, or null when it names no rules file. */
export function loadRoutingRules(config: Pick<ReswipeConfig, 'routing' | 'channels'>): RoutingRules | null {
  const file = config.routing.rulesFile;
  if (file === undefined || file === '') return null;
  return validateRoutingRules(readConfigFile(file), new Set(config.channels.map((channel) => channel.name)));
}
