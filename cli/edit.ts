// bas edit: local editing by example. A learned concept is drawn into another image inside a mask
// by blended diffusion in pixel space (the original's "local editing" application); outside the
// mask the input image is kept exactly. Every flag, the output path, the image and the mask are
// checked before the model is loaded, and the model and prompt before sampling: bad input costs
// no time and writes nothing.
import { imageToTensor } from '../bas/io/tensor.js';
import { sample } from '../bas/model.js';
import { useBackend } from '../bas/backend.js';
import { InputError } from '../bas/errors.js';
import { checkRanges } from '../bas/ranges.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkOutputImage } from './checks.js';
import { editMaskTensor, readEditMask, readInitImage, resizeNotice } from './edit_inputs.js';
import { checkPrompt } from './prompt.js';
import { ensureFolder, loadModelFolder, SAMPLING_FLAGS, SAMPLING_RANGES, sampleOptionsFrom, writeImageRow } from './sample_io.js';

const FLAGS = {
  model_path: { type: 'string', help: 'a trained model folder (pipeline layout)', required: true },
  init_image: { type: 'string', help: 'the image to edit (.png or .jpg)', required: true },
  mask: { type: 'string', help: 'where to draw: white = the prompt draws, black = the image is kept (soft masks blend); same size as --init_image', required: true },
  prompt: { type: 'string', help: 'what to draw in the mask, e.g. "a photo of <asset0>"', required: true },
  output_path: { type: 'string', help: 'image to write (.png, or .jpg/.jpeg for a JPEG)', required: true },
  num_images: { type: 'int', help: 'edits to sample (written as a row)', default: 1 },
  seed: { type: 'int', help: 'seed of the noise', default: 0 },
  ...SAMPLING_FLAGS,
  strength: { type: 'number', help: "share of the schedule run from the noised image, in (0, 1] (diffusers' img2img); 1 redraws the masked region from noise", default: 1 },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('edit', 'draw a prompt into an image inside a mask (blended diffusion)', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'edit');
  checkRanges(f, SAMPLING_RANGES);
  if (!(f.strength > 0 && f.strength <= 1)) throw new InputError(`--strength ${f.strength} must be in (0, 1]`);
  if (Math.floor(f.num_inference_steps * f.strength) < 1) {
    throw new InputError(`--strength ${f.strength} with --num_inference_steps ${f.num_inference_steps} runs no denoising step; raise either`);
  }
  const toCreate = checkOutputImage('--output_path', f.output_path);
  if (f.backend) useBackend(f.backend);
  const notes: string[] = [];
  const image = readInitImage(f.init_image, (m) => notes.push(m));
  const mask = readEditMask(f.mask, image, f.init_image, (m) => notes.push(m));
  const model = loadModelFolder(f.model_path);
  const resolution = model.unet.config.sample_size ?? 32;
  const maskTensor = editMaskTensor(mask, f.mask, resolution);
  checkPrompt(model.tokenizer, f.prompt, f.model_path, (m) => console.warn(m));
  // the notices once every check has passed: a refused run prints its error line alone
  const resized = resizeNotice(image, f.init_image, resolution);
  for (const line of [...(resized === null ? [] : [resized]), ...notes]) console.log(line);

  const t0 = Date.now();
  const out = sample(model, {
    ...sampleOptionsFrom(f),
    edit: { image: imageToTensor(image, resolution), mask: maskTensor, strength: f.strength },
  });
  ensureFolder(toCreate, (m) => console.log(m));
  const { count, width, height } = writeImageRow(f.output_path, out.images);
  console.log(`wrote ${f.output_path} (${count} edit(s) ${width}x${height}, ${f.num_inference_steps} DDIM steps, strength ${f.strength}, guidance ${f.guidance_scale}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return 0;
}
