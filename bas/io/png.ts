// Writing PNGs: 8-bit grey, RGB or RGBA, through a temporary sibling file renamed into place, so a
// crash never leaves a half-written image under the real name. pngjs works on Node's Buffer: in a
// browser bundle a Buffer shim stands in (scripts/bundle_browser.ts).
import { PNG } from 'pngjs';
import { write_file_atomic } from '../../nn/fs_atomic.js';
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import type { Pixels } from './pixels.js';

/** PNG colour type of each pixel layout: exactly one of `rgba` (4 bytes a pixel), `rgb` (3) or `gray` (1). */
const COLOR_TYPE = { gray: 0, rgb: 2, rgba: 6 } as const;

function layout(img: Pixels): { data: Uint8Array; channels: 1 | 3 | 4; colorType: 0 | 2 | 6 } {
  if ('rgba' in img) return { data: img.rgba, channels: 4, colorType: COLOR_TYPE.rgba };
  if ('rgb' in img) return { data: img.rgb, channels: 3, colorType: COLOR_TYPE.rgb };
  return { data: img.gray, channels: 1, colorType: COLOR_TYPE.gray };
}

/** PNG bytes of `img`, stored in its own colour type (grey stays 1 byte a pixel on disk). */
export function encodePng(img: Pixels): Uint8Array {
  const { width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  const { data, channels, colorType } = layout(img);
  if (data.length !== width * height * channels) {
    throw new Error(`encodePng: ${data.length} bytes for ${width}x${height} with ${channels} channel(s) (want ${width * height * channels})`);
  }
  const png = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: channels === 4, bitDepth: 8 });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4, bitDepth: 8 });
}

/** Encodes and writes atomically (temporary name in the same folder, then rename) into `fs`, the platform's files by default. */
export function writePng(path: string, img: Pixels, fs: Files = files()): void {
  write_file_atomic(path, encodePng(img), fs);
}
