// What `bas edit` reads besides the model, checked before the model is loaded so bad input costs
// nothing: --init_image and --mask as files (a missing, truncated or non-image file is one error
// naming the flag), the mask's size against the image's and its content (empty: an error; all
// white, soft, drawn in another channel: used, with a one-line notice each), and the notices for
// an image that is resized, stretched, transparent or CMYK.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Tensor } from '../core/index.js';
import { readImage } from '../bas/io/image.js';
import type { RgbaImage } from '../bas/io/pixels.js';
import { colourNotices } from '../bas/io/image_notes.js';
import { CHANNEL_NAMES, inspectMask, percent } from '../bas/io/mask_check.js';
import { maskToTensor } from '../bas/io/tensor.js';
import { InputError } from '../bas/errors.js';

export interface EditMask {
  image: RgbaImage;
  /** The RGBA channel read as the mask. */
  channel: number;
}

function readFlagImage(flag: string, path: string): RgbaImage {
  if (!existsSync(path)) throw new InputError(`--${flag} ${path}: no such file`);
  try {
    return readImage(path);
  } catch (e) {
    throw new InputError(`--${flag} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The image to edit, with its colour notices (transparency, CMYK). */
export function readInitImage(path: string, notice: (msg: string) => void): RgbaImage {
  const image = readFlagImage('init_image', path);
  colourNotices(image, basename(path)).forEach((l) => notice(l));
  return image;
}

/** The mask file: same size as the image, not empty; the channel that carries it, with notices. */
export function readEditMask(path: string, image: RgbaImage, imagePath: string, notice: (msg: string) => void): EditMask {
  const m = readFlagImage('mask', path);
  if (m.width !== image.width || m.height !== image.height) {
    throw new InputError(`--mask ${path} is ${m.width}x${m.height} but --init_image ${imagePath} is ${image.width}x${image.height}; they must match`);
  }
  let inspected: ReturnType<typeof inspectMask>;
  try {
    inspected = inspectMask(m, path);
  } catch {
    throw new InputError(`--mask ${path} is all black: there is nowhere to draw (white marks where the prompt draws)`);
  }
  const name = basename(path);
  const { channel, soft, full } = inspected;
  // the original's masks are read from their first channel: one drawn in alpha or in green is read from that one
  if (channel !== 0) notice(`note: ${name} has a flat red channel: its ${CHANNEL_NAMES[channel]} channel is read as the mask`);
  if (full) notice(`note: ${name} covers the whole image (all white): the whole image is redrawn`);
  if (soft > 0) notice(`note: ${name} is soft (${percent(soft, m.width * m.height)} of its pixels between 0 and 255): the edit and the image are blended there by its value / 255`);
  return { image: m, channel };
}

/** The mask at the working size; a mask whose pixels all vanish in the nearest resize is refused. */
export function editMaskTensor(mask: EditMask, path: string, resolution: number): Tensor {
  const t = maskToTensor(mask.image, resolution, mask.channel);
  if (!t.data.some((v) => v > 0)) throw new InputError(`--mask ${path} is all black at ${resolution}x${resolution}: there is nowhere to draw (draw it larger)`);
  return t;
}

/** The notice for an image that is not at the model's size: resized, and stretched when not square. */
export function resizeNotice(image: RgbaImage, path: string, resolution: number): string | null {
  if (image.width === resolution && image.height === resolution) return null;
  const how = image.width === image.height ? '' : ' (stretched to a square, not cropped)';
  return `note: ${basename(path)} is ${image.width}x${image.height}: resized to ${resolution}x${resolution}${how}, its mask too; the edit is written at ${resolution}x${resolution}`;
}
