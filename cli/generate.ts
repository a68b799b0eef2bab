// bas generate: render a prompt with the learned tokens of a trained model folder.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { to_uint8_images } from '../diffusion/index.js';
import { writePng } from '../bas/io/png.js';
import { loadModel, sample } from '../bas/model.js';
import { labelsFromTokens, save_cross_attention_vis } from '../bas/vis/index.js';
import { useBackend } from '../bas/backend.js';
import { InputError } from '../bas/errors.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';

const FLAGS = {
  model_path: { type: 'string', help: 'a trained model folder (pipeline layout)', required: true },
  prompt: { type: 'string', help: 'prompt; may use the learned tokens, e.g. "a photo of <asset0> at the beach"', required: true },
  output_path: { type: 'string', help: 'PNG to write', default: 'out.png' },
  num_images: { type: 'int', help: 'images to sample (written as a row)', default: 1 },
  seed: { type: 'int', help: 'seed of the initial noise', default: 0 },
  num_inference_steps: { type: 'int', help: 'DDIM steps', default: 50 },
  guidance_scale: { type: 'number', help: 'classifier-free guidance scale', default: 7.5 },
  attention_map_path: { type: 'string', help: 'also write the averaged cross-attention of the prompt tokens here' },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('generate', 'render a prompt with learned tokens', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'generate');
  if (f.backend) useBackend(f.backend);
  if (!existsSync(join(f.model_path, 'model_index.json'))) throw new InputError(`--model_path ${f.model_path} is not a model folder (no model_index.json)`);
  const model = loadModel(f.model_path);
  // a <token> the tokenizer lacks would be split into "<", "asset", "0", ">": name it instead
  const unknown = [...f.prompt.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]).filter((t) => !model.tokenizer.has_token(t));
  if (unknown.length > 0) throw new InputError(`the prompt uses ${unknown.join(', ')}, which the model at ${f.model_path} does not have (it has: ${Object.keys(model.tokenizer.get_added_vocab()).join(', ') || 'no added tokens'})`);
  const oov = model.tokenizer.unknown_words(f.prompt);
  if (oov.length > 0) console.warn(`warning: not in the vocabulary, read as <|unk|>: ${oov.join(', ')}`);

  const t0 = Date.now();
  const out = sample(model, {
    prompt: f.prompt,
    num_images: f.num_images,
    seed: f.seed,
    num_inference_steps: f.num_inference_steps,
    guidance_scale: f.guidance_scale,
    record_attention: f.attention_map_path !== undefined,
  });
  const imgs = to_uint8_images(out.images, 'rgb');
  const h = imgs[0]!.height;
  const w = imgs[0]!.width;
  const row = new Uint8Array(imgs.length * w * h * 3);
  imgs.forEach((img, k) => {
    for (let y = 0; y < h; y++) row.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), (y * imgs.length * w + k * w) * 3);
  });
  mkdirSync(dirname(f.output_path), { recursive: true });
  writePng(f.output_path, { width: w * imgs.length, height: h, rgb: row });
  console.log(`wrote ${f.output_path} (${imgs.length} image(s) ${w}x${h}, ${f.num_inference_steps} DDIM steps, guidance ${f.guidance_scale}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (f.attention_map_path && out.attention) {
    mkdirSync(dirname(f.attention_map_path), { recursive: true });
    save_cross_attention_vis(f.attention_map_path, out.attention, labelsFromTokens(model.tokenizer.convert_ids_to_tokens(out.input_ids)));
    console.log(`wrote ${f.attention_map_path}`);
  }
  return 0;
}
