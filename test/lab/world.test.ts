// lab/world: palette, shapes, sampling, rendering, captions, scene folders and the scene stream.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator } from '../../core/index.js';
import { loadInstanceFolder, readImage } from '../../bas/io/index.js';
import {
  BACKGROUNDS, captionOf, COLOURS, MIN_VISIBLE_FRACTION, objectPixels, parseScene, readSceneJson, renderBackground, renderScene,
  sampleScene, sceneAt, sceneStream, SceneStream, SHAPE_NAMES, SHAPES, SIZE_RADIUS_RANGES, TEXTURES, WORLD_WORDS, writeSceneFolder,
  insideShape, type Scene, type SceneBackground, type SceneObject,
} from '../../lab/world/index.js';
import { WORDS } from '../../nn/tokenizer/vocab.js';

const root = mkdtempSync(join(tmpdir(), 'bas-world-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

function background(name: SceneBackground['name'], texture: SceneBackground['texture'], period = 4): SceneBackground {
  const rgb = [...BACKGROUNDS.find((b) => b.name === name)!.rgb] as [number, number, number];
  return { name, texture, rgb, params: { period, orientation: 'diagonal', seed: 12345 } };
}

function sceneOf(objects: Omit<SceneObject, 'visible_fraction' | 'rgb'>[], bg: SceneBackground, resolution = 32): Scene {
  const objs = objects.map((o) => ({ ...o, rgb: [...COLOURS.find((c) => c.name === o.colour)!.rgb] as [number, number, number], visible_fraction: 1 }));
  const scene: Scene = { resolution, background: bg, objects: objs, caption: '' };
  scene.caption = captionOf(scene);
  return scene;
}

/** The checks every rendered scene must pass: exact, disjoint masks that match the image's colours. */
function checkRender(scene: Scene, resolution = scene.resolution): void {
  const r = renderScene(scene, resolution);
  const n = resolution * resolution;
  expect(r.rgb.length).toBe(n * 3);
  expect(r.masks).toHaveLength(scene.objects.length);
  const problems: string[] = [];
  for (let p = 0; p < n && problems.length < 5; p++) {
    let owners = 0;
    scene.objects.forEach((o, i) => {
      const on = r.masks[i]![p]!;
      if (on !== 0 && on !== 255) problems.push(`pixel ${p}: mask ${i} is ${on}`);
      const shows = r.rgb[p * 3] === o.rgb[0] && r.rgb[p * 3 + 1] === o.rgb[1] && r.rgb[p * 3 + 2] === o.rgb[2];
      if (shows !== (on === 255)) problems.push(`pixel ${p}: mask ${i} is ${on} but the image ${shows ? 'shows' : 'does not show'} ${o.colour}`);
      if (on) owners++;
    });
    if (owners > 1) problems.push(`pixel ${p} is in ${owners} masks`);
  }
  expect(problems).toEqual([]);
}

describe('palette', () => {
  it('keeps object colours apart and every background shade far from all of them', () => {
    for (const a of COLOURS) for (const b of COLOURS) if (a !== b) expect(dist(a.rgb, b.rgb)).toBeGreaterThan(90);
    // every texture of every background, rendered: the detector's "unsure" band ends at 100
    let min = Infinity;
    for (const b of BACKGROUNDS) {
      for (const t of TEXTURES) {
        for (const period of [3, 4, 6, 8]) {
          const rgb = renderBackground(background(b.name, t, period), 32, 32);
          for (let p = 0; p < 32 * 32; p++) for (const c of COLOURS) min = Math.min(min, dist(rgb.subarray(p * 3), c.rgb));
        }
      }
    }
    expect(min).toBeGreaterThan(110);
  });
});

describe('shapes', () => {
  const point = fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }));
  it('have gauges that scale linearly and shapes that are star-shaped about the centre', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SHAPE_NAMES), point, fc.double({ min: 0.1, max: 5, noNaN: true }), (name, [x, y], k) => {
        const g = SHAPES[name].gauge;
        expect(g(k * x, k * y)).toBeCloseTo(k * g(x, y), 8);
        // solid shapes: a point inside stays inside when pulled towards the centre
        if (SHAPES[name].inner === 0 && insideShape(SHAPES[name], x, y, 6)) expect(insideShape(SHAPES[name], x * 0.7, y * 0.7, 6)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('stay within their declared bounds', () => {
    for (const name of SHAPE_NAMES) {
      const { minX, maxX, minY, maxY } = SHAPES[name].bounds;
      const [cx, cy, r] = [32, 32, 20];
      const pixels = objectPixels({ shape: name, cx, cy, radius: r }, 64);
      expect(pixels.length).toBeGreaterThan(100);
      for (const p of pixels) {
        const x = (p % 64) + 0.5 - cx;
        const y = Math.floor(p / 64) + 0.5 - cy;
        expect(x >= minX * r && x <= maxX * r && y >= minY * r && y <= maxY * r).toBe(true);
      }
    }
  });
});

describe('rendering', () => {
  it('renders every shape x colour x size on every background and texture', () => {
    const bgs = BACKGROUNDS.flatMap((b) => TEXTURES.map((t) => background(b.name, t)));
    let k = 0;
    for (const shape of SHAPE_NAMES) {
      for (const colour of COLOURS) {
        for (const size of ['small', 'large'] as const) {
          const radius = SIZE_RADIUS_RANGES[size][k % 2];
          const scene = sceneOf([{ shape, colour: colour.name, size, cx: 16, cy: 16.5, radius }], bgs[k++ % bgs.length]!);
          for (const res of [32, 64]) {
            const r = renderScene(scene, res);
            const on = r.masks[0]!.filter((v) => v === 255).length;
            expect(on).toBe(objectPixels(scene.objects[0]!, res, res / 32).length);
            expect(on).toBeGreaterThan(30);
          }
          checkRender(scene);
        }
      }
    }
  });

  it('gives exact, disjoint masks that respect occlusion, for random scenes at 32 and 64', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(32, 64), fc.integer({ min: 1, max: 4 }), (seed, res, n) => {
        const scene = sampleScene(new Generator(seed), { resolution: res, numObjects: n });
        expect(scene.objects).toHaveLength(n);
        expect(new Set(scene.objects.map((o) => o.colour)).size).toBe(n);
        checkRender(scene);
        const r = renderScene(scene);
        scene.objects.forEach((o, i) => {
          const full = objectPixels(o, res).length;
          const visible = r.masks[i]!.filter((v) => v === 255).length;
          expect(o.visible_fraction).toBe(visible / full);
          expect(o.visible_fraction).toBeGreaterThanOrEqual(MIN_VISIBLE_FRACTION);
          const [lo, hi] = SIZE_RADIUS_RANGES[o.size];
          expect(o.radius).toBeGreaterThanOrEqual((lo * res) / 32);
          expect(o.radius).toBeLessThanOrEqual((hi * res) / 32);
          expect(Number.isInteger(o.radius * 4) && Number.isInteger(o.cx * 2) && Number.isInteger(o.cy * 2)).toBe(true);
          const b = SHAPES[o.shape].bounds;
          expect(o.cx + b.minX * o.radius >= 0 && o.cx + b.maxX * o.radius <= res).toBe(true);
          expect(o.cy + b.minY * o.radius >= 0 && o.cy + b.maxY * o.radius <= res).toBe(true);
        });
        // rendered at twice the size, the same scene still has exact masks
        if (res === 32) checkRender(scene, 64);
      }),
      { numRuns: 150 },
    );
  });

  it("with placement 'centre' puts the first object's bounds mid-image and leaves the rest of the draw as it was", () => {
    for (let seed = 0; seed < 40; seed++) {
      const scene = sampleScene(new Generator(seed), { numObjects: 1 + (seed % 2), placement: 'centre' });
      const o = scene.objects[0]!;
      const b = SHAPES[o.shape].bounds;
      // the bounds' midpoint is within half a grid step (0.25 px) of the centre, 16
      expect(Math.abs(o.cx + ((b.minX + b.maxX) / 2) * o.radius - 16)).toBeLessThanOrEqual(0.25 + 1e-9);
      expect(Math.abs(o.cy + ((b.minY + b.maxY) / 2) * o.radius - 16)).toBeLessThanOrEqual(0.25 + 1e-9);
      checkRender(scene);
    }
    // 'anywhere', the default, draws the same scenes as before the option existed
    expect(sampleScene(new Generator(7), { placement: 'anywhere' })).toEqual(sampleScene(new Generator(7)));
  });

  it("with placement 'centre' and a jitter, moves the first object at most that far from mid-image, and reaches that far", () => {
    const offsets: number[] = [];
    for (let seed = 0; seed < 60; seed++) {
      for (const res of [32, 64]) {
        const scene = sampleScene(new Generator(seed), { numObjects: 1 + (seed % 2), placement: 'centre', jitter: 3, resolution: res });
        const o = scene.objects[0]!;
        const b = SHAPES[o.shape].bounds;
        const s = res / 32;
        // offsets are in pixels at 32x32: 3 px there is 6 px at 64x64 (plus the centring's quarter pixel)
        const dx = (o.cx + ((b.minX + b.maxX) / 2) * o.radius - res / 2) / s;
        const dy = (o.cy + ((b.minY + b.maxY) / 2) * o.radius - res / 2) / s;
        expect(Math.max(Math.abs(dx), Math.abs(dy))).toBeLessThanOrEqual(3 + 0.25 + 1e-9);
        expect(o.cx + b.minX * o.radius >= 0 && o.cx + b.maxX * o.radius <= res).toBe(true);
        expect(o.cy + b.minY * o.radius >= 0 && o.cy + b.maxY * o.radius <= res).toBe(true);
        offsets.push(Math.max(Math.abs(dx), Math.abs(dy)));
        if (res === 32) checkRender(scene);
      }
    }
    expect(Math.max(...offsets)).toBeGreaterThan(2.5);
    expect(offsets.filter((d) => d > 0.25).length).toBeGreaterThan(offsets.length / 2);
    // jitter 0 is the exact centre, and a jitter without 'centre' is refused, naming both
    expect(sampleScene(new Generator(4), { placement: 'centre', jitter: 0 })).toEqual(sampleScene(new Generator(4), { placement: 'centre' }));
    expect(() => sampleScene(new Generator(4), { jitter: 2 })).toThrow(/jitter.*placement 'centre'/);
    expect(() => sampleScene(new Generator(4), { placement: 'centre', jitter: -1 })).toThrow(/jitter must be/);
  });

  it('is deterministic for a seed', () => {
    for (const seed of [0, 1, 2 ** 40 + 3]) {
      const a = sampleScene(new Generator(seed), { resolution: 32 });
      const b = sampleScene(new Generator(seed), { resolution: 32 });
      expect(b).toEqual(a);
      expect(renderScene(b)).toEqual(renderScene(a));
    }
    expect(sampleScene(new Generator(1))).not.toEqual(sampleScene(new Generator(2)));
  });

  it('rejects bad options', () => {
    expect(() => sampleScene(new Generator(0), { numObjects: 5 })).toThrow(/numObjects must be an integer in 1\.\.4, got 5/);
    expect(() => sampleScene(new Generator(0), { resolution: 48 })).toThrow(/resolution must be a multiple of 32/);
  });
});

