// bas generate: render a prompt with the learned tokens of a trained model folder. Every flag and
// the prompt are checked before sampling, so bad input costs no time and writes nothing.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { writeImage } from '../bas/io/write_image.js';
import { sample } from '../bas/model.js';
import { labelsFromTokens, renderAttentionRow } from '../bas/vis/index.js';
import { writeStepAttentionFolder } from '../bas/vis/step_attention_folder.js';
import { InputError } from '../bas/errors.js';
import { useBackend } from '../bas/backend.js';
import { checkRanges } from '../bas/ranges.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkOutputDir, checkOutputImage } from './checks.js';
import { checkPrompt } from './prompt.js';
import { ensureFolder, loadModelFolder, SAMPLING_FLAGS, SAMPLING_RANGES, sampleOptionsFrom, writeImageRow } from './sample_io.js';

const FLAGS = {
  model_path: { type: 'string', help: 'a trained model folder (pipeline layout)', required: true },
  prompt: { type: 'string', help: 'prompt; may use the learned tokens, e.g. "a photo of <asset0> at the beach"', required: true },
  output_path: { type: 'string', help: 'image to write (.png, or .jpg/.jpeg for a JPEG)', default: 'out.png' },
  num_images: { type: 'int', help: 'images to sample (written as a row)', default: 1 },
  seed: { type: 'int', help: 'seed of the initial noise', default: 0 },
  ...SAMPLING_FLAGS,
  attention_map_path: { type: 'string', help: 'also write the averaged cross-attention of the prompt tokens here (.png or .jpg)' },
  save_attention_maps: { type: 'string', help: "also write the first image's cross-attention per denoising step, per layer and per prompt token into this folder (new or empty), with index.json" },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('generate', 'render a prompt with learned tokens', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'generate');
  checkRanges(f, SAMPLING_RANGES);
  const outputs = [['--output_path', f.output_path], ...(f.attention_map_path === undefined ? [] : [['--attention_map_path', f.attention_map_path]])] as const;
  const toCreate = outputs.map(([flag, path]) => checkOutputImage(flag, path));
  const mapsDir = f.save_attention_maps;
  if (mapsDir !== undefined) {
    checkOutputDir('--save_attention_maps', mapsDir);
    // another image's maps mixed into these would be read as this prompt's
    if (existsSync(mapsDir) && statSync(mapsDir).isDirectory() && readdirSync(mapsDir).length > 0) throw new InputError(`--save_attention_maps ${mapsDir} is not empty: choose a new or empty folder`);
  }
  if (f.backend) useBackend(f.backend);
  const model = loadModelFolder(f.model_path);
  checkPrompt(model.tokenizer, f.prompt, f.model_path, (m) => console.warn(m));

  const t0 = Date.now();
  const out = sample(model, { ...sampleOptionsFrom(f), record_attention: f.attention_map_path !== undefined, record_step_attention: mapsDir !== undefined });
  const notice = (m: string): void => console.log(m);
  ensureFolder(toCreate[0] ?? null, notice);
  const { count, width: w, height: h, images } = writeImageRow(f.output_path, out.images);
  console.log(`wrote ${f.output_path} (${count} image(s) ${w}x${h}, ${f.num_inference_steps} DDIM steps, guidance ${f.guidance_scale}${f.eta > 0 ? `, eta ${f.eta}` : ''}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (f.attention_map_path && out.attention) {
    ensureFolder(toCreate[1] ?? null, notice);
    writeImage(f.attention_map_path, renderAttentionRow(out.attention, labelsFromTokens(model.tokenizer.convert_ids_to_tokens(out.input_ids))));
    console.log(`wrote ${f.attention_map_path}`);
  }
  if (mapsDir !== undefined && out.step_attention) {
    const index = writeStepAttentionFolder(mapsDir, {
      prompt: f.prompt, image_path: f.output_path, num_inference_steps: f.num_inference_steps, guidance_scale: f.guidance_scale, seed: f.seed,
      tokens: labelsFromTokens(model.tokenizer.convert_ids_to_tokens(out.input_ids)),
      steps: out.step_attention,
      image: images[0]!,
    });
    console.log(`wrote ${mapsDir}: ${index.maps.length} maps (${index.steps.length} steps x ${index.layers.length} layers x ${index.tokens.length} tokens) and index.json`);
  }
  return 0;
}
