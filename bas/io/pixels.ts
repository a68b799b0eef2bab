// The pixel types of bas/ (8 bits a channel, row-major, channels interleaved) and the conversions
// between them and model tensors, so every picture the method reads or writes follows one rule:
// model tensors become bytes as diffusers' numpy_to_pil makes them, (x / 2 + 0.5).clamp(0, 1) * 255
// rounded half to even (numpy's round), which is diffusion/'s to_uint8_images.
import type { Tensor } from '../../core/index.js';
import { to_uint8_images } from '../../diffusion/index.js';

/** 4 bytes a pixel (R, G, B, A): what the image readers return. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
  /** Set when the decoder converted the pixels from another colour model: 'cmyk' for a CMYK (or YCCK) JPEG. */
  convertedFrom?: 'cmyk';
}

/** 3 bytes a pixel (R, G, B): generated pictures and visualisations. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** 1 byte a pixel: masks and maps. */
export interface GrayImage {
  width: number;
  height: number;
  gray: Uint8Array;
}

/** Any of the three, as a PNG can hold them. */
export type Pixels = RgbaImage | RgbImage | GrayImage;

/** Drops the alpha channel (e.g. of an image bas/io read) without compositing: masks stay separate. */
export function rgbaToRgb(img: { width: number; height: number; rgba: Uint8Array }): RgbImage {
  const n = img.width * img.height;
  if (img.rgba.length !== n * 4) throw new RangeError(`RGBA image of ${img.width}x${img.height} needs ${n * 4} bytes, got ${img.rgba.length}`);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = img.rgba[i * 4]!;
    rgb[i * 3 + 1] = img.rgba[i * 4 + 1]!;
    rgb[i * 3 + 2] = img.rgba[i * 4 + 2]!;
  }
  return { width: img.width, height: img.height, rgb };
}

/** Opaque RGBA of an RGB image. */
export function rgbToRgba(img: RgbImage): RgbaImage {
  const n = img.width * img.height;
  if (img.rgb.length !== n * 3) throw new RangeError(`RGB image of ${img.width}x${img.height} needs ${n * 3} bytes, got ${img.rgb.length}`);
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.rgb[i * 3]!;
    rgba[i * 4 + 1] = img.rgb[i * 3 + 1]!;
    rgba[i * 4 + 2] = img.rgb[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, rgba };
}

/** (N, C, H, W) model tensors in [-1, 1] (C = 1 grey, or 3) -> N RGB images, by the rule above. */
export function rgbImagesOf(images: Tensor): RgbImage[] {
  return to_uint8_images(images, 'rgb').map((img) => ({ width: img.width, height: img.height, rgb: img.data }));
}

/** The same rule to opaque RGBA images. */
export function rgbaImagesOf(images: Tensor): RgbaImage[] {
  return to_uint8_images(images, 'rgba').map((img) => ({ width: img.width, height: img.height, rgba: img.data }));
}
