// The trainer's output sink: a run into a memorySink() receives, file for file and byte for byte,
// what the same run writes into a folder (checkpoints, the model, metrics.jsonl, class images,
// image logs); nothing reaches the disk; and a resume from the memory sink's own checkpoint ends
// bit-identical to the uninterrupted run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { memorySink, type OutputSink } from '../../bas/train/output_sink.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import type { TrainConfig } from '../../bas/train/config.js';
import { listFiles, tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-output-sink');
afterAll(() => tmp.cleanup());

/** Files that name the output folder itself (the flags, and the report's title), so differ by design. */
const NAMES_THE_FOLDER = new Set(['train_config.json', 'report.html']);

describe('the output sink', () => {
  it('a memory sink receives what the folder sink writes, byte for byte, and resumes bit-exactly', async () => {
    // the progress bar prints through console.log
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const model = writeTinyModel(tmp.fresh('model'), 3);
    const scene = writeScene(tmp.fresh('scene'));
    // prior preservation (class images into the run's class_images/), a checkpoint every 2 steps, image logs at step 6
    const overrides: Partial<TrainConfig> = { checkpointing_steps: 2, no_prior_preservation: false, num_class_images: 2, sample_batch_size: 2, num_inference_steps: 2, log_checkpoints: true, img_log_steps: 3 };
    const train = (output_dir: string, sink?: OutputSink, more: Partial<TrainConfig> = {}): Promise<unknown> =>
      new BreakASceneTrainer(tinyTrainConfig(model, scene, output_dir, { ...overrides, ...more }), { log: () => {}, ...(sink ? { sink } : {}) }).train();

    const folder = tmp.fresh('folder');
    await train(folder);
    const onDisk = listFiles(folder);

    // a folder no disk has, so a write that slipped past the sink would show
    const sink = memorySink(`/bas-sink-${process.pid}-${Date.now()}`);
    const unused = tmp.fresh('unused');
    await train(unused, sink);
    expect(existsSync(unused)).toBe(false);
    expect(existsSync(sink.dir)).toBe(false);
    const received = sink.outputs();
    expect(Object.keys(received)).toEqual(onDisk);
    expect(onDisk).toEqual(
      expect.arrayContaining(['checkpoint-2/optimizer.safetensors', 'checkpoint-4/model/unet/diffusion_pytorch_model.safetensors', 'class_images/class-0001.png', 'img_logs/00006_full_pred.png', 'metrics.jsonl', 'model_index.json']),
    );
    for (const rel of onDisk.filter((p) => !NAMES_THE_FOLDER.has(p))) {
      expect(Buffer.from(received[rel]!).equals(readFileSync(join(folder, rel))), rel).toBe(true);
    }

    // a second memory run cut back to checkpoint-2 and its metrics (a run killed after step 4 would
    // leave those and a checkpoint-4, which `latest` would pick), then resumed from it
    const resumed = memorySink();
    await train(unused, resumed);
    for (const rel of Object.keys(resumed.outputs())) {
      if (!rel.startsWith('checkpoint-2/') && rel !== 'metrics.jsonl') resumed.files.remove(join(resumed.dir, rel));
    }
    expect(Object.keys(resumed.outputs()).some((p) => p.startsWith('checkpoint-4/'))).toBe(false);
    await train(unused, resumed, { resume_from_checkpoint: 'latest' });
    const after = resumed.outputs();
    for (const rel of ['metrics.jsonl', 'unet/diffusion_pytorch_model.safetensors', 'text_encoder/model.safetensors', 'checkpoint-4/optimizer.safetensors']) {
      expect(Buffer.from(after[rel]!).equals(Buffer.from(received[rel]!)), rel).toBe(true);
    }
    expect(existsSync(unused)).toBe(false);
  });
});
