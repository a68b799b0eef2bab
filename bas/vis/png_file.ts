// Writes an RGB image as a PNG through bas/io (temporary sibling file, fsync, rename: no reader or
// crash sees a half-written image), with every failure re-thrown naming the target path.
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import { writePng } from '../io/png.js';
import { checkImage, type RgbImage } from './image_ops.js';

export function writePngAtomic(path: string, img: RgbImage, fs: Files = files()): void {
  checkImage(img);
  try {
    writePng(path, { width: img.width, height: img.height, rgb: img.rgb }, fs);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot write PNG ${path}: ${reason}`, { cause: err });
  }
}