describe('captions', () => {
  it('lists objects in drawing order, then the background and its texture', () => {
    const scene = sceneOf(
      [
        { shape: 'circle', colour: 'red', size: 'small', cx: 8, cy: 8, radius: 5 },
        { shape: 'star', colour: 'orange', size: 'large', cx: 20, cy: 20, radius: 8 },
      ],
      background('grey', 'striped'),
    );
    expect(scene.caption).toBe('a photo of a red circle and an orange star on a striped grey background');
    expect(captionOf({ ...scene, background: background('white', 'plain') }, { withSizes: true })).toBe(
      'a photo of a small red circle and a large orange star on a white background',
    );
    expect(captionOf(scene, { withoutBackground: true })).toBe('a photo of a red circle and an orange star');
  });

  it('only uses the world vocabulary, which the tokenizer knows', () => {
    const words = new Set(WORLD_WORDS);
    const pattern = /^a photo of an? \w+ \w+( and an? \w+ \w+)* on a (\w+ )?\w+ background$/;
    for (let i = 0; i < 100; i++) {
      const { caption, scene } = sceneAt(3, i);
      expect(caption).toMatch(pattern);
      expect(caption).toBe(captionOf(scene));
      for (const w of caption.split(' ')) expect(words.has(w)).toBe(true);
    }
    const vocab = new Set(WORDS);
    expect(WORLD_WORDS.filter((w) => !vocab.has(w))).toEqual([]);
  });
});

