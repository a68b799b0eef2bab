// Between model tensors in [-1, 1] (N, C, H, W) and 8-bit interleaved pixels (what pngjs and
// jpeg-js read and write), as diffusers' VaeImageProcessor does for its outputs.
import { tensor, type Tensor } from '../core/index.js';
import { round_half_even } from './scheduling_utils.js';

/** [-1, 1] -> [0, 1], clamped. */
export function denormalize(images: Tensor): Tensor {
  return images.div(2).add(0.5).clamp(0, 1);
}

/** [0, 1] -> [-1, 1]. */
export function normalize(images: Tensor): Tensor {
  return images.mul(2).sub(1);
}

export type PixelFormat = 'rgb' | 'rgba';

/** One image as interleaved 8-bit pixels, row-major (pngjs's `data` layout for rgba). */
export interface Uint8Image {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/**
 * (N, C, H, W) in [-1, 1] -> N images of 8-bit pixels: (x / 2 + 0.5) clamped to [0, 1], * 255,
 * rounded half to even (numpy's round, as diffusers' numpy_to_pil). C may be 1 (grey, repeated),
 * 3, or 4 (its alpha kept for rgba); rgba from 1 or 3 channels is opaque.
 */
export function to_uint8_images(images: Tensor, format: PixelFormat = 'rgb'): Uint8Image[] {
  if (images.ndim !== 4) throw new Error(`to_uint8_images expects (N, C, H, W), got shape [${images.shape.join(', ')}]`);
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (c !== 1 && c !== 3 && c !== 4) throw new Error(`to_uint8_images: ${c} channels; expected 1, 3 or 4`);
  const v = denormalize(images).data;
  const out_c = format === 'rgba' ? 4 : 3;
  const plane = h * w;
  const result: Uint8Image[] = [];
  for (let b = 0; b < n; b++) {
    const data = new Uint8Array(plane * out_c);
    const base = b * c * plane;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < out_c; k++) {
        const src = k < 3 ? (c === 1 ? 0 : k) : c === 4 ? 3 : -1;
        data[p * out_c + k] = src < 0 ? 255 : round_half_even(v[base + src * plane + p]! * 255);
      }
    }
    result.push({ width: w, height: h, channels: out_c, data });
  }
  return result;
}

/** The inverse: 8-bit interleaved pixels (3 or 4 channels; alpha dropped) -> (1, 3, H, W) in [-1, 1] (x / 127.5 - 1). */
export function from_uint8_image(img: Uint8Image, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const { width: w, height: h, channels: c, data } = img;
  const plane = w * h;
  if (data.length !== plane * c) throw new Error(`from_uint8_image: ${data.length} bytes for ${w}x${h}x${c}`);
  const out = new Float64Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let k = 0; k < 3; k++) out[k * plane + p] = data[p * c + k]! / 127.5 - 1;
  return tensor(out, { dtype, shape: [1, 3, h, w] });
}
