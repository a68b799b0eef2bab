// Sampling scenes from a seeded Generator. Objects get distinct colours (so a colour names one
// object), random shapes, sizes and positions fully inside the image, and are drawn in order.
// A placement is accepted only if afterwards every object is still recognisable: at least 60% of
// its pixels visible, and the detector's template fit, run on the exact pixel labels, names its
// true shape (and size) with zero errors while every other shape gets a clear number of wrong
// pixels. That is the occlusion limit that lets the detector be exact on clean renders; with the
// 60% rule alone it was right on ~99% of objects (a neighbour's pixels, being unknown, can let
// another shape fit as well).
import type { Generator } from '../../core/index.js';
import { captionOf } from './caption.js';
import { colourRegion, fitRegion, LABEL_BACKGROUND, MIN_AREA_32, MIN_COMPONENT_AREA_32, REFERENCE_RESOLUTION, SIZE_RADIUS_RANGES, sizeOfRadius } from './detector.js';
import { BACKGROUNDS, COLOURS, TEXTURES, type ColourName, type TextureName } from './palette.js';
import { objectPixels } from './render.js';
import type { Scene, SceneBackground, SceneObject, SizeName, StripeOrientation } from './scene.js';
import { SHAPE_NAMES, SHAPES, type ShapeName } from './shapes.js';

export const MIN_OBJECTS = 1;
export const MAX_OBJECTS = 4;
export const MIN_VISIBLE_FRACTION = 0.6;
/** Wrong pixels the runner-up shape must have: at least this many, and this share of the visible area. */
export const MIN_MARGIN_PIXELS = 3;
export const MIN_MARGIN_FRACTION = 0.05;
/** Placements tried per object before the scene is started again. */
const ATTEMPTS_PER_OBJECT = 40;
const SCENE_RESTARTS = 200;
/** Gap between a shape's extent and the image border, in pixels at 32x32. */
const BORDER = 1;

export interface SampleSceneOptions {
  /** 1..4; drawn uniformly when left out. */
  numObjects?: number;
  /** Side in pixels (default 32; 64 is the other supported size). */
  resolution?: number;
  /** Background textures to draw from (default all; ['plain'] gives flat backgrounds). */
  textures?: readonly TextureName[];
  /** 'centre' puts the first object at the image centre (the others anywhere); default 'anywhere'. */
  placement?: Placement;
  /** With placement 'centre': the first object's centre moves up to this many pixels (at 32x32) from
   * mid-image along each axis, on the half-pixel grid and kept inside the image (default 0). A
   * curriculum's bridge from one position to all of them. */
  jitter?: number;
  /** Shapes to draw from (default all): a smaller set is a curriculum's first stage (issue 10). */
  shapes?: readonly ShapeName[];
  /** Colours to draw from (default all); objects still get distinct ones, so at least numObjects. One
   * colour leaves the shape the caption's only object word: a curriculum's first stage (issue 10). */
  colours?: readonly ColourName[];
  /** When given, counts why placements were rejected (for measuring the world, not needed to use it). */
  stats?: SampleStats;
}

export interface SampleStats {
  placements: number;
  rejectedVisibility: number;
  rejectedRecognisability: number;
  sceneRestarts: number;
}

