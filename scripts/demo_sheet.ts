// One picture of what `npm run demo` did: the scene and its masks (one per learned token), then
// each prompt's sample beside its cross-attention maps. Usage: tsx scripts/demo_sheet.ts OUT
// [PROMPT...] (the demo's folder); writes OUT/demo.png, or OUT/$SHEET_NAME (scripts/recipes.sh).
// $SCENE_LABEL and $MASK_LABELS (comma-separated) retitle the first row (default: "input scene",
// <asset0> ...), for a row that is not a training scene (the image and mask of `bas edit`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../bas/io/index.js';
import { createImage, hstack, renderText, resizeImage, rgbaToRgb, stamp, vstack, writePngAtomic, type RgbImage } from '../bas/vis/index.js';

const SCALE = 4;
const PAD = 4;

/** `img` with `text` in a band above it (the bitmap font, black on white). */
function titled(text: string, img: RgbImage): RgbImage {
  const t = renderText(text, 1);
  const band = createImage(Math.max(img.width, t.width + 2 * PAD), t.height + 2 * PAD, [255, 255, 255]);
  stamp(band, t.mask, t.width, PAD, PAD, [0, 0, 0]);
  return vstack([band, img]);
}

function read(path: string): RgbImage {
  return rgbaToRgb(readImage(path));
}

function enlarged(path: string): RgbImage {
  const img = read(path);
  return resizeImage(img, img.width * SCALE, img.height * SCALE, 'nearest');
}

const out = process.argv[2] ?? 'outputs/demo';
const scene = join(out, 'scene');
const masks: RgbImage[] = [];
const maskLabels = process.env['MASK_LABELS']?.split(',') ?? [];
for (let i = 0; existsSync(join(scene, `mask${i}.png`)); i++) masks.push(titled(maskLabels[i] ?? `<asset${i}>`, enlarged(join(scene, `mask${i}.png`))));
const rows: RgbImage[] = [hstack([titled(process.env['SCENE_LABEL'] ?? 'input scene', enlarged(join(scene, 'img.png'))), ...masks], { gap: PAD })];
const prompts = process.argv.slice(3);
for (let i = 0; existsSync(join(out, `sample-${i}.png`)); i++) {
  const sample = titled(prompts[i] ?? `sample ${i}`, enlarged(join(out, `sample-${i}.png`)));
  const attn = join(out, `sample-${i}-attn.png`);
  rows.push(hstack(existsSync(attn) ? [sample, titled('its cross-attention', read(attn))] : [sample], { gap: PAD }));
}
const sheet = vstack(rows, { gap: 2 * PAD });
const name = process.env['SHEET_NAME'] ?? 'demo.png';
writePngAtomic(join(out, name), sheet);
console.log(`demo: wrote ${join(out, name)} (${sheet.width}x${sheet.height})`);
