// The CLI entry point: finds the subcommand, loads only its module, runs it, and turns operating
// errors into one line with their stable code (no stack trace) and a non-zero exit.
import { Command, CommanderError } from 'commander';
import { isReswipeError } from '../core/errors/reswipe-error.ts';
import { commandRegistry } from './command-registry.ts';

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('reswipe')
    .description('reswipe: the POS acquiring gateway that tells the cashier why a swipe failed and never charges twice')
    .exitOverride()
    .showHelpAfterError();
  const wanted = argv.slice(2).find((arg) => !arg.startsWith('-'));
  const entry = commandRegistry.find((candidate) => candidate.name === wanted);
  if (entry === undefined) {
    for (const candidate of commandRegistry) program.command(candidate.name).description(candidate.summary);
  } else {
    (await entry.load()).register(program);
  }
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isReswipeError(error)) {
      const where = error.field === undefined ? '' : ` (field ${error.field})`;
      process.stderr.write(`error ${error.code}: ${error.message}${where}\n`);
      return 2;
    }
    throw error;
  }
}

const exitCode = await runCli(process.argv);
process.exitCode = exitCode;
