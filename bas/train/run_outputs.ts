// The trainer's optional outputs in its output sink, each step in a folder of its own with a JSON index:
//   OUTPUT/validation/step-N/      p{i}-{k}.png (prompt i, image k), p{i}-{k}_attn.png (its
//                                  per-token cross-attention tiles), index.json
//   OUTPUT/attention_maps/step-N/  sample-{b}/{layer}/{token}.png (one tile per placeholder token
//                                  and cross-attention layer), index.json
// Every file is written atomically (temporary sibling, then rename), and the index last, so an
// index names only files that exist.
import { select } from '../../core/index.js';
import { to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import { writePng } from '../io/png.js';
import { labelsFromTokens, renderAttentionRow, writePngAtomic } from '../vis/index.js';
import type { LayerMapsRecord } from './attention_maps.js';
import { outputPath, type OutputSink } from './output_sink.js';
import type { ValidationSample } from './validation.js';

const VALIDATION_DIR = 'validation';
const ATTENTION_MAPS_DIR = 'attention_maps';
const INDEX_FILE = 'index.json';

/** Side of a per-layer attention tile (4x a 16x16 map). */
const TILE = 64;

/** The folder of one step's outputs of one kind, in the sink. */
const stepFolder = (sink: OutputSink, kind: string, step: number): string => outputPath(sink, kind, `step-${step}`);

/** What index.json of a validation step holds. */
export interface ValidationIndex {
  step: number;
  num_inference_steps: number;
  guidance_scale: number;
  eta: number;
  images: { prompt: string; prompt_index: number; image_index: number; seed: number; file: string; attention: string | null }[];
}

export function writeValidation(sink: OutputSink, step: number, samples: readonly ValidationSample[], sampling: { num_inference_steps: number; guidance_scale: number; eta: number }): string {
  const fs = sink.files;
  const dir = stepFolder(sink, VALIDATION_DIR, step);
  fs.mkdirp(dir);
  const images = samples.map((s) => {
    const base = `p${s.prompt_index}-${s.image_index}`;
    writePng(fs.join(dir, `${base}.png`), s.image, fs);
    const attention = s.attention ? `${base}_attn.png` : null;
    if (s.attention && attention) writePngAtomic(fs.join(dir, attention), renderAttentionRow(s.attention, labelsFromTokens(s.tokens)), fs);
    return { prompt: s.prompt, prompt_index: s.prompt_index, image_index: s.image_index, seed: s.seed, file: `${base}.png`, attention };
  });
  const index: ValidationIndex = { step, num_inference_steps: sampling.num_inference_steps, guidance_scale: sampling.guidance_scale, eta: sampling.eta, images };
  write_file_atomic(fs.join(dir, INDEX_FILE), to_json_text(index), fs);
  return dir;
}

/** A placeholder token as a file name: `<asset0>` -> `asset0`. */
const tokenFile = (token: string): string => token.replace(/[^A-Za-z0-9_.-]/g, '') || 'token';

export function writeAttentionMaps(sink: OutputSink, step: number, phase: 1 | 2, rec: LayerMapsRecord): string {
  const fs = sink.files;
  const dir = stepFolder(sink, ATTENTION_MAPS_DIR, step);
  const maps: { sample: number; layer: string; token: string; file: string; max: number; mean: number }[] = [];
  rec.samples.forEach((s, b) => {
    for (const layer of rec.layers) {
      // index paths use '/' whatever the platform's separator
      const folder = `sample-${b}/${layer.name}`;
      fs.mkdirp(fs.join(dir, folder));
      const perSample = select(layer.maps, 0, b);
      for (const { token, position } of s.tokens) {
        const file = `${folder}/${tokenFile(token)}.png`;
        writePngAtomic(fs.join(dir, file), renderAttentionRow(perSample, [{ index: position, text: token }], { tileSize: TILE }), fs);
        const v = Array.from(select(perSample, -1, position).data);
        maps.push({ sample: b, layer: layer.name, token, file, max: Math.max(...v), mean: v.reduce((x, y) => x + y, 0) / v.length });
      }
    }
  });
  const index = { step, phase, samples: rec.samples.map((s, b) => ({ sample: b, ...s })), layers: rec.layers.map((l) => ({ name: l.name, place: l.place, res: l.res })), maps };
  write_file_atomic(fs.join(dir, INDEX_FILE), to_json_text(index), fs);
  return dir;
}
