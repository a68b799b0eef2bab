// bas edit: local editing by example. A learned concept is drawn into another image inside a mask
// by blended diffusion in pixel space (the original's "local editing" application); outside the
// mask the input image is kept exactly.
import { existsSync } from 'node:fs';
import type { Tensor } from '../core/index.js';
import { readImage } from '../bas/io/image.js';
import type { RgbaImage } from '../bas/io/pixels.js';
import { imageToTensor, maskToTensor } from '../bas/io/tensor.js';
import { sample } from '../bas/model.js';
import { useBackend } from '../bas/backend.js';
import { InputError } from '../bas/errors.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkPrompt } from './prompt.js';
import { loadModelFolder, writeImageRow } from './sample_io.js';

const FLAGS = {
  model_path: { type: 'string', help: 'a trained model folder (pipeline layout)', required: true },
  init_image: { type: 'string', help: 'the image to edit (.png or .jpg)', required: true },
  mask: { type: 'string', help: 'where to draw: white = the prompt draws, black = the image is kept (soft masks blend); same size as --init_image', required: true },
  prompt: { type: 'string', help: 'what to draw in the mask, e.g. "a photo of <asset0>"', required: true },
  output_path: { type: 'string', help: 'PNG to write', required: true },
  num_images: { type: 'int', help: 'edits to sample (written as a row)', default: 1 },
  seed: { type: 'int', help: 'seed of the noise', default: 0 },
  num_inference_steps: { type: 'int', help: 'DDIM steps', default: 50 },
  guidance_scale: { type: 'number', help: 'classifier-free guidance scale', default: 7.5 },
  strength: { type: 'number', help: "share of the schedule run from the noised image, in (0, 1] (diffusers' img2img); 1 redraws the masked region from noise", default: 1 },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

function readFlagImage(flag: string, path: string): RgbaImage {
  if (!existsSync(path)) throw new InputError(`--${flag} ${path}: no such file`);
  try {
    return readImage(path);
  } catch (e) {
    throw new InputError(`--${flag} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The mask as the trainer reads one (first channel / 255, nearest-resized), refused when empty. */
function loadEditMask(path: string, image: RgbaImage, imagePath: string, resolution: number): Tensor {
  const m = readFlagImage('mask', path);
  if (m.width !== image.width || m.height !== image.height) {
    throw new InputError(`--mask ${path} is ${m.width}x${m.height} but --init_image ${imagePath} is ${image.width}x${image.height}; they must match`);
  }
  const mask = maskToTensor(m, resolution);
  if (!mask.data.some((v) => v > 0)) throw new InputError(`--mask ${path} is all black at ${resolution}x${resolution}: there is nowhere to draw`);
  return mask;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('edit', 'draw a prompt into an image inside a mask (blended diffusion)', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'edit');
  if (f.backend) useBackend(f.backend);
  if (!f.output_path.toLowerCase().endsWith('.png')) throw new InputError(`--output_path ${f.output_path}: edits are written as PNG; name a .png file`);
  if (!(f.strength > 0 && f.strength <= 1)) throw new InputError(`--strength ${f.strength} must be in (0, 1]`);
  if (f.num_images < 1) throw new InputError(`--num_images ${f.num_images} must be at least 1`);
  if (f.num_inference_steps < 1) throw new InputError(`--num_inference_steps ${f.num_inference_steps} must be at least 1`);
  if (Math.floor(f.num_inference_steps * f.strength) < 1) {
    throw new InputError(`--strength ${f.strength} with --num_inference_steps ${f.num_inference_steps} runs no denoising step; raise either`);
  }
  const image = readFlagImage('init_image', f.init_image);
  const model = loadModelFolder(f.model_path);
  const resolution = model.unet.config.sample_size ?? 32;
  const mask = loadEditMask(f.mask, image, f.init_image, resolution);
  checkPrompt(model.tokenizer, f.prompt, f.model_path, (m) => console.warn(m));
  if (image.width !== resolution || image.height !== resolution) {
    console.log(`${f.init_image} is ${image.width}x${image.height}: resized to ${resolution}x${resolution} (and the mask with it)`);
  }

  const t0 = Date.now();
  const out = sample(model, {
    prompt: f.prompt,
    num_images: f.num_images,
    seed: f.seed,
    num_inference_steps: f.num_inference_steps,
    guidance_scale: f.guidance_scale,
    edit: { image: imageToTensor(image, resolution), mask, strength: f.strength },
  });
  const { count, width, height } = writeImageRow(f.output_path, out.images);
  console.log(`wrote ${f.output_path} (${count} edit(s) ${width}x${height}, ${f.num_inference_steps} DDIM steps, strength ${f.strength}, guidance ${f.guidance_scale}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return 0;
}
