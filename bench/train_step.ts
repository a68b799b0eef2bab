// The bench's Break-A-Scene step: `bas train`'s real loop, phase 2, on the shipped base model
// (batch 2 with prior preservation, attention store on, the whole loss) and a scene the world
// generates. Its class images are made before the first step, outside the timed steps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainConfig } from '../bas/train/config.js';
import { BreakASceneTrainer } from '../bas/train/trainer.js';
import { sceneAt, writeSceneFolder } from '../lab/world/index.js';
import type { StepBench } from './steps.js';

const BASE = join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'base');
/** steps run; the first WARM intervals between step ends are dropped (JIT, wasm compiles) */
const STEPS = 10;
const WARM = 3;

export function trainStep(): StepBench {
  const dir = mkdtempSync(join(tmpdir(), 'bas-bench-train-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const sample = sceneAt(7, 0, { resolution: 32 });
  writeSceneFolder(join(dir, 'scene'), sample.scene);
  const config = trainConfig({
    instance_data_dir: join(dir, 'scene'),
    pretrained_model_name_or_path: BASE,
    num_of_assets: sample.scene.objects.length,
    phase1_train_steps: 0,
    phase2_train_steps: STEPS,
    train_batch_size: 2,
    output_dir: join(dir, 'run'),
    num_class_images: 4,
    checkpointing_steps: 0,
  });
  return {
    op: 'train',
    shape: 'bas train step, batch 2 + prior (4 rows), attention loss',
    flops: 0,
    // the median time between the ends of consecutive steps, after the warm ones
    measure: async () => {
      const ends: number[] = [];
      await new BreakASceneTrainer(config, { log: () => {}, onStep: () => ends.push(performance.now()) }).train();
      const gaps = ends.slice(1).map((t, i) => t - ends[i]!).slice(WARM).sort((a, b) => a - b);
      return gaps[Math.floor(gaps.length / 2)]!;
    },
  };
}
