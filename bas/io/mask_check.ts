// What a mask file holds, judged before training: which channel carries it (the first, as the
// original reads it, unless that one is flat and another varies: a green-on-black mask, or one
// drawn in the alpha channel), and whether it is empty (an error: it marks nothing), full, or soft
// (legitimate, with a one-line notice). Also the overlap of two masks, for a notice.
import type { RgbaImage } from './pixels.js';

export interface MaskInspection {
  /** The RGBA channel read as the mask (0: red, as the original; 1, 2: green, blue; 3: alpha). */
  channel: 0 | 1 | 2 | 3;
  /** Pixels with a value above 0 in that channel. */
  marked: number;
  /** Pixels strictly between 0 and 255 in that channel. */
  soft: number;
  /** Every pixel marked at 255. */
  full: boolean;
  /** One-line notices of what was done (channel chosen, full, soft). */
  notes: string[];
}

export const CHANNEL_NAMES = ['red', 'green', 'blue', 'alpha'] as const;

function channelRange(img: RgbaImage, c: number): [number, number] {
  let lo = 255;
  let hi = 0;
  for (let i = c; i < img.rgba.length; i += 4) {
    const v = img.rgba[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Throws naming the file when the mask marks no pixel; else the channel to read and the notices. */
export function inspectMask(img: RgbaImage, path: string): MaskInspection {
  const name = path.split(/[\\/]/).pop() ?? path;
  const varies = ([0, 1, 2, 3] as const).find((c) => {
    const [lo, hi] = channelRange(img, c);
    return lo !== hi;
  });
  const channel = varies ?? 0;
  const notes: string[] = [];
  if (channel !== 0) notes.push(`note: ${name} has a flat red channel: its ${CHANNEL_NAMES[channel]} channel is read as the mask`);
  const n = img.width * img.height;
  let marked = 0;
  let soft = 0;
  for (let i = 0; i < n; i++) {
    const v = img.rgba[i * 4 + channel]!;
    if (v > 0) marked++;
    if (v > 0 && v < 255) soft++;
  }
  if (marked === 0) throw new Error(`mask ${path} is empty (all black): it marks no pixel of its concept`);
  const full = marked === n && soft === 0;
  if (full) notes.push(`note: ${name} covers the whole image (all white)`);
  if (soft > 0) notes.push(`note: ${name} is soft (${percent(soft, n)} of its pixels between 0 and 255): its values / 255 weigh the loss, as the original reads them`);
  return { channel, marked, soft, full, notes };
}

/** Pixels marked (> 0) in both masks, each read in its own channel. */
export function overlapCount(a: RgbaImage, ca: number, b: RgbaImage, cb: number): number {
  let both = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n; i++) if (a.rgba[i * 4 + ca]! > 0 && b.rgba[i * 4 + cb]! > 0) both++;
  return both;
}

export function percent(part: number, whole: number): string {
  const p = (100 * part) / whole;
  return `${p < 0.1 ? p.toPrecision(1) : p.toFixed(1)}%`;
}
