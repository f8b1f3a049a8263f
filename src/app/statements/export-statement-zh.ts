// The statement of a stored batch in the layout for people (Chinese headers, yuan amounts,
// local times): the same rows, checks and refusals as the machine layout (docs/settlement.md).
import type { StoreReader } from '../../core/ports/store.ts';
import { writeStatementCsvZh } from '../../core/statements/statement-csv-zh.ts';
import { loadStatement } from '../fees/settle-day.ts';

export async function exportStatementZh(reader: StoreReader, merchantId: string, businessDate: string, settings: { readonly timeZone: string; readonly cutoff?: string | undefined }): Promise<string> {
  const { batch, lines } = await loadStatement(reader, merchantId, businessDate, settings);
  return writeStatementCsvZh(batch, lines, settings.timeZone);
}
