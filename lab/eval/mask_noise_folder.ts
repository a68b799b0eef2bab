// A scene's instance folder with perturbed masks (`bas eval --mask_noise`): the same img.png, each
// maskI.png replaced by its dilated / eroded / bounding-box / grid version. The eval trains on it
// and measures against the true masks of the scene's own folder.
import { encodePng } from '../../bas/io/png.js';
import { files } from '../../platform/platform.js';
import { renderScene, type Scene } from '../world/index.js';
import { maskIoU, perturbMask, type GrayMask, type MaskNoise } from './mask_noise.js';

/** Writes the folder (replacing one left by an earlier eval); returns each perturbed mask's IoU with its true mask. */
export function writePerturbedSceneFolder(dir: string, scene: Scene, resolution: number, noise: MaskNoise, pixels: number): number[] {
  const fs = files();
  const r = renderScene(scene, resolution);
  fs.remove(dir);
  fs.mkdirp(dir);
  fs.writeFile(fs.join(dir, 'img.png'), encodePng({ width: r.width, height: r.height, rgb: r.rgb }));
  return r.masks.map((data, i) => {
    const truth: GrayMask = { width: r.width, height: r.height, data };
    const noisy = perturbMask(truth, noise, pixels);
    fs.writeFile(fs.join(dir, `mask${i}.png`), encodePng({ width: r.width, height: r.height, gray: noisy.data }));
    return maskIoU(noisy, truth);
  });
}