describe('scene folders', () => {
  it('write img.png, masks and scene.json that read back exactly', () => {
    const scene = sampleScene(new Generator(7), { resolution: 32, numObjects: 3 });
    const dir = join(root, 'scenes', 'a');
    writeSceneFolder(dir, scene);
    expect(readdirSync(dir).sort()).toEqual(['img.png', 'mask0.png', 'mask1.png', 'mask2.png', 'scene.json']);
    expect(readdirSync(join(root, 'scenes'))).toEqual(['a']);
    expect(readSceneJson(join(dir, 'scene.json'))).toEqual(scene);
    const r = renderScene(scene);
    const img = readImage(join(dir, 'img.png'));
    for (let p = 0; p < 32 * 32; p++) expect([...img.rgba.subarray(p * 4, p * 4 + 3)]).toEqual([...r.rgb.subarray(p * 3, p * 3 + 3)]);
    r.masks.forEach((m, i) => {
      const png = readImage(join(dir, `mask${i}.png`));
      for (let p = 0; p < 32 * 32; p++) expect(png.rgba[p * 4]).toBe(m[p]);
    });
    // it is a Break-A-Scene instance folder
    const inst = loadInstanceFolder(dir, { resolution: 32, numOfAssets: 3 });
    expect(Array.from(inst.masks[0]!.data).map((v) => v * 255)).toEqual(Array.from(r.masks[0]!));
    // and can be rendered larger
    writeSceneFolder(join(root, 'scenes', 'big'), scene, 64);
    expect(readImage(join(root, 'scenes', 'big', 'img.png')).width).toBe(64);
  });

  it('refuse to overwrite a non-empty folder unless told, and leave no temporary folders', () => {
    const a = sampleScene(new Generator(1), { numObjects: 2 });
    const b = sampleScene(new Generator(2), { numObjects: 1 });
    const dir = join(root, 'over', 'x');
    mkdirSync(dir, { recursive: true }); // an empty folder is fine
    writeSceneFolder(dir, a);
    expect(() => writeSceneFolder(dir, b)).toThrow(/refusing to overwrite non-empty folder .*x/);
    expect(readSceneJson(join(dir, 'scene.json'))).toEqual(a);
    writeSceneFolder(dir, b, 32, { overwrite: true });
    expect(readSceneJson(join(dir, 'scene.json'))).toEqual(b);
    expect(existsSync(join(dir, 'mask1.png'))).toBe(false);
    expect(readdirSync(join(root, 'over'))).toEqual(['x']);
    writeFileSync(join(root, 'over', 'file'), '');
    expect(() => writeSceneFolder(join(root, 'over', 'file'), a)).toThrow(/exists and is not a folder/);
  });

  it('name the bad field of a bad scene.json', () => {
    const scene = sampleScene(new Generator(4), { numObjects: 2 });
    const bad = JSON.parse(JSON.stringify(scene)) as { objects: { shape: string }[] };
    bad.objects[1]!.shape = 'blob';
    expect(() => parseScene(bad, 'x/scene.json')).toThrow(/^x\/scene\.json: scene\.objects\[1\]\.shape must be one of circle, .*got "blob"/);
    expect(() => parseScene({ ...scene, resolution: -1 })).toThrow(/scene\.resolution must be a positive integer/);
    const p = join(root, 'broken.json');
    writeFileSync(p, '{');
    expect(() => readSceneJson(p)).toThrow(/broken\.json is not valid JSON/);
  });
});

