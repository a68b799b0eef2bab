// Images and masks to and from tensors, with the original's value conventions: image ->
// x / 127.5 - 1 in [-1, 1] (ToTensor then Normalize(0.5, 0.5)), mask -> first channel / 255.
//
// Size: the original train.py resizes nothing; it feeds img.jpg and the masks at their own size
// and expects them to be resolution x resolution already (the examples are 512x512). Here any size
// is accepted and resized straight to a resolution x resolution square; a non-square image is
// therefore stretched (distorted), not cropped, and its masks are stretched the same way, unless
// the caller crops the centre square first (crop.ts, `--center_crop`).
import { tensor, type Tensor } from '../../core/index.js';
import { rgbaImagesOf, type RgbaImage } from './pixels.js';
import { resizeNearestChannel, resizePlanes, toPlanes } from './resize.js';

function checkResolution(resolution: number): void {
  if (!Number.isInteger(resolution) || resolution <= 0) throw new Error(`resolution must be a positive integer, got ${resolution}`);
}

/** (1, 3, R, R) float32 in [-1, 1]: RGB (alpha dropped, as PIL's convert('RGB') does), area/bilinear resized. */
export function imageToTensor(img: RgbaImage, resolution: number): Tensor {
  checkResolution(resolution);
  const planes = resizePlanes(toPlanes(img.rgba, img.width, img.height, 4, 3), resolution, resolution);
  const d = planes.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! / 127.5 - 1;
  return tensor(d, { dtype: 'float32', shape: [1, 3, resolution, resolution] });
}

/**
 * (1, 1, R, R) float32 in [0, 1]: the first channel / 255 (or `channel`, 0-3 of RGBA), nearest-resized
 * (PyTorch's rule).
 */
export function maskToTensor(img: RgbaImage, resolution: number, channel = 0): Tensor {
  checkResolution(resolution);
  const plane = resizeNearestChannel(img.rgba, img.width, img.height, 4, channel, resolution, resolution);
  const d = new Float32Array(plane.length);
  for (let i = 0; i < d.length; i++) d[i] = plane[i]! / 255;
  return tensor(d, { dtype: 'float32', shape: [1, 1, resolution, resolution] });
}

/**
 * A (C, H, W) or (1, C, H, W) tensor in [-1, 1] with C = 1 (grey) or 3 (RGB) to an opaque 8-bit
 * RGBA image, by the one rule of bas/io/pixels.ts (diffusers' numpy_to_pil: round half to even).
 */
export function tensorToImage(t: Tensor): RgbaImage {
  const shape = t.shape.length === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) {
    throw new Error(`tensorToImage wants (C, H, W) or (1, C, H, W) with C = 1 or 3, got [${t.shape.join(', ')}]`);
  }
  return rgbaImagesOf(t.reshape([1, ...shape]))[0]!;
}
