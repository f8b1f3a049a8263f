// Prints the magic-values table of test-cards.ts: plain text for `reswipe issuer-sim --list`,
// Markdown for docs/issuer-simulator.md (a test checks the doc holds exactly this), JSON for tools.
import {
  defaultTestCvv,
  defaultTestExpiry,
  magicAmounts,
  magicCodeAmountBaseMinor,
  issuerFaults,
  magicFaultAmountBaseMinor,
  testCards,
  type MagicAmount,
} from './test-cards.ts';

/** ¥ with two decimals from fen, by integer arithmetic. */
export function formatYuan(amountMinor: number): string {
  const sign = amountMinor < 0 ? '-' : '';
  const absolute = Math.abs(amountMinor);
  const yuan = Math.floor(absolute / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${String(absolute % 100).padStart(2, '0')}`;
}

function amountEffect(row: MagicAmount): string {
  return row.effect.kind === 'code' ? `DE 39 = ${row.effect.code}` : `fault ${row.effect.fault}`;
}

interface Table {
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

function cardTable(): Table {
  return {
    header: ['PAN', 'brand', 'type', 'issuer', 'expiry', 'CVV', 'money', 'expected', 'category', 'verdict', 'triggers'],
    rows: testCards.map((card) => [
      card.pan,
      card.brand,
      card.cardType,
      card.issuerName,
      card.expiry,
      card.cvv,
      card.balanceMinor !== undefined ? `balance ${card.balanceMinor}` : `limit ${card.creditLimitMinor ?? 0}`,
      card.expectedCode,
      card.category,
      card.verdict,
      card.triggers,
    ]),
  };
}

function amountTable(): Table {
  return {
    header: ['amount (fen)', 'amount', 'effect', 'category', 'money moves first', 'triggers'],
    rows: magicAmounts.map((row) => [
      String(row.amountMinor),
      formatYuan(row.amountMinor),
      amountEffect(row),
      row.category,
      row.effect.kind === 'fault' ? (row.isProcessed ? 'yes, if the card approves' : 'no') : 'no',
      row.triggers,
    ]),
  };
}

const rules = [
  `Every card has expiry ${defaultTestExpiry} and CVV ${defaultTestCvv} on file (Amex CID 1234). A different expiry in DE 14 / track 2 answers 54; a different CVV2 in DE 48 answers 05 (N7 on Visa).`,
  `"expected" is the answer to a ${formatYuan(10_000)} (10000 fen) sale. Cards not in this table answer 14.`,
  `Amounts ${formatYuan(magicCodeAmountBaseMinor + 1)}..${formatYuan(magicCodeAmountBaseMinor + 99)} (${magicCodeAmountBaseMinor + 1}..${magicCodeAmountBaseMinor + 99} fen) answer DE 39 = the last two digits on any card that passes its own checks; the table names the useful ones.`,
  `Amounts ${formatYuan(magicFaultAmountBaseMinor + 1)}..${formatYuan(magicFaultAmountBaseMinor + issuerFaults.length)} force a fault on any card. Magic amounts apply to sales, refunds and pre-authorizations, never to reversals (which carry the original amount).`,
  'A fault that hides an approval (reply lost, late, dropped after processing, malformed, bad answer MAC) leaves the sale charged until the gateway reverses it; the reversal credits it back exactly once, and repeats (0401) or a second reversal move nothing.',
];

function padCells(table: Table): string {
  const widths = table.header.map((title, column) => Math.max(title.length, ...table.rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(table.header), line(table.header.map((_, column) => '-'.repeat(widths[column] ?? 0))), ...table.rows.map(line)].join('\n');
}

/** The table as plain text for a terminal. */
export function formatTestCardTableText(): string {
  return ['Magic test cards', '', padCells(cardTable()), '', 'Magic amounts', '', padCells(amountTable()), '', 'Rules', '', ...rules.map((rule) => `- ${rule}`), ''].join('\n');
}

function markdownTable(table: Table): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  return [
    `| ${table.header.map(escape).join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** The table as Markdown, exactly as docs/issuer-simulator.md carries it between its markers. */
export function formatTestCardTableMarkdown(): string {
  return ['### Magic test cards', '', markdownTable(cardTable()), '', '### Magic amounts', '', markdownTable(amountTable()), '', '### Rules', '', ...rules.map((rule) => `- ${rule}`)].join('\n');
}

/** The table as data, for `--list --json`. */
export function testCardTableJson(): { cards: unknown[]; amounts: unknown[]; rules: string[] } {
  return {
    cards: testCards.map((card) => ({ ...card })),
    amounts: magicAmounts.map((row) => ({ ...row, amount: formatYuan(row.amountMinor) })),
    rules: [...rules],
  };
}
