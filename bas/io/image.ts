// Reading images from the platform's files: PNG through pngjs, JPEG through jpeg-js, always as
// 8-bit RGBA so the callers see one layout. Every error names the file. pngjs works on Node's
// Buffer: in a browser bundle a Buffer shim stands in (scripts/bundle_browser.ts).
import { fileErrorCode, type Files } from '../../platform/files.js';
import { extname } from '../../platform/path.js';
import { files } from '../../platform/platform.js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from './pixels.js';


export type ImageKind = 'png' | 'jpeg';

/**
 * The largest image decoded (8K is 33 megapixels): a file that claims more is refused before its
 * pixels are allocated, so a crafted 100000x100000 header cannot exhaust memory.
 */
export const MAX_MEGAPIXELS = 50;

function checkPixels(width: number, height: number, path: string, kind: string): void {
  if (width * height > MAX_MEGAPIXELS * 1_000_000) throw new Error(`corrupt ${kind}: ${path}: ${width}x${height} is over the ${MAX_MEGAPIXELS}-megapixel limit`);
}

/** The decoder a path's extension selects; throws for anything else. */
export function imageKind(path: string): ImageKind {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new Error(`unsupported image type "${ext || '(none)'}" (want .png, .jpg or .jpeg): ${path}`);
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readBytes(path: string, fs: Files): Uint8Array {
  try {
    return fs.readFile(path);
  } catch (e) {
    if (fileErrorCode(e) === 'ENOENT') throw new Error(`image not found: ${path}`);
    if (fileErrorCode(e) === 'EISDIR') throw new Error(`image path is a folder: ${path}`);
    throw new Error(`cannot read image ${path}: ${reason(e)}`);
  }
}

/** Decodes PNG bytes; `path` is only used in the error message. */
export function decodePng(bytes: Uint8Array, path = '<buffer>'): RgbaImage {
  // IHDR comes first, right after the 8-byte signature: width and height at bytes 16 and 20
  if (bytes.length >= 24) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkPixels(view.getUint32(16), view.getUint32(20), path, 'PNG');
  }
  let png: PNG;
  try {
    // pngjs expands grey, palette and 16-bit input to 8-bit RGBA
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`corrupt PNG: ${path}: ${reason(e)}`);
  }
  if (png.width <= 0 || png.height <= 0) throw new Error(`corrupt PNG: ${path}: empty image ${png.width}x${png.height}`);
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** Decodes JPEG bytes; `path` is only used in the error message. EXIF orientation is ignored, as PIL's Image.open does. */
export function decodeJpeg(bytes: Uint8Array, path = '<buffer>'): RgbaImage {
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 4 * MAX_MEGAPIXELS + 256 });
  } catch (e) {
    throw new Error(`corrupt JPEG: ${path}: ${reason(e)}`);
  }
  if (!(out.width > 0 && out.height > 0) || out.data.length !== out.width * out.height * 4) {
    throw new Error(`corrupt JPEG: ${path}: decoded to ${out.width}x${out.height} with ${out.data.length} bytes`);
  }
  const image: RgbaImage = { width: out.width, height: out.height, rgba: out.data };
  // jpeg-js turns four components into RGB by the naive formula (as PIL's convert('RGB')): say so
  if (jpegComponents(bytes) === 4) image.convertedFrom = 'cmyk';
  return image;
}

/** The number of colour components a JPEG's frame header (SOFn) declares, or null when none is found. */
export function jpegComponents(bytes: Uint8Array): number | null {
  let at = 2; // after SOI
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    // fill bytes before a marker
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    // SOF0..SOF15 but DHT (c4), JPG (c8) and DAC (cc): length(2) precision(1) height(2) width(2) components(1)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return at + 9 < bytes.length ? bytes[at + 9]! : null;
    // the scan starts: no frame header came before it
    if (marker === 0xda) return null;
    at += 2 + length;
  }
  return null;
}

/** Reads a .png, .jpg or .jpeg file as 8-bit RGBA. */
export function readImage(path: string, fs: Files = files()): RgbaImage {
  const kind = imageKind(path);
  const bytes = readBytes(path, fs);
  return kind === 'png' ? decodePng(bytes, path) : decodeJpeg(bytes, path);
}
