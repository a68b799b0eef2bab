// The page's scene: one drawn by the project's synthetic world (exact masks, a caption), or one the
// reader uploaded or painted, checked here; written as a Break-A-Scene instance folder (img.png,
// mask0.png ...) into the worker's in-memory files for the trainer to read.
import { Generator } from '../../core/index.js';
import { encodePng } from '../../bas/io/png.js';
import { files } from '../../platform/platform.js';
import { MAX_OBJECTS, MIN_OBJECTS, renderScene, sampleScene } from '../../lab/world/index.js';
import type { SceneData } from '../protocol.js';

/** The world's scenes are drawn at 32x32, the base model's resolution. */
const WORLD_RESOLUTION = 32;

export function worldScene(seed: number, numObjects: number): SceneData {
  if (!Number.isInteger(seed)) throw new Error(`scene seed must be an integer, got ${seed}`);
  if (!Number.isInteger(numObjects) || numObjects < MIN_OBJECTS || numObjects > MAX_OBJECTS) {
    throw new Error(`number of objects must be ${MIN_OBJECTS}..${MAX_OBJECTS}, got ${numObjects}`);
  }
  const scene = sampleScene(new Generator(seed), { numObjects, resolution: WORLD_RESOLUTION });
  const r = renderScene(scene, WORLD_RESOLUTION);
  return { width: r.width, height: r.height, rgb: r.rgb, masks: r.masks, caption: scene.caption };
}

/** Throws a one-line reason when `s` cannot be trained on: sizes, mask count, empty masks. */
export function checkScene(s: SceneData, maxConcepts: number): void {
  const { width: w, height: h } = s;
  if (!(Number.isInteger(w) && Number.isInteger(h) && w >= 8 && h >= 8)) throw new Error(`scene image must be at least 8x8 pixels, got ${w}x${h}`);
  if (s.rgb.length !== w * h * 3) throw new Error(`scene image has ${s.rgb.length} bytes, want ${w * h * 3} (${w}x${h} RGB)`);
  if (s.masks.length < 1 || s.masks.length > maxConcepts) throw new Error(`a scene needs 1..${maxConcepts} masks, got ${s.masks.length}`);
  s.masks.forEach((m, i) => {
    if (m.length !== w * h) throw new Error(`mask ${i} has ${m.length} pixels, the image ${w * h} (${w}x${h})`);
    if (!m.some((v) => v >= 128)) throw new Error(`mask ${i} is empty: paint the concept's pixels (or upload a mask with white where it is)`);
  });
}

/** img.png and mask{i}.png under `dir` (made), as `bas train --instance_data_dir` reads them. */
export function writeInstanceFolder(dir: string, s: SceneData): void {
  const fs = files();
  fs.mkdirp(dir);
  fs.writeFile(fs.join(dir, 'img.png'), encodePng({ width: s.width, height: s.height, rgb: s.rgb }));
  s.masks.forEach((m, i) => fs.writeFile(fs.join(dir, `mask${i}.png`), encodePng({ width: s.width, height: s.height, gray: m })));
}
