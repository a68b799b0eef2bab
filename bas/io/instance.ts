// Loading a Break-A-Scene instance folder: img.jpg (or img.png) and mask0.png ... mask{N-1}.png,
// validated up front so a bad folder fails with a message that names the culprit.
import type { Tensor } from '../../core/index.js';
import { files } from '../../platform/platform.js';
import { readImage } from './image.js';
import { imageToTensor, maskToTensor } from './tensor.js';

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
}

/** img.jpg first (the original's only choice), then img.png. */
const IMAGE_NAMES = ['img.jpg', 'img.png'] as const;
const MASK_NAME = /^mask(\d+)\.png$/;

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
  if (opts.numOfAssets !== undefined && opts.numOfAssets !== n) {
    throw new Error(`numOfAssets is ${opts.numOfAssets} but ${dir} holds ${n} mask(s) (mask0.png ... mask${n - 1}.png)`);
  }

  const img = readImage(imagePath);
  const maskPaths = numbers.map((i) => join(`mask${i}.png`));
  const masks = maskPaths.map((p) => {
    const m = readImage(p);
    if (m.width !== img.width || m.height !== img.height) {
      throw new Error(`mask size differs from the image: ${p} is ${m.width}x${m.height}, ${imagePath} is ${img.width}x${img.height}`);
    }
    return maskToTensor(m, opts.resolution);
  });
  return {
    image: imageToTensor(img, opts.resolution),
    masks,
    width: img.width,
    height: img.height,
    paths: { image: imagePath, masks: maskPaths },
  };
}
