// Writing an RGB picture in the format its name asks for: .png through pngjs (lossless), .jpg or
// .jpeg through jpeg-js (quality 95), atomically (temporary sibling, then rename). Any other name
// is refused before anything is written, so `--output_path x.jpg` gives a real JPEG and
// `--output_path x.webp` an error rather than PNG bytes under a misleading name.
import jpeg from 'jpeg-js';
import { write_file_atomic } from '../../nn/fs_atomic.js';
import { imageKind } from './image.js';
import { rgbToRgba, type RgbImage } from './pixels.js';
import { encodePng } from './png.js';

/** JPEG quality of written files: visually lossless on the project's flat-coloured scenes. */
export const JPEG_QUALITY = 95;

/** JPEG bytes of `img` (alpha written opaque). */
export function encodeJpeg(img: RgbImage, quality = JPEG_QUALITY): Uint8Array {
  const n = img.width * img.height;
  if (img.rgb.length !== n * 3) throw new Error(`encodeJpeg: ${img.rgb.length} bytes for ${img.width}x${img.height} RGB (want ${n * 3})`);
  return new Uint8Array(jpeg.encode({ data: rgbToRgba(img).rgba, width: img.width, height: img.height }, quality).data);
}

/** Encodes `img` as `path`'s extension says (imageKind throws naming the path for any other) and writes it atomically. */
export function writeImage(path: string, img: RgbImage): void {
  const bytes = imageKind(path) === 'jpeg' ? encodeJpeg(img) : encodePng(img);
  write_file_atomic(path, bytes);
}
