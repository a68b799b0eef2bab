// A sampled image's cross-attention per denoising step, per layer and per prompt token, as a folder
// (`bas generate --save_attention_maps DIR`), in DAAM's sense: every word of the prompt, not only
// the learned tokens. Layout:
//   DIR/step-KK/{layer}/{position}-{token}.png  one heat-map tile over the sampled image
//   DIR/index.json                             the prompt, tokens, layers, steps (with timesteps)
//                                              and every map's file, max and mean
// Tiles are written atomically and the index last, so it names only files that exist.
import { select, type Tensor } from '../../core/index.js';
import { to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import type { StepLayerMap } from '../attention/step_attention_store.js';
import { renderAttentionRow, type TokenLabel } from './attention_vis.js';
import type { RgbImage } from './image_ops.js';
import { writePngAtomic } from './png_file.js';

export const STEP_ATTENTION_INDEX = 'index.json';

export interface StepAttentionIndex {
  prompt: string;
  /** The image the maps belong to (the first sampled, conditional branch). */
  image: string | null;
  num_inference_steps: number;
  guidance_scale: number;
  seed: number;
  tokens: { position: number; text: string }[];
  layers: { name: string; place: string; res: number }[];
  steps: { step: number; timestep: number; folder: string }[];
  maps: { step: number; timestep: number; layer: string; position: number; token: string; file: string; max: number; mean: number }[];
}

export interface StepAttentionRecord {
  prompt: string;
  image_path: string | null;
  num_inference_steps: number;
  guidance_scale: number;
  seed: number;
  /** Prompt tokens to draw, by position in the prompt ids (special tokens left out). */
  tokens: readonly TokenLabel[];
  steps: readonly { timestep: number; layers: readonly StepLayerMap[] }[];
  /** Drawn under each heat map. */
  image?: RgbImage;
}

/** Side of a tile (8x an 8x8 map, 4x a 16x16 one). */
const TILE = 64;

/** A token as a file name: `<asset0>` -> `asset0`, `a</w>` -> `a`. */
const fileToken = (text: string): string => text.replace(/<\/w>$/, '').replace(/[^A-Za-z0-9_.-]/g, '') || 'token';

/** Writes the folder (made if missing) and returns its index. */
export function writeStepAttentionFolder(dir: string, rec: StepAttentionRecord, fs: Files = files()): StepAttentionIndex {
  fs.mkdirp(dir);
  const width = String(Math.max(rec.steps.length - 1, 1)).length;
  const maps: StepAttentionIndex['maps'] = [];
  const steps = rec.steps.map((s, k) => {
    const folder = `step-${String(k).padStart(width, '0')}`;
    for (const layer of s.layers) {
      // index paths use '/' whatever the platform's separator
      const layerFolder = `${folder}/${layer.name}`;
      fs.mkdirp(fs.join(dir, layerFolder));
      for (const t of rec.tokens) {
        const file = `${layerFolder}/${t.index}-${fileToken(t.text)}.png`;
        writePngAtomic(fs.join(dir, file), renderAttentionRow(layer.map, [t], { tileSize: TILE, ...(rec.image ? { image: rec.image } : {}) }), fs);
        const v = tokenValues(layer.map, t.index);
        maps.push({ step: k, timestep: s.timestep, layer: layer.name, position: t.index, token: t.text, file, max: Math.max(...v), mean: v.reduce((a, b) => a + b, 0) / v.length });
      }
    }
    return { step: k, timestep: s.timestep, folder };
  });
  const index: StepAttentionIndex = {
    prompt: rec.prompt,
    image: rec.image_path,
    num_inference_steps: rec.num_inference_steps,
    guidance_scale: rec.guidance_scale,
    seed: rec.seed,
    tokens: rec.tokens.map((t) => ({ position: t.index, text: t.text })),
    layers: (rec.steps[0]?.layers ?? []).map((l) => ({ name: l.name, place: l.place, res: l.res })),
    steps,
    maps,
  };
  write_file_atomic(fs.join(dir, STEP_ATTENTION_INDEX), to_json_text(index), fs);
  return index;
}

function tokenValues(map: Tensor, position: number): number[] {
  return Array.from(select(map, -1, position).data);
}
