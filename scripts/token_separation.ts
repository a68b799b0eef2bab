// How far apart does a text encoder hold captions that differ in one word? For every pair of
// "a photo of a <colour> <shape>" captions that differ only in the shape word (or only in the
// colour word), the L2 distance between their last_hidden_state rows: the largest over token
// positions, and over the whole sequence, averaged over the pairs. A UNet can only use a word
// its encoder keeps apart, so this tells a collapsed conditioning path (differences near 0) from
// one the UNet ignores. FOLDER is a pipeline folder or a `bas pretrain-clip` output; "random"
// measures a freshly initialised encoder of the default config.
// Usage: npx tsx scripts/token_separation.ts [FOLDER (default models/base)]...
import { Generator, no_grad } from '../core/index.js';
import { CLIPTextModel } from '../nn/clip/text_model.js';
import { pretrainTextEncoderConfig } from '../lab/pretrain/pretrainer.js';
import { load_text_encoder } from '../nn/pipeline.js';
import { CLIPTokenizer } from '../nn/tokenizer/clip_tokenizer.js';
import { textEncoderConfig } from '../nn/configs.js';
import { COLOUR_NAMES, SHAPE_NAMES } from '../lab/world/index.js';

interface Separation {
  maxToken: number;
  sequence: number;
}

function encoderOf(spec: string): { text_encoder: CLIPTextModel; tokenizer: CLIPTokenizer } {
  if (spec !== 'random') return load_text_encoder(spec);
  // as `bas pretrain` builds a fresh one (seed 0)
  const tokenizer = new CLIPTokenizer({ model_max_length: textEncoderConfig('default').max_position_embeddings ?? 24 });
  return { text_encoder: new CLIPTextModel(pretrainTextEncoderConfig('default', tokenizer.length), { generator: new Generator(0) }), tokenizer };
}

/** Mean over pairs of the per-pair (max-over-tokens, whole-sequence) L2 distances. */
function separation(states: Map<string, Float32Array>, width: number, pairs: readonly (readonly [string, string])[]): Separation {
  let maxToken = 0;
  let sequence = 0;
  for (const [x, y] of pairs) {
    const a = states.get(x)!;
    const b = states.get(y)!;
    let worst = 0;
    let total = 0;
    for (let p = 0; p < a.length / width; p++) {
      let s = 0;
      for (let d = 0; d < width; d++) s += (a[p * width + d]! - b[p * width + d]!) ** 2;
      worst = Math.max(worst, Math.sqrt(s));
      total += s;
    }
    maxToken += worst;
    sequence += Math.sqrt(total);
  }
  return { maxToken: maxToken / pairs.length, sequence: sequence / pairs.length };
}

function measure(spec: string): string {
  const { text_encoder, tokenizer } = encoderOf(spec);
  const width = text_encoder.config.hidden_size;
  const key = (c: string, s: string): string => `${c} ${s}`;
  const states = new Map<string, Float32Array>();
  let norm = 0;
  no_grad(() => {
    for (const c of COLOUR_NAMES) {
      for (const s of SHAPE_NAMES) {
        const h = Float32Array.from(text_encoder.forward([tokenizer.encode(`a photo of a ${c} ${s}`, { padding: 'max_length', truncation: true })]).last_hidden_state.data);
        states.set(key(c, s), h);
        for (let p = 0; p < h.length / width; p++) norm = Math.max(norm, Math.hypot(...h.subarray(p * width, (p + 1) * width)));
      }
    }
  });
  const shapePairs: [string, string][] = [];
  const colourPairs: [string, string][] = [];
  for (const c of COLOUR_NAMES) SHAPE_NAMES.forEach((s, i) => SHAPE_NAMES.slice(i + 1).forEach((s2) => shapePairs.push([key(c, s), key(c, s2)])));
  for (const s of SHAPE_NAMES) COLOUR_NAMES.forEach((c, i) => COLOUR_NAMES.slice(i + 1).forEach((c2) => colourPairs.push([key(c, s), key(c2, s)])));
  const sh = separation(states, width, shapePairs);
  const co = separation(states, width, colourPairs);
  return `| ${spec} | ${norm.toFixed(2)} | ${sh.maxToken.toFixed(2)} / ${sh.sequence.toFixed(2)} | ${co.maxToken.toFixed(2)} / ${co.sequence.toFixed(2)} |`;
}

const specs = process.argv.slice(2);
console.log('distance between the last_hidden_state of captions differing in one word (mean over pairs): largest token row / whole sequence\n');
console.log('| encoder | largest token norm | shape word changed | colour word changed |');
console.log('|---|---|---|---|');
for (const spec of specs.length > 0 ? specs : ['models/base']) console.log(measure(spec));
