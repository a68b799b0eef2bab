// The trainer on in-memory files, as a browser runs it: the base model and the instance scene are
// read from a MemoryFiles, and every output (metrics.jsonl, checkpoints, the fine-tuned model) is
// written into it, none to the disk; and the run is the same run as on the disk: the same metrics
// text and the same weights, byte for byte.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { MemoryFiles, memoryPlatform, setPlatform } from '../../platform/index.js';
import { tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-train-memory');
afterAll(() => tmp.cleanup());

/** A two-phase tiny run (3 + 3 steps, a checkpoint every 2) with its inputs and outputs under `root`. */
async function run(root: string): Promise<void> {
  const model = writeTinyModel(join(root, 'model'), 7);
  const scene = writeScene(join(root, 'scene'));
  const config = tinyTrainConfig(model, scene, join(root, 'out'), { checkpointing_steps: 2 });
  await new BreakASceneTrainer(config, { log: () => {} }).train();
}

describe('training on in-memory files', () => {
  it('reads and writes only the MemoryFiles, and gives the disk run byte for byte', async () => {
    // the progress bar prints through console.log
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const disk = tmp.fresh('disk');
    await run(disk);

    const mem = new MemoryFiles();
    // a root no disk has, so a write that slipped past the platform would show
    const root = `/bas-memory-${process.pid}-${Date.now()}`;
    const previous = setPlatform(memoryPlatform({ files: mem }));
    try {
      await run(root);
    } finally {
      setPlatform(previous);
    }
    expect(existsSync(root)).toBe(false);

    const out = Object.keys(mem.snapshot(`${root}/out`)).map((p) => p.slice(root.length + 5));
    expect(out).toEqual(expect.arrayContaining(['metrics.jsonl', 'model_index.json', 'unet/diffusion_pytorch_model.safetensors', 'checkpoint-2/training_state.json', 'checkpoint-4/optimizer.safetensors']));
    // staging folders were renamed into place or removed
    expect(out.filter((p) => p.includes('.tmp-'))).toEqual([]);
    for (const rel of ['metrics.jsonl', 'unet/diffusion_pytorch_model.safetensors', 'text_encoder/model.safetensors', 'checkpoint-4/optimizer.safetensors']) {
      expect(Buffer.from(mem.readFile(`${root}/out/${rel}`)).equals(readFileSync(join(disk, 'out', rel))), rel).toBe(true);
    }
    expect(mem.readText(`${root}/out/metrics.jsonl`).trim().split('\n')).toHaveLength(6);
  });
});
