// Fixtures for the trainer and CLI tests: a seeded tiny base model saved as a pipeline folder, small
// generated instance scenes (coloured rectangles on a background, exact masks), and helpers to read
// a run's outputs. The `default` model takes 1-2 s a step on a CPU; this one a few milliseconds,
// with the same architecture (cross-attention at 8x8 and in the 4x4 mid block, a CLIP-like text
// encoder over the project's vocabulary), so a whole two-phase run fits in a test.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, type DType, type Tensor } from '../../core/index.js';
import { SD_SCHEDULER_CONFIG } from '../../diffusion/index.js';
import { writePng } from '../../bas/io/png.js';
import { saveModel, type BasModel } from '../../bas/model.js';
import { trainConfig, type TrainConfig } from '../../bas/train/config.js';
import type { MetricsLine } from '../../bas/train/trainer.js';
import { load_file } from '../../nn/safetensors.js';
import { CLIPTokenizer } from '../../nn/tokenizer/clip_tokenizer.js';
import { UNet2DConditionModel } from '../../nn/unet/unet_2d_condition.js';
import { files } from '../../platform/platform.js';
import { TINY_UNET_CONFIG, tinyTextEncoder } from '../../playground/model_folder.js';

/** 8x8 pixels; cross-attention at 8x8 (down 0, up 1) and 4x4 (mid), so the loss supervises 8x8 maps. */
export { TINY_UNET_CONFIG };

/** Room for "a photo of <asset0> and <asset1> and <asset2>" (10 tokens with start and end) and more. */
export const TINY_MAX_LENGTH = 12;

export function tinyModel(seed = 0, dtype: DType = 'float32'): BasModel {
  const gen = new Generator(seed);
  const tokenizer = new CLIPTokenizer({ model_max_length: TINY_MAX_LENGTH });
  const text_encoder = tinyTextEncoder(tokenizer, TINY_MAX_LENGTH, gen, dtype);
  const unet = new UNet2DConditionModel(TINY_UNET_CONFIG, { dtype, generator: gen });
  return { unet, text_encoder, tokenizer, scheduler_config: { _class_name: 'DDIMScheduler', ...SD_SCHEDULER_CONFIG } };
}

/** A temporary root folder removed by `cleanup()` (call it from afterAll). */
export function tempRoot(prefix: string): { root: string; fresh: (name?: string) => string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let n = 0;
  return {
    root,
    // a path under root that does not exist yet: the trainer's output_dir must be creatable
    fresh: (name = 'd') => join(root, `${name}${n++}`),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Saves `tinyModel(seed)` as a pipeline folder at `dir` and returns `dir`. */
export function writeTinyModel(dir: string, seed = 0): string {
  saveModel(dir, tinyModel(seed));
  return dir;
}

export interface Rect {
  /** [y0, y1) x [x0, x1) in pixels. */
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  rgb: [number, number, number];
}

/** Three well-separated rectangles on an 8x8 grey background, one per concept. */
export const THREE_RECTS: readonly Rect[] = [
  { y0: 0, y1: 4, x0: 0, x1: 4, rgb: [230, 30, 30] },
  { y0: 0, y1: 4, x0: 5, x1: 8, rgb: [30, 200, 40] },
  { y0: 5, y1: 8, x0: 1, x1: 7, rgb: [40, 60, 230] },
];

/**
 * Writes img.png and mask0.png ... into `dir` (created, on the installed platform's files): `rects`
 * over a background, at `size` px.
 * Rects are given on an 8x8 grid and scaled by size / 8, so the masks stay exact at any size.
 */
export function writeScene(dir: string, rects: readonly Rect[] = THREE_RECTS, size = 8, background: [number, number, number] = [128, 128, 128]): string {
  files().mkdirp(dir);
  const k = size / 8;
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) rgb.set(background, i * 3);
  rects.forEach((r, m) => {
    const gray = new Uint8Array(size * size);
    for (let y = r.y0 * k; y < r.y1 * k; y++) {
      for (let x = r.x0 * k; x < r.x1 * k; x++) {
        gray[y * size + x] = 255;
        rgb.set(r.rgb, (y * size + x) * 3);
      }
    }
    writePng(join(dir, `mask${m}.png`), { width: size, height: size, gray });
  });
  writePng(join(dir, 'img.png'), { width: size, height: size, rgb });
  return dir;
}

/** The tiny runs' settings: three concepts, 3 + 3 steps, no prior preservation (no class images), no checkpoints. */
export const TINY_TRAIN: Readonly<Partial<TrainConfig>> = { num_of_assets: 3, phase1_train_steps: 3, phase2_train_steps: 3, no_prior_preservation: true, checkpointing_steps: 0 };

/** A training config for the tiny model at `model` on `scene`: TINY_TRAIN, with `overrides` on top. */
export function tinyTrainConfig(model: string, scene: string, output: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return trainConfig({ pretrained_model_name_or_path: model, instance_data_dir: scene, output_dir: output, ...TINY_TRAIN, ...overrides });
}

/** The same run as `bas train` argv (TINY_TRAIN as flags), for the CLI's tests. */
export function trainArgv(model: string, scene: string, output: string, extra: readonly string[] = []): string[] {
  const defaults = ['--num_of_assets', '3', '--phase1_train_steps', '3', '--phase2_train_steps', '3', '--no_prior_preservation', '--checkpointing_steps', '0'];
  // later flags win in parseFlags, so `extra` overrides the defaults
  return ['--pretrained_model_name_or_path', model, '--instance_data_dir', scene, '--output_dir', output, ...defaults, ...extra];
}

export function readMetrics(outputDir: string): MetricsLine[] {
  return readFileSync(join(outputDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MetricsLine);
}

/** Every safetensors file of a saved pipeline folder, tensor by tensor. */
export function readWeights(modelDir: string): Record<string, Tensor> {
  return {
    ...prefixed('unet.', load_file(join(modelDir, 'unet', 'diffusion_pytorch_model.safetensors'))),
    ...prefixed('text_encoder.', load_file(join(modelDir, 'text_encoder', 'model.safetensors'))),
  };
}

function prefixed(p: string, sd: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [p + k, v]));
}

/** The raw bytes of a tensor, for bit-for-bit comparisons (NaN-safe, -0 distinct from 0). */
export function tensorBytes(t: Tensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Names of the tensors whose bytes differ between two weight sets (keys must match). */
export function differingTensors(a: Record<string, Tensor>, b: Record<string, Tensor>): string[] {
  const keys = Object.keys(a).sort();
  if (keys.join() !== Object.keys(b).sort().join()) throw new Error('weight sets have different keys');
  return keys.filter((k) => Buffer.compare(tensorBytes(a[k]!), tensorBytes(b[k]!)) !== 0);
}

/** Every file under `dir`, relative, sorted (empty when `dir` does not exist). */
export function listFiles(dir: string): string[] {
  const walk = (rel: string): string[] =>
    readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(rel, e.name)) : [join(rel, e.name)]));
  try {
    return walk('').sort();
  } catch {
    return [];
  }
}
