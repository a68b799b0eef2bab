// bas report RUN_DIR: the run's curves, attention tiles, masks, validation samples and flags as
// one self-contained HTML page (RUN_DIR/report.html; training runs write it at their end too).
import { InputError } from '../bas/errors.js';
import { writeRunReport } from '../bas/report/run_folder.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';

const FLAGS = {
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  const positional = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--help') || positional.length !== 1) {
    console.log(formatHelp('report RUN_DIR', "write RUN_DIR/report.html: a training run's curves, attention tiles and flags", FLAGS));
    return argv.includes('--help') ? 0 : 2;
  }
  parseFlags(argv.filter((a) => a.startsWith('--')), FLAGS, 'report');
  try {
    console.log(`wrote ${writeRunReport(positional[0]!)}`);
  } catch (e) {
    throw new InputError(`RUN_DIR: ${e instanceof Error ? e.message : String(e)}`);
  }
  return 0;
}
