// The EMA weights of a `bas pretrain` checkpoint as a pipeline folder, to probe or sample a run
// that has not ended with the weights its samples use (the raw weights wander with each batch).
// Usage: npx tsx scripts/checkpoint_ema.ts CHECKPOINT_DIR OUT_DIR
import { saveEmaModel } from '../lab/pretrain/pretrain_checkpoint.js';
import { files } from '../platform/platform.js';

const [checkpoint, out] = process.argv.slice(2);
if (checkpoint === undefined || out === undefined) throw new Error('usage: checkpoint_ema.ts CHECKPOINT_DIR OUT_DIR');
const { step, ema_step } = saveEmaModel(checkpoint, out, files());
console.log(`${out}: the EMA weights of ${checkpoint} (step ${step}, ${ema_step} EMA updates)`);
