// bas train: Break-A-Scene on one image and its masks.
import { formatHelp, parseFlags } from './args.js';
import { TRAIN_FLAGS } from '../train/args.js';
import { BreakASceneTrainer, NonFiniteError } from '../train/trainer.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('train', 'extract concepts from one image and its masks (Break-A-Scene)', TRAIN_FLAGS));
    return 0;
  }
  const args = parseFlags(argv, TRAIN_FLAGS, 'train');
  const trainer = new BreakASceneTrainer(args);
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130); // a second Ctrl-C does not wait for the checkpoint
    console.log('\ninterrupt: finishing this step, then saving a checkpoint (Ctrl-C again to quit now)');
    trainer.requestStop();
  };
  process.on('SIGINT', onSigint);
  try {
    const r = await trainer.train();
    return r.interrupted ? 130 : 0;
  } catch (e) {
    if (e instanceof NonFiniteError) {
      console.error(`bas train: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
