// One-line notices about an input image that is legitimate but not what the original expects:
// transparency (dropped, as PIL's convert('RGB')) and a CMYK JPEG (converted by the plain formula).
// Shared by the instance folder of `bas train` and the --init_image of `bas edit`.
import type { RgbaImage } from './pixels.js';
import { percent } from './mask_check.js';

export function colourNotices(img: RgbaImage, name: string): string[] {
  const notes: string[] = [];
  let transparent = 0;
  for (let i = 3; i < img.rgba.length; i += 4) if (img.rgba[i]! < 255) transparent++;
  if (transparent > 0) notes.push(`note: ${name} has transparency (${percent(transparent, img.width * img.height)} of its pixels): alpha dropped, colours used as stored`);
  if (img.convertedFrom === 'cmyk') notes.push(`note: ${name} is a CMYK JPEG: converted to RGB by the plain formula (as PIL's convert('RGB')), no colour profile applied`);
  return notes;
}
