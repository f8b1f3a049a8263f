// A node's start writes the definitions of its config files to the store every node shares: merchants,
// their terminals, channels and fee plans (docs/cluster.md, "What a restart keeps"). What the gateway
// learnt while running (sign-on, batch numbers, an operator's holds) survives; a channel or fee plan
// changed through the API survives too while the file's definition is the one last seeded, and an edit
// of that definition in the file wins over it (decideSeed, src/core/config/seed-precedence.ts). Every
// kept API change that the file defines otherwise, and every API change the edited file replaces, is
// logged as a warning naming it, so a node's config never disagrees with the store in silence.
import { decideSeed, type SeedDecision } from '../core/config/seed-precedence.ts';
import type { ReswipeConfig } from '../core/config/config-schema.ts';
import { builtinFeePlans } from '../core/fees/builtin-fee-plans.ts';
import type { FeePlanSet } from '../core/fees/fee-plan.ts';
import type { LoggerLike } from '../core/ports/channel.ts';
import { buildChannelRecord, buildMerchantRecord, buildTerminalRecord, channelDefinitionOf } from '../core/ports/defined-records.ts';
import type { Store } from '../core/ports/store.ts';

/** What a start found for one definition, reported once the seeding committed. */
interface SeedReport {
  readonly what: 'channel' | 'fee plan';
  readonly name: string;
  readonly decision: SeedDecision;
  readonly apiChange: { readonly changedBy: string | null; readonly changedAtMs: number } | null;
}

/** Seeds merchants, terminals, channels and the fee plans of `fileFeePlans` (built-in plus `fees.plansFile`) in one write. */
export async function seedFromConfig(store: Store, config: ReswipeConfig, fileFeePlans: FeePlanSet, nowMs: number, logger: LoggerLike): Promise<void> {
  const reports = await store.write(async (tx) => {
    const found: SeedReport[] = [];
    for (const merchant of config.merchants) {
      await tx.upsertMerchant(buildMerchantRecord(merchant, await tx.getMerchant(merchant.id), nowMs));
      for (const terminalId of merchant.terminals) {
        await tx.upsertTerminal(buildTerminalRecord(terminalId, merchant.id, await tx.getTerminal(terminalId), nowMs));
      }
    }
    for (const channel of config.channels) {
      const existing = await tx.getChannel(channel.name);
      const decision = decideSeed(channelDefinitionOf(channel), existing === null ? null : { definedBy: existing.definedBy, current: channelDefinitionOf(existing), lastSeededFromFile: existing.fileDefinition });
      found.push({ what: 'channel', name: channel.name, decision, apiChange: existing?.definedBy === 'api' ? { changedBy: null, changedAtMs: existing.updatedAtMs } : null });
      if (decision.action === 'create' || decision.action === 'apply_file') await tx.upsertChannel(buildChannelRecord(channel, existing, nowMs, 'file'));
    }
    for (const plan of fileFeePlans.plans.values()) {
      const existing = await tx.getFeePlanRecord(plan.name);
      const decision = decideSeed(plan.document, existing === null ? null : { definedBy: existing.definedBy, current: existing.document, lastSeededFromFile: existing.fileDocument });
      found.push({ what: 'fee plan', name: plan.name, decision, apiChange: existing?.definedBy === 'api' ? { changedBy: existing.changedBy, changedAtMs: existing.changedAtMs } : null });
      if (decision.action === 'create' || decision.action === 'apply_file') {
        await tx.upsertFeePlan({
          name: plan.name,
          document: plan.document,
          version: (existing?.version ?? 0) + 1,
          definedBy: 'file',
          fileDocument: plan.document,
          changedBy: builtinFeePlans.plans.get(plan.name) === plan ? 'builtin' : `file:${config.fees.plansFile ?? ''}`,
          changedAtMs: nowMs,
        });
      }
    }
    return found;
  });
  for (const report of reports) reportSeed(logger, report);
}

function reportSeed(logger: LoggerLike, report: SeedReport): void {
  const subject = { [report.what === 'channel' ? 'channel' : 'plan']: report.name, apiChangedBy: report.apiChange?.changedBy ?? undefined, apiChangedAt: report.apiChange === null ? undefined : new Date(report.apiChange.changedAtMs).toISOString() };
  switch (report.decision.action) {
    case 'keep_api_change':
      logger.warn(subject, `the config file defines ${report.what} ${report.name} otherwise than its change made through the API; the API's version stays in force on every node (change it again through the API, or edit it in the file to apply the file's)`);
      return;
    case 'apply_file':
      if (report.decision.replacesApiChange) logger.warn(subject, `${report.what} ${report.name} was edited in the config file since its change through the API: the file's version replaces it on every node`);
      return;
    case 'create':
    case 'keep':
      return;
  }
}