export const PLACEMENTS = ['anywhere', 'centre'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** The half-pixel grid value nearest the centre that puts a shape's bounds [lo, hi] (times radius) mid-image. */
function centred(resolution: number, lo: number, hi: number, radius: number): number {
  return Math.round((resolution / 2 - ((lo + hi) / 2) * radius) * 2) / 2;
}

const ORIENTATIONS: readonly StripeOrientation[] = ['horizontal', 'vertical', 'diagonal'];

function pick<T>(gen: Generator, items: readonly T[]): T {
  return items[gen.integer(0, items.length)]!;
}

/** A multiple of `step` in [lo, hi]. */
function gridValue(gen: Generator, lo: number, hi: number, step: number): number {
  const a = Math.ceil(lo / step - 1e-9);
  const b = Math.floor(hi / step + 1e-9);
  if (b < a) throw new Error(`no grid value in [${lo}, ${hi}]`);
  return gen.integer(a, b + 1) * step;
}

export function sampleBackground(gen: Generator, resolution: number, textures: readonly TextureName[] = TEXTURES): SceneBackground {
  const s = resolution / REFERENCE_RESOLUTION;
  const bg = pick(gen, BACKGROUNDS);
  const texture = pick(gen, textures);
  const params: SceneBackground['params'] = { period: 0, orientation: 'horizontal', seed: 0 };
  if (texture === 'striped') {
    params.period = pick(gen, [4, 6, 8]) * s;
    params.orientation = pick(gen, ORIENTATIONS);
  } else if (texture === 'checkered') {
    params.period = pick(gen, [3, 4, 6]) * s;
  } else if (texture === 'dotted') {
    params.period = pick(gen, [5, 6, 7]) * s;
  } else if (texture === 'textured') {
    params.seed = gen.nextUint32();
  }
  return { name: bg.name, texture, rgb: [...bg.rgb], params };
}

/** Whether object `i` (of size `size`) is still recognisable given who owns each pixel. */
function recognisable(owner: Int8Array, colourOf: readonly number[], i: number, size: SizeName, resolution: number): boolean {
  const labels = new Int8Array(owner.length);
  for (let p = 0; p < owner.length; p++) labels[p] = owner[p]! < 0 ? LABEL_BACKGROUND : colourOf[owner[p]!]!;
  const s2 = (resolution / REFERENCE_RESOLUTION) ** 2;
  // the detector's own defaults, so that what passes here is what detect() sees on the render
  const region = colourRegion(labels, resolution, resolution, colourOf[i]!, Math.max(1, Math.round(MIN_COMPONENT_AREA_32 * s2)));
  if (region === null || region.area < Math.round(MIN_AREA_32 * s2)) return false;
  const fits = fitRegion(region.state, resolution, resolution);
  return (
    fits[0]!.errors === 0 &&
    fits[1]!.errors >= Math.max(MIN_MARGIN_PIXELS * s2, MIN_MARGIN_FRACTION * region.area) &&
    sizeOfRadius(fits[0]!.radius, resolution, resolution) === size
  );
}

/** A centre coordinate for placement 'centre': mid-image, moved by up to `jitter` and kept in [lo, hi]. */
function nearCentre(gen: Generator, mid: number, jitter: number, lo: number, hi: number): number {
  if (jitter === 0) return mid;
  return gridValue(gen, Math.max(lo, mid - jitter), Math.min(hi, mid + jitter), 0.5);
}

function tryScene(gen: Generator, resolution: number, n: number, textures: readonly TextureName[], shapes: readonly ShapeName[], colourSet: readonly ColourName[], placement: Placement, jitter: number, stats: SampleStats | undefined): Scene | null {
  const s = resolution / REFERENCE_RESOLUTION;
  const background = sampleBackground(gen, resolution, textures);
  const colours = gen.sample(colourSet, n) as ColourName[];
  const colourOf = colours.map((name) => COLOURS.findIndex((c) => c.name === name));
  const owner = new Int8Array(resolution * resolution).fill(-1);
  const drawn: number[] = [];
  const objects: Omit<SceneObject, 'visible_fraction'>[] = [];
  for (let i = 0; i < n; i++) {
    const shape = pick(gen, shapes);
    const colour = colours[i]!;
    let placed = false;
    for (let attempt = 0; attempt < ATTEMPTS_PER_OBJECT && !placed; attempt++) {
      const size: SizeName = gen.random() < 0.5 ? 'small' : 'large';
      const [rlo, rhi] = SIZE_RADIUS_RANGES[size];
      const radius = gridValue(gen, rlo * s, rhi * s, 0.25);
      const b = SHAPES[shape].bounds;
      const border = BORDER * s;
      const mid = placement === 'centre' && i === 0;
      const [xlo, xhi] = [border - b.minX * radius, resolution - border - b.maxX * radius];
      const [ylo, yhi] = [border - b.minY * radius, resolution - border - b.maxY * radius];
      const cx = mid ? nearCentre(gen, centred(resolution, b.minX, b.maxX, radius), jitter * s, xlo, xhi) : gridValue(gen, xlo, xhi, 0.5);
      const cy = mid ? nearCentre(gen, centred(resolution, b.minY, b.maxY, radius), jitter * s, ylo, yhi) : gridValue(gen, ylo, yhi, 0.5);
      const obj = { shape, colour, rgb: [...COLOURS[colourOf[i]!]!.rgb] as [number, number, number], size, cx, cy, radius };
      const pixels = objectPixels(obj, resolution);
      const trial = owner.slice();
      for (const p of pixels) trial[p] = i;
      const visible = new Array<number>(i + 1).fill(0);
      for (let p = 0; p < trial.length; p++) if (trial[p]! >= 0) visible[trial[p]!]!++;
      if (stats) stats.placements++;
      if (visible.slice(0, i).some((v, j) => v < MIN_VISIBLE_FRACTION * drawn[j]!)) {
        if (stats) stats.rejectedVisibility++;
        continue;
      }
      let ok = true;
      for (let j = 0; j <= i && ok; j++) ok = recognisable(trial, colourOf, j, j === i ? size : objects[j]!.size, resolution);
      if (!ok) {
        if (stats) stats.rejectedRecognisability++;
        continue;
      }
      owner.set(trial);
      drawn.push(pixels.length);
      objects.push(obj);
      placed = true;
    }
    if (!placed) return null;
  }
  const visible = new Array<number>(n).fill(0);
  for (let p = 0; p < owner.length; p++) if (owner[p]! >= 0) visible[owner[p]!]!++;
  const full: SceneObject[] = objects.map((o, i) => ({ ...o, visible_fraction: visible[i]! / drawn[i]! }));
  const scene = { resolution, background, objects: full, caption: '' };
  scene.caption = captionOf(scene);
  return scene;
}

/** A random scene; the same generator state always gives the same scene. */
export function sampleScene(gen: Generator, opts: SampleSceneOptions = {}): Scene {
  const resolution = opts.resolution ?? 32;
  if (!Number.isInteger(resolution) || resolution < REFERENCE_RESOLUTION || resolution % REFERENCE_RESOLUTION !== 0) {
    throw new Error(`sampleScene: resolution must be a multiple of ${REFERENCE_RESOLUTION} (32 or 64), got ${resolution}`);
  }
  const n = opts.numObjects ?? gen.integer(MIN_OBJECTS, MAX_OBJECTS + 1);
  if (!Number.isInteger(n) || n < MIN_OBJECTS || n > MAX_OBJECTS) {
    throw new Error(`sampleScene: numObjects must be an integer in ${MIN_OBJECTS}..${MAX_OBJECTS}, got ${n}`);
  }
  const textures = opts.textures ?? TEXTURES;
  const unknown = textures.filter((t) => !TEXTURES.includes(t));
  if (textures.length === 0 || unknown.length > 0) throw new Error(`sampleScene: textures must be a non-empty subset of ${TEXTURES.join(', ')}, got [${textures.join(', ')}]`);
  const shapes = opts.shapes ?? SHAPE_NAMES;
  const unknownShapes = shapes.filter((s) => !SHAPE_NAMES.includes(s));
  if (shapes.length === 0 || unknownShapes.length > 0) throw new Error(`sampleScene: shapes must be a non-empty subset of ${SHAPE_NAMES.join(', ')}, got [${shapes.join(', ')}]`);
  const colours = opts.colours ?? COLOURS.map((c) => c.name);
  const unknownColours = colours.filter((c) => !COLOURS.some((k) => k.name === c));
  if (new Set(colours).size !== colours.length || unknownColours.length > 0) throw new Error(`sampleScene: colours must be distinct names of ${COLOURS.map((c) => c.name).join(', ')}, got [${colours.join(', ')}]`);
  if (colours.length < n) throw new Error(`sampleScene: ${n} objects need ${n} distinct colours, got ${colours.length} ([${colours.join(', ')}])`);
  const jitter = opts.jitter ?? 0;
  if (!(Number.isFinite(jitter) && jitter >= 0)) throw new Error(`sampleScene: jitter must be a number of pixels >= 0, got ${jitter}`);
  if (jitter > 0 && opts.placement !== 'centre') throw new Error(`sampleScene: jitter moves the centred object, so it needs placement 'centre' (got '${opts.placement ?? 'anywhere'}')`);
  for (let t = 0; t < SCENE_RESTARTS; t++) {
    const scene = tryScene(gen, resolution, n, textures, shapes, colours, opts.placement ?? 'anywhere', jitter, opts.stats);
    if (scene !== null) return scene;
    if (opts.stats) opts.stats.sceneRestarts++;
  }
  throw new Error(`sampleScene: no valid placement of ${n} objects at ${resolution}x${resolution} after ${SCENE_RESTARTS} tries`);
}
