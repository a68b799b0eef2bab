// The mask perturbations of `bas eval --mask_noise`, on generated masks: each property is what a
// reader of the robustness table assumes (a bounding box is the tightest rectangle holding the
// mask, dilation only adds and erosion only removes pixels, the 8x8 grid covers the mask cell by
// cell), and the perturbed scene folder holds the same image with the perturbed masks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadInstanceFolder } from '../../bas/io/instance.js';
import { Generator } from '../../core/index.js';
import { bboxMask, dilateMask, erodeMask, gridMask, maskIoU, perturbMask, type GrayMask } from '../../lab/eval/mask_noise.js';
import { writePerturbedSceneFolder } from '../../lab/eval/mask_noise_folder.js';
import { evalScenes } from '../../lab/eval/break_a_scene.js';
import { renderScene, sampleScene } from '../../lab/world/index.js';
import { captureConsole, expectRejected } from '../helpers/cli.js';
import { tempRoot } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-mask-noise');
afterAll(() => tmp.cleanup());

/** A w x h mask with roughly `density` of its pixels marked (values 1..255, to check any > 0 counts). */
const arbMask = fc
  .record({ w: fc.integer({ min: 1, max: 20 }), h: fc.integer({ min: 1, max: 20 }), seed: fc.integer(), density: fc.double({ min: 0.02, max: 0.6, noNaN: true }) })
  .map(({ w, h, seed, density }): GrayMask => {
    let s = seed >>> 0;
    const data = new Uint8Array(w * h).map(() => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 < density ? 1 + (s % 255) : 0;
    });
    return { width: w, height: h, data };
  });

const on = (m: GrayMask, x: number, y: number): boolean => m.data[y * m.width + x]! > 0;
const count = (m: GrayMask): number => m.data.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
const subset = (a: GrayMask, b: GrayMask): boolean => a.data.every((v, i) => v === 0 || b.data[i]! > 0);

function fromRows(rows: string[]): GrayMask {
  return { width: rows[0]!.length, height: rows.length, data: Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 255 : 0)) };
}

