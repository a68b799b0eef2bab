// `npm run profile`: where the time of one default pretraining step (batch 16) and one
// Break-A-Scene step (batch 2 with prior preservation) goes: per kernel and per op, forward and
// backward, outside the kernels, and in GC. Both run their real training loops (StepProfiler:
// 2 warm-up steps, then BAS_PROFILE_STEPS profiled steps, default 3) on the active backend
// (BAS_BACKEND, default gpujs-webasm, the `bas` commands' default). The same tables come from
// `bas pretrain --profile_steps N` and `bas train --profile_steps N` on a real run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProfile, StepProfiler, type ProfileReport } from '../core/index.js';
import { setBackend } from '../kernels/index.js';
import { pretrainConfig } from '../lab/pretrain/config.js';
import { Pretrainer } from '../lab/pretrain/pretrainer.js';
import { BreakASceneTrainer } from '../bas/train/trainer.js';
import { trainConfig } from '../bas/train/config.js';
import { sceneAt, writeSceneFolder } from '../lab/world/index.js';

const WARMUP = 2;
const steps = Number(process.env['BAS_PROFILE_STEPS'] ?? 3);
const backend = process.env['BAS_BACKEND'] || 'gpujs-webasm';
setBackend(backend);
const dir = mkdtempSync(join(tmpdir(), 'bas-profile-'));
const quiet = (): void => {};
let report: [ProfileReport, number] | null = null;
const profiler = (): StepProfiler => new StepProfiler(WARMUP, steps, (r, n) => (report = [r, n]));
const print = (title: string): void => {
  if (!report) throw new Error(`${title}: no profile was recorded`);
  console.log(`## ${title}\n\n${formatProfile(report[0], { steps: report[1] })}\n`);
  report = null;
};

try {
  console.log(`# bas-ts profile: backend ${backend}, ${steps} profiled steps after ${WARMUP} warm-up steps, figures per step\n`);
  const pre = pretrainConfig({ output_dir: join(dir, 'pretrain'), max_train_steps: WARMUP + steps, sample_steps: 0, checkpointing_steps: 0 });
  await new Pretrainer(pre, quiet, profiler()).train();
  print('Pretraining step: `default` UNet and text encoder, batch 16 (`bas pretrain` defaults)');

  const sample = sceneAt(7, 0, { resolution: 32 });
  writeSceneFolder(join(dir, 'scene'), sample.scene);
  const train = trainConfig({
    instance_data_dir: join(dir, 'scene'),
    num_of_assets: sample.scene.objects.length,
    phase1_train_steps: 0,
    phase2_train_steps: WARMUP + steps,
    output_dir: join(dir, 'train'),
    num_class_images: 4,
    checkpointing_steps: 0,
  });
  await new BreakASceneTrainer(train, { log: quiet, profiler: profiler() }).train();
  print('Break-A-Scene step: phase 2 on the shipped base model, batch 2 + prior (4 rows), attention loss');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
