// Loading a Break-A-Scene instance folder: img.jpg (or img.png) and mask0.png ... mask{N-1}.png,
// validated up front so a bad folder fails with a message that names the culprit (a missing or
// extra mask by name, an empty mask, one of another size), and legitimate input that is not what
// the original expects (a resized or stretched image, transparency, soft, full or overlapping
// masks, unrelated files) is handled with a one-line notice each.
import type { Tensor } from '../../core/index.js';
import { files } from '../../platform/platform.js';
import { readImage } from './image.js';
import type { RgbaImage } from './pixels.js';
import { inspectMask, overlapCount, percent } from './mask_check.js';
import { imageToTensor, maskToTensor } from './tensor.js';
import { centerSquare, cropRgba } from './crop.js';
import { colourNotices } from './image_notes.js';

export interface InstanceFolder {
  /** (1, 3, R, R) in [-1, 1]. */
  image: Tensor;
  /** One (1, 1, R, R) tensor in [0, 1] per concept, in mask-number order. */
  masks: Tensor[];
  /** Size of the image on disk, before resizing. */
  width: number;
  height: number;
  paths: { image: string; masks: string[] };
}

export interface LoadInstanceOptions {
  resolution: number;
  /** When given, the folder must hold exactly this many masks. */
  numOfAssets?: number;
  /** Told, one line each, what was done with legitimate input the original would not expect. */
  notice?: (msg: string) => void;
  /** Crop a non-square image and its masks to the centre square before resizing (diffusers' --center_crop); else stretch. */
  centerCrop?: boolean;
}

/** img.jpg first (the original's only choice), then img.png. */
const IMAGE_NAMES = ['img.jpg', 'img.png'] as const;
const MASK_NAME = /^mask(\d+)\.png$/;
/** Files an instance folder may hold besides the image and masks (make-scene's caption). */
const KNOWN_EXTRA = new Set(['scene.json']);

const maskNames = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `mask${from + i}.png`).join(', ');

export function loadInstanceFolder(dir: string, opts: LoadInstanceOptions): InstanceFolder {
  const fs = files();
  const join = (name: string): string => fs.join(dir, name);
  if (!fs.exists(dir)) throw new Error(`instance folder not found: ${dir}`);
  if (!fs.isDirectory(dir)) throw new Error(`instance folder is not a folder: ${dir}`);
  const entries = fs.listDir(dir);

  const imageName = IMAGE_NAMES.find((n) => entries.includes(n));
  if (imageName === undefined) throw new Error(`no image in instance folder ${dir}: expected img.jpg or img.png`);
  const imagePath = join(imageName);

  const numbers = entries
    .map((e) => MASK_NAME.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (numbers.length === 0) throw new Error(`no masks in instance folder ${dir}: expected mask0.png, mask1.png, ...`);
  const gap = numbers.findIndex((n, i) => n !== i);
  if (gap !== -1) {
    throw new Error(`masks in ${dir} are not numbered consecutively from 0: found ${numbers.map((n) => `mask${n}.png`).join(', ')}, missing mask${gap}.png`);
  }
  const n = numbers.length;
  if (opts.numOfAssets !== undefined && opts.numOfAssets > n) {
    throw new Error(`numOfAssets is ${opts.numOfAssets} but ${dir} holds ${n} mask(s): missing ${maskNames(n, opts.numOfAssets)}`);
  }
  if (opts.numOfAssets !== undefined && opts.numOfAssets < n) {
    throw new Error(`numOfAssets is ${opts.numOfAssets} but ${dir} holds ${n} mask(s): ${maskNames(opts.numOfAssets, n)} not used (remove them or raise numOfAssets)`);
  }
  const notice = opts.notice ?? (() => undefined);
  const ignored = entries.filter((e) => e !== imageName && !MASK_NAME.test(e) && !KNOWN_EXTRA.has(e) && !e.startsWith('.')).sort();
  if (ignored.length > 0) notice(`note: ignored in ${dir}: ${ignored.join(', ')} (an instance folder holds img.jpg or img.png and mask0.png ...)`);

  const img = readImage(imagePath);
  const crop = opts.centerCrop === true && img.width !== img.height;
  imageNotices(img, imageName, opts.resolution, crop, notice);
  const maskPaths = numbers.map((i) => join(`mask${i}.png`));
  const read = maskPaths.map((p) => {
    const m = readImage(p);
    if (m.width !== img.width || m.height !== img.height) {
      throw new Error(`mask size differs from the image: ${p} is ${m.width}x${m.height}, ${imagePath} is ${img.width}x${img.height}`);
    }
    const inspected = inspectMask(m, p);
    inspected.notes.forEach((l) => notice(l));
    return { img: m, channel: inspected.channel, marked: inspected.marked };
  });
  overlapNotices(read, notice);
  // the image and every mask through the same box, so they stay aligned
  const box = centerSquare(img.width, img.height);
  const square = (i: RgbaImage): RgbaImage => (crop ? cropRgba(i, box) : i);
  const masks = read.map((m, i) => {
    const t = maskToTensor(square(m.img), opts.resolution, m.channel);
    if (!t.data.some((v) => v > 0)) {
      const where = crop ? `the centre ${box.side}x${box.side} square (center crop) resized` : 'nearest resize';
      throw new Error(`mask ${maskPaths[i]} marks ${m.marked} pixel(s) at ${img.width}x${img.height}, none left at ${opts.resolution}x${opts.resolution} (${where}): draw it larger${crop ? ' or nearer the centre' : ''}`);
    }
    return t;
  });
  return {
    image: imageToTensor(square(img), opts.resolution),
    masks,
    width: img.width,
    height: img.height,
    paths: { image: imagePath, masks: maskPaths },
  };
}

/** The crop or resize to the working square (one line), dropped transparency, a CMYK conversion. */
function imageNotices(img: RgbaImage, name: string, resolution: number, crop: boolean, notice: (msg: string) => void): void {
  const side = Math.min(img.width, img.height);
  if (crop) {
    const resized = side === resolution ? '' : `, resized to ${resolution}x${resolution}`;
    notice(`note: ${name} is ${img.width}x${img.height}: cropped to its centre ${side}x${side} square${resized} (center crop; its masks too)`);
  } else if (img.width !== resolution || img.height !== resolution) {
    const how = img.width === img.height ? '' : ' (stretched to a square, not cropped: --center_crop crops the centre square instead; its masks too)';
    notice(`note: ${name} is ${img.width}x${img.height}: resized to ${resolution}x${resolution}${how}`);
  }
  colourNotices(img, name).forEach((l) => notice(l));
}

/** One notice per pair of masks that mark some pixels in common. */
function overlapNotices(masks: readonly { img: RgbaImage; channel: number }[], notice: (msg: string) => void): void {
  const name = (i: number): string => `mask${i}.png`;
  for (let i = 0; i < masks.length; i++) {
    for (let j = i + 1; j < masks.length; j++) {
      const both = overlapCount(masks[i]!.img, masks[i]!.channel, masks[j]!.img, masks[j]!.channel);
      if (both > 0) notice(`note: ${name(i)} and ${name(j)} overlap in ${both} pixel(s) (${percent(both, masks[i]!.img.width * masks[i]!.img.height)} of the image): both concepts are supervised there`);
    }
  }
}