describe('bbox', () => {
  it('contains the mask and is its tightest rectangle', () => {
    fc.assert(
      fc.property(arbMask, (m) => {
        const b = bboxMask(m);
        expect(subset(m, b)).toBe(true);
        const xs: number[] = [];
        const ys: number[] = [];
        for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) if (on(m, x, y)) (xs.push(x), ys.push(y));
        if (xs.length === 0) {
          expect(count(b)).toBe(0);
          return;
        }
        const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
        // a rectangle: every pixel inside the extremes is marked, none outside
        for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) expect(on(b, x, y)).toBe(x >= x0 && x <= x1 && y >= y0 && y <= y1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('dilate and erode', () => {
  it('dilation adds pixels (never removes), erosion removes (never adds, never empties)', () => {
    fc.assert(
      fc.property(arbMask, fc.integer({ min: 1, max: 3 }), (m, r) => {
        const d = dilateMask(m, r);
        const e = erodeMask(m, r);
        expect(subset(m, d)).toBe(true);
        expect(subset(e, m)).toBe(true);
        expect(count(d)).toBeGreaterThanOrEqual(count(m));
        expect(count(e)).toBeLessThanOrEqual(count(m));
        if (count(m) > 0) expect(count(e)).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('grow a square by the radius on each side, and shrink it back', () => {
    const square = fromRows(['..........', '..........', '..........', '...####...', '...####...', '...####...', '...####...', '..........', '..........', '..........']);
    expect(count(square)).toBe(16);
    expect(count(dilateMask(square, 1))).toBe(36);
    expect(count(dilateMask(square, 2))).toBe(64);
    expect(count(erodeMask(square, 1))).toBe(4);
    expect(count(erodeMask(dilateMask(square, 2), 2))).toBe(16);
    expect(erodeMask(dilateMask(square, 2), 2).data).toEqual(square.data.map((v) => (v > 0 ? 255 : 0)));
  });

  it('an erosion that would empty a thin mask keeps its last non-empty core', () => {
    const line = fromRows(['.....', '#####', '.....']);
    expect(erodeMask(line, 2).data).toEqual(line.data);
  });
});

describe('grid8', () => {
  it('covers the mask and marks whole cells, only those the mask touches', () => {
    fc.assert(
      fc.property(arbMask, (m) => {
        const g = gridMask(m, 8);
        expect(subset(m, g)).toBe(true);
        expect(count(g) > 0).toBe(count(m) > 0);
      }),
      { numRuns: 200 },
    );
    // 32 px: cells of 4 x 4; one pixel at (5, 9) marks the cell x 4..7, y 8..11 and nothing else
    const one: GrayMask = { width: 32, height: 32, data: new Uint8Array(1024) };
    one.data[9 * 32 + 5] = 255;
    const g = gridMask(one, 8);
    expect(count(g)).toBe(16);
    for (let y = 8; y < 12; y++) for (let x = 4; x < 8; x++) expect(on(g, x, y)).toBe(true);
  });
});

describe('perturbMask and maskIoU', () => {
  it('exact masks have IoU 1; perturbations lower it', () => {
    const r = renderScene(sampleScene(new Generator(3), { numObjects: 3, resolution: 32 }), 32);
    for (const data of r.masks) {
      const m: GrayMask = { width: 32, height: 32, data };
      expect(maskIoU(m, m)).toBe(1);
      for (const noise of ['dilate', 'erode', 'bbox', 'grid8'] as const) expect(maskIoU(perturbMask(m, noise, 2), m)).toBeLessThanOrEqual(1);
      expect(maskIoU(perturbMask(m, 'dilate', 2), m)).toBeLessThan(1);
    }
  });

  it('the perturbed scene folder loads as an instance folder with the perturbed masks', () => {
    const scene = sampleScene(new Generator(5), { numObjects: 3, resolution: 32 });
    const dir = tmp.fresh('bbox');
    const ious = writePerturbedSceneFolder(dir, scene, 32, 'bbox', 2);
    expect(ious).toHaveLength(3);
    const inst = loadInstanceFolder(dir, { resolution: 32, numOfAssets: 3 });
    const r = renderScene(scene, 32);
    inst.masks.forEach((t, i) => {
      const want = bboxMask({ width: 32, height: 32, data: r.masks[i]! });
      expect(Array.from(t.data, (v) => (v > 0 ? 255 : 0))).toEqual(Array.from(want.data));
      expect(ious[i]).toBeCloseTo(maskIoU(want, { width: 32, height: 32, data: r.masks[i]! }), 12);
    });
  });
});

describe('evalScenes', () => {
  it("are bas eval's scenes for its seed (docs/eval.md: seed 0 gives 4, 4 and 3 objects; scene-0 a red cross, orange triangle, pink circle, green heart on grey)", () => {
    const scenes = evalScenes(0, 3);
    expect(scenes.map((s) => s.objects.length)).toEqual([4, 4, 3]);
    expect(scenes[0]!.caption).toBe('a photo of a red cross and an orange triangle and a pink circle and a green heart on a grey background');
    expect(evalScenes(0, 1)[0]).toEqual(scenes[0]);
  });
});

describe('bas eval --mask_noise: bad values', () => {
  afterEach(() => vi.restoreAllMocks());

  it('an unknown perturbation or a radius below 1: one line naming the flag and value, nothing written', async () => {
    const c = captureConsole();
    const out = join(tmp.fresh('bad'), 'eval');
    await expectRejected(c, ['eval', '--mask_noise', 'dilate,blur', '--output_dir', out], ['--mask_noise', '"blur"', 'dilate, erode, bbox, grid8']);
    await expectRejected(c, ['eval', '--mask_noise', 'bbox', '--mask_noise_pixels', '0', '--output_dir', out], ['--mask_noise_pixels', 'got 0']);
    expect(existsSync(out)).toBe(false);
  });
});