describe('scene stream', () => {
  it('is deterministic, random-access, and resumes exactly from a saved position', () => {
    const a = sceneStream(42).take(6);
    const b = sceneStream(42).take(6);
    expect(b).toEqual(a);
    expect(a.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sceneAt(42, 4)).toEqual(a[4]);
    expect(sceneStream(43).next().scene).not.toEqual(a[0]!.scene);

    const s = sceneStream(42);
    s.take(3);
    const saved = JSON.parse(JSON.stringify(s.state())) as ReturnType<SceneStream['state']>;
    expect(saved).toEqual({ seed: 42, index: 3 });
    const resumed = SceneStream.restore(saved);
    expect(resumed.take(3)).toEqual(a.slice(3));
    expect(s.take(3)).toEqual(a.slice(3));

    const it3 = sceneStream(42)[Symbol.iterator]();
    expect(it3.next().value).toEqual(a[0]);
  });

  it('honours resolution and object counts, and validates its options', () => {
    for (const s of sceneStream(5, { resolution: 64, minObjects: 2, maxObjects: 3 }).take(4)) {
      expect(s.width).toBe(64);
      expect(s.rgb.length).toBe(64 * 64 * 3);
      expect(s.masks.length).toBeGreaterThanOrEqual(2);
      expect(s.masks.length).toBeLessThanOrEqual(3);
      expect(s.caption).toBe(s.scene.caption);
    }
    expect(() => sceneStream(1, { minObjects: 3, maxObjects: 2 })).toThrow(/minObjects <= maxObjects/);
    expect(() => sceneStream(1.5)).toThrow(/safe integers/);
  });
});
