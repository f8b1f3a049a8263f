// The fee plans a node prices with, kept live across gateway nodes (docs/fees.md, "Fee plans on several
// nodes"; docs/cluster.md, "Live configuration"): the stored plans (migration 0025: seeded from the
// plans file at each start, changed by PUT /v1/fee-plans/{name} on any node) over the plans file's.
// Re-read when the store reports a fee plan change (on PostgreSQL a NOTIFY from the node that made it,
// delivered on commit; on every node the version check when a notice was lost), and every `refreshMs`
// by the composition root as the last safety net.
import type { FeePlan, FeePlanSet } from '../../core/fees/fee-plan.ts';
import { mergeFeePlanSets, validateFeePlan } from '../../core/fees/validate-fee-plans.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { FeePlanRecord, Store } from '../../core/ports/store.ts';
import { coalescedRefresh } from '../coalesced-refresh.ts';

export class LiveFeePlans {
  readonly #store: Pick<Store, 'listFeePlanRecords' | 'onConfigChange'>;
  readonly #fromFile: FeePlanSet;
  readonly #logger: LoggerLike;
  #current: FeePlanSet;
  /** The stored version each plan was read at, to log only what changed. */
  #versions = new Map<string, number>();

  /** `fromFile`: the built-in plans and the plans file's, in force until the first refresh. */
  constructor(options: { store: Pick<Store, 'listFeePlanRecords' | 'onConfigChange'>; fromFile: FeePlanSet; logger: LoggerLike }) {
    this.#store = options.store;
    this.#fromFile = options.fromFile;
    this.#logger = options.logger;
    this.#current = options.fromFile;
    this.refresh = coalescedRefresh(async () => this.#apply(await this.#store.listFeePlanRecords()), { logger: options.logger, failureMessage: 'fee plans could not be re-read; keeping the plans in force' });
  }

  /** Reads the stored plans again; a refresh asked for while one runs runs once more after it, so the caller sees every change committed before its call. */
  readonly refresh: () => Promise<void>;

  /** The plans in force on this node now. */
  current(): FeePlanSet {
    return this.#current;
  }

  /** Refreshes on every notice of a fee plan change (or of everything); returns the function that stops listening. */
  follow(): () => void {
    return (
      this.#store.onConfigChange?.((change) => {
        if (change.kind === 'fee_plan' || change.kind === 'all') void this.refresh();
      }) ?? (() => undefined)
    );
  }

  #apply(records: readonly FeePlanRecord[]): void {
    const stored = new Map<string, FeePlan>();
    const versions = new Map<string, number>();
    for (const record of records) {
      const previous = this.#current.plans.get(record.name);
      try {
        stored.set(record.name, validateFeePlan(record.document, `store:fee_plans/${record.name}`));
        versions.set(record.name, record.version);
      } catch (error) {
        // Validated before it was stored, so only a newer release's plan can fail here (a rolling upgrade): the plan in force stays.
        this.#logger.error({ plan: record.name, version: record.version, error: error instanceof Error ? error.message : 'unknown' }, 'a stored fee plan does not validate on this node; the plan in force stays');
        if (previous !== undefined) stored.set(record.name, previous);
        const version = this.#versions.get(record.name);
        if (version !== undefined) versions.set(record.name, version);
      }
    }
    const changed = [...versions].filter(([name, version]) => this.#versions.get(name) !== version).map(([name, version]) => ({ plan: name, version }));
    this.#current = mergeFeePlanSets(this.#fromFile, Object.freeze({ plans: stored }));
    this.#versions = versions;
    if (changed.length > 0) this.#logger.info({ plans: changed }, 'fee plans changed: the next payments are priced with them');
  }
}

/** The plans in force now, read once, for a command that prices and exits (`reswipe fee compare`, a manual resolution). */
export async function readFeePlansInForce(store: Pick<Store, 'listFeePlanRecords'>, fromFile: FeePlanSet, logger: LoggerLike): Promise<FeePlanSet> {
  const plans = new LiveFeePlans({ store: { listFeePlanRecords: () => store.listFeePlanRecords() }, fromFile, logger });
  await plans.refresh();
  return plans.current();
}
