// bas generate: render a prompt with the learned tokens of a trained model folder.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sample } from '../bas/model.js';
import { labelsFromTokens, save_cross_attention_vis } from '../bas/vis/index.js';
import { useBackend } from '../bas/backend.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkPromptTokens, loadModelFolder, writeImageRow } from './sample_io.js';

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
  const model = loadModelFolder(f.model_path);
  checkPromptTokens(model, f.prompt, f.model_path);
  const t0 = Date.now();
  const out = sample(model, {
    prompt: f.prompt,
    num_images: f.num_images,
    seed: f.seed,
    num_inference_steps: f.num_inference_steps,
    guidance_scale: f.guidance_scale,
    record_attention: f.attention_map_path !== undefined,
  });
  const { count, width: w, height: h } = writeImageRow(f.output_path, out.images);
  console.log(`wrote ${f.output_path} (${count} image(s) ${w}x${h}, ${f.num_inference_steps} DDIM steps, guidance ${f.guidance_scale}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (f.attention_map_path && out.attention) {
    mkdirSync(dirname(f.attention_map_path), { recursive: true });
    save_cross_attention_vis(f.attention_map_path, out.attention, labelsFromTokens(model.tokenizer.convert_ids_to_tokens(out.input_ids)));
    console.log(`wrote ${f.attention_map_path}`);
  }
  return 0;
}
