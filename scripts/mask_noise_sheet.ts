// The training masks of `bas eval --mask_noise` for one eval scene, as one picture: the scene,
// then a row per perturbation (exact, dilate, erode, bbox, grid8), each concept's mask in red over
// the true mask in grey. Usage: tsx scripts/mask_noise_sheet.ts OUT.png [SEED] [SCENE] [PIXELS].
import { evalScenes } from '../lab/eval/break_a_scene.js';
import { MASK_NOISES, maskIoU, perturbMask, type GrayMask } from '../lab/eval/mask_noise.js';
import { renderScene } from '../lab/world/index.js';
import { createImage, hstack, renderText, resizeImage, stamp, vstack, writePngAtomic, type RgbImage } from '../bas/vis/index.js';

const [out = 'mask_noise.png', seed = '0', index = '0', pixels = '2'] = process.argv.slice(2);
const SCALE = 3;
const PAD = 4;
const scene = evalScenes(Number(seed), Number(index) + 1)[Number(index)]!;
const r = renderScene(scene, 32);
const big = (img: RgbImage): RgbImage => resizeImage(img, img.width * SCALE, img.height * SCALE, 'nearest');
function titled(text: string, img: RgbImage): RgbImage {
  const t = renderText(text, 1);
  const band = createImage(Math.max(img.width, t.width + 2 * PAD), t.height + 2 * PAD, [255, 255, 255]);
  stamp(band, t.mask, t.width, PAD, PAD, [0, 0, 0]);
  return vstack([band, img]);
}
/** Perturbed mask in red, the true one in grey beneath, black elsewhere. */
function overlay(truth: GrayMask, m: GrayMask): RgbImage {
  const img = createImage(32, 32);
  for (let p = 0; p < 1024; p++) {
    const rgb = m.data[p]! > 0 ? [230, 40, 40] : truth.data[p]! > 0 ? [110, 110, 110] : [0, 0, 0];
    img.rgb.set(rgb, p * 3);
  }
  return big(img);
}
const truths: GrayMask[] = r.masks.map((data) => ({ width: 32, height: 32, data }));
const rows = [hstack([titled(`scene-${index} (seed ${seed})`, big({ width: 32, height: 32, rgb: r.rgb }))], { gap: PAD })];
for (const noise of ['exact', ...MASK_NOISES] as const) {
  const masks = truths.map((t) => (noise === 'exact' ? t : perturbMask(t, noise, Number(pixels))));
  const iou = masks.reduce((s, m, i) => s + maskIoU(m, truths[i]!), 0) / masks.length;
  rows.push(titled(`${noise}: IoU with the true masks ${iou.toFixed(2)}`, hstack(masks.map((m, i) => overlay(truths[i]!, m)), { gap: PAD })));
}
const sheet = vstack(rows, { gap: PAD });
writePngAtomic(out, sheet);
console.log(`wrote ${out} (${sheet.width}x${sheet.height})`);
