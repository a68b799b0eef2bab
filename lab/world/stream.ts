// An endless, seeded stream of rendered scenes for pretraining, made in-process (no files).
// Sample i is drawn from its own Generator seeded by (seed, i), so the stream's whole state is
// its position: saving { seed, index } and restoring it resumes exactly, and any sample can be
// made on its own (e.g. by parallel workers) without replaying the ones before it.
import { Generator } from '../../core/index.js';
import { renderScene, type RenderedScene } from './render.js';
import { MAX_OBJECTS, MIN_OBJECTS, sampleScene, type Placement } from './sample.js';
import type { Scene } from './scene.js';
import type { ColourName, TextureName } from './palette.js';
import type { ShapeName } from './shapes.js';

export interface SceneStreamOptions {
  /** Side in pixels (default 32). */
  resolution?: number;
  /** Objects per scene, drawn uniformly from minObjects..maxObjects (default 1..4). */
  minObjects?: number;
  maxObjects?: number;
  /** Background textures to draw from (default all). */
  textures?: readonly TextureName[];
  /** Where the first object goes (default anywhere). */
  placement?: Placement;
  /** With placement 'centre', how far (pixels at 32x32) the first object may move from mid-image (default 0). */
  jitter?: number;
  /** Shapes to draw from (default all). */
  shapes?: readonly ShapeName[];
  /** Colours to draw from (default all; at least maxObjects of them). */
  colours?: readonly ColourName[];
}

export interface SceneSample extends RenderedScene {
  /** Position of this sample in its stream. */
  index: number;
  scene: Scene;
}

export interface SceneStreamState {
  seed: number;
  /** The index of the next sample. */
  index: number;
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mix(words: readonly number[], salt: number): number {
  let h = salt >>> 0;
  for (const w of words) h = fmix32((h ^ w) + 0x9e3779b9);
  return h;
}

/** The Generator seed of sample `index` of stream `seed` (53 bits, from both numbers in full). */
export function sampleSeed(seed: number, index: number): number {
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(index) || index < 0) {
    throw new Error(`scene stream: seed and index must be safe integers (index >= 0), got seed ${seed}, index ${index}`);
  }
  const words = [seed >>> 0, Math.floor(seed / 4294967296) >>> 0, index >>> 0, Math.floor(index / 4294967296) >>> 0];
  return (mix(words, 1) & 0x1fffff) * 4294967296 + mix(words, 2);
}

function checkOptions(opts: SceneStreamOptions): SceneStreamOptions & Required<Omit<SceneStreamOptions, 'textures' | 'shapes' | 'colours' | 'jitter'>> {
  const o = { resolution: opts.resolution ?? 32, minObjects: opts.minObjects ?? MIN_OBJECTS, maxObjects: opts.maxObjects ?? MAX_OBJECTS, textures: opts.textures, shapes: opts.shapes, colours: opts.colours, placement: opts.placement ?? 'anywhere', jitter: opts.jitter };
  if (!(Number.isInteger(o.minObjects) && Number.isInteger(o.maxObjects) && MIN_OBJECTS <= o.minObjects && o.minObjects <= o.maxObjects && o.maxObjects <= MAX_OBJECTS)) {
    throw new Error(`scene stream: need ${MIN_OBJECTS} <= minObjects <= maxObjects <= ${MAX_OBJECTS}, got ${o.minObjects}..${o.maxObjects}`);
  }
  if (o.colours !== undefined && o.colours.length < o.maxObjects) {
    throw new Error(`scene stream: ${o.maxObjects} objects need as many distinct colours, got ${o.colours.length} ([${o.colours.join(', ')}])`);
  }
  return o;
}

/** Sample `index` of stream `seed`, independent of every other sample. */
export function sceneAt(seed: number, index: number, opts: SceneStreamOptions = {}): SceneSample {
  const o = checkOptions(opts);
  const gen = new Generator(sampleSeed(seed, index));
  const scene = sampleScene(gen, { resolution: o.resolution, numObjects: gen.integer(o.minObjects, o.maxObjects + 1), textures: o.textures, shapes: o.shapes, colours: o.colours, placement: o.placement, jitter: o.jitter });
  return { ...renderScene(scene), index, scene };
}

export class SceneStream implements Iterable<SceneSample> {
  private readonly opts: SceneStreamOptions;
  private index: number;

  constructor(
    readonly seed: number,
    opts: SceneStreamOptions = {},
    start = 0,
  ) {
    this.opts = checkOptions(opts);
    sampleSeed(seed, start); // validates both
    this.index = start;
  }

  /** Index of the next sample. */
  get position(): number {
    return this.index;
  }

  next(): SceneSample {
    const s = sceneAt(this.seed, this.index, this.opts);
    this.index++;
    return s;
  }

  /** The next `n` samples. */
  take(n: number): SceneSample[] {
    return Array.from({ length: n }, () => this.next());
  }

  state(): SceneStreamState {
    return { seed: this.seed, index: this.index };
  }

  /** A stream that continues exactly where `state` was saved. */
  static restore(state: SceneStreamState, opts: SceneStreamOptions = {}): SceneStream {
    return new SceneStream(state.seed, opts, state.index);
  }

  *[Symbol.iterator](): Iterator<SceneSample> {
    for (;;) yield this.next();
  }
}

export function sceneStream(seed: number, opts: SceneStreamOptions = {}): SceneStream {
  return new SceneStream(seed, opts);
}
