// The `bas` command: one subcommand per job, each in its own file, loaded only when used.
import { setBackend } from '../kernels/index.js';
import { InputError } from '../bas/errors.js';
import { OutputWriteError } from '../bas/train/write_errors.js';
import { UsageError } from './args.js';
import { flagMessage } from './errors.js';

/**
 * The commands' backend unless BAS_BACKEND or --backend says otherwise: gpu.js's WebAssembly mode
 * with the project's SIMD kernels, the fastest on a CPU (a default UNet step 4-5x faster than
 * `cpu`; see the README's bench table) and parity-tested against it. The library itself keeps
 * `cpu`, the reference, as its default.
 */
const CLI_DEFAULT_BACKEND = 'gpujs-webasm';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  train: { summary: 'extract concepts from one image and its masks (Break-A-Scene training)', load: () => import('./train.js') },
  generate: { summary: 'render a prompt with learned tokens from a trained model folder', load: () => import('./generate.js') },
  edit: { summary: 'draw a prompt with learned tokens into an image inside a mask (local editing)', load: () => import('./edit.js') },
  report: { summary: "write a training run's report.html (curves, attention tiles, masks, flags)", load: () => import('./report.js') },
  'make-scene': { summary: 'write one synthetic scene (image, exact masks, caption) as an instance folder', load: () => import('./make_scene.js') },
  pretrain: { summary: "train the project's base text-to-image model on synthetic scenes", load: () => import('./pretrain.js') },
  'pretrain-clip': { summary: "train the base model's text encoder contrastively on the world's image-caption pairs", load: () => import('./pretrain_clip.js') },
  eval: { summary: 'measure the base model and Break-A-Scene (with ablations) on the synthetic world', load: () => import('./eval.js') },
  gradcheck: { summary: 'check the full Break-A-Scene loss gradient in float64 on a tiny model', load: () => import('./gradcheck.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'usage: bas <command> [flags]   (bas <command> --help for its flags)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`bas: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (!process.env['BAS_BACKEND']) setBackend(CLI_DEFAULT_BACKEND);
  try {
    return await (await cmd.load()).run(rest);
  } catch (e) {
    // one clear line for bad input, a stack only for the unexpected; the library names
    // configuration fields, which the CLI words as the flags that set them
    if (e instanceof InputError) {
      console.error(`bas ${name}: error: ${flagMessage(e)}`);
      return 2;
    }
    // a full disk or a read-only folder: one line too, but not the user's input (exit 1)
    if (e instanceof OutputWriteError) {
      console.error(`bas ${name}: error: ${e.message}`);
      return 1;
    }
    if (e instanceof UsageError) {
      console.error(`bas ${name}: error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

const isEntry = process.argv[1] !== undefined && /[\\/]cli[\\/]main\.[tj]s$/.test(process.argv[1]);
if (isEntry) process.exitCode = await main(process.argv.slice(2));
