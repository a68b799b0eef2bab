// Writing an RGB picture in the format its name asks for: .png through pngjs (lossless), .jpg or
// .jpeg through jpeg-js (quality 95), atomically (temporary sibling, then rename). Any other name
// is refused before anything is written, so `--output_path x.jpg` gives a real JPEG and
// `--output_path x.webp` an error rather than PNG bytes under a misleading name.
import jpeg from 'jpeg-js';
import { write_file_atomic } from '../../nn/fs_atomic.js';
import { imageKind } from './image.js';
import { encodePng } from './png.js';

/** An 8-bit RGB picture, row-major, 3 bytes a pixel. */
export interface RgbPixels {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** JPEG quality of written files: visually lossless on the project's flat-coloured scenes. */
export const JPEG_QUALITY = 95;

/** JPEG bytes of `img` (alpha written opaque). */
export function encodeJpeg(img: RgbPixels, quality = JPEG_QUALITY): Uint8Array {
  const n = img.width * img.height;
  if (img.rgb.length !== n * 3) throw new Error(`encodeJpeg: ${img.rgb.length} bytes for ${img.width}x${img.height} RGB (want ${n * 3})`);
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.rgb[i * 3]!;
    rgba[i * 4 + 1] = img.rgb[i * 3 + 1]!;
    rgba[i * 4 + 2] = img.rgb[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width: img.width, height: img.height }, quality).data);
}

/** Encodes `img` as `path`'s extension says (imageKind throws naming the path for any other) and writes it atomically. */
export function writeImage(path: string, img: RgbPixels): void {
  const bytes = imageKind(path) === 'jpeg' ? encodeJpeg(img) : encodePng(img);
  write_file_atomic(path, bytes);
}
