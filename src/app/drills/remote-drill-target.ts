// A staging gateway and its sandbox banks as a drill target (`reswipe drill run --target`). The banks
// are reached through the issuer simulator's admin API; a remote bank process cannot be stopped from
// here, so `bank-dies` drops every connection of the primary instead (docs/drills.md).
import { drillCards, type DrillBank, type DrillTarget } from './drill-target.ts';

export interface RemoteDrillOptions {
  gatewayUrl: string;
  apiKey: string;
  primary: DrillBank;
  backup: DrillBank;
  merchantId?: string;
  terminals?: readonly string[];
  terminalLink: { host: string; port: number } | null;
}

export function remoteDrillTarget(options: RemoteDrillOptions): DrillTarget {
  const gatewayUrl = options.gatewayUrl.replace(/\/+$/, '');
  return {
    label: gatewayUrl,
    gatewayUrl,
    apiKey: options.apiKey,
    merchantId: options.merchantId ?? 'M00000000000001',
    terminals: options.terminals !== undefined && options.terminals.length > 0 ? options.terminals : ['T0000001', 'T0000002', 'T0000003', 'T0000004'],
    cards: drillCards,
    primary: options.primary,
    backup: options.backup,
    terminalLink: options.terminalLink,
    close: async () => undefined,
  };
}
