// Judging generated images with the world's rule-based detector: which palette colours appear as
// objects, and with which shapes.
import { to_uint8_images } from '../../diffusion/index.js';
import type { Tensor } from '../../core/index.js';
import { detect, type Detection } from '../world/index.js';

export interface Concept {
  colour: string;
  shape: string;
}

/** Detections of each image of a (N, 3, H, W) batch in [-1, 1]. */
export function detectBatch(images: Tensor): Detection[][] {
  return to_uint8_images(images, 'rgb').map((img) => detect(img.data, img.width, img.height));
}

export const hasColour = (d: readonly Detection[], colour: string): boolean => d.some((x) => x.colour === colour);

/** The concept's colour is present and the object of that colour has the concept's shape. */
export const hasConcept = (d: readonly Detection[], c: Concept): boolean => d.some((x) => x.colour === c.colour && x.shape === c.shape);

export const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((s, v) => s + v, 0) / xs.length);
