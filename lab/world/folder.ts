// Scene folders on disk, laid out as Break-A-Scene instance folders: img.png, mask0.png ...
// (8-bit grey, 0/255) and scene.json. A folder is built under a temporary sibling name and
// renamed into place, so a reader never sees a half-written scene.
import { read_json_object } from '../../nn/fs_atomic.js';
import { encodePng } from '../../bas/io/png.js';
import { getPlatform } from '../../platform/platform.js';
import { BACKGROUND_NAMES, COLOUR_NAMES, TEXTURES } from './palette.js';
import { renderScene } from './render.js';
import { SIZE_NAMES, type Scene, type SceneBackground, type SceneObject } from './scene.js';
import { SHAPE_NAMES } from './shapes.js';

export interface WriteSceneFolderOptions {
  /** Replace a non-empty folder already at `dir` (default: refuse). */
  overwrite?: boolean;
}

/** scene.json text: two-space indent, trailing newline. */
export function sceneToJson(scene: Scene): string {
  return `${JSON.stringify(scene, null, 2)}\n`;
}

/**
 * Writes img.png, mask{i}.png and scene.json for `scene` rendered at `resolution` (lengths in
 * scene.json stay in the scene's own pixels).
 */
export function writeSceneFolder(dir: string, scene: Scene, resolution = scene.resolution, opts: WriteSceneFolderOptions = {}): void {
  const platform = getPlatform();
  const fs = platform.files;
  const target = fs.resolve(dir);
  if (fs.exists(target)) {
    if (!fs.isDirectory(target)) throw new Error(`cannot write scene folder: ${dir} exists and is not a folder`);
    if (fs.listDir(target).length > 0 && !opts.overwrite) {
      throw new Error(`refusing to overwrite non-empty folder ${dir} (pass { overwrite: true } to replace it)`);
    }
  }
  const parent = fs.dirname(target);
  fs.mkdirp(parent);
  const tag = platform.randomId();
  const tmp = fs.join(parent, `.${fs.basename(target)}.tmp-${tag}`);
  const r = renderScene(scene, resolution);
  fs.mkdirp(tmp);
  try {
    fs.writeFile(fs.join(tmp, 'img.png'), encodePng({ width: r.width, height: r.height, rgb: r.rgb }));
    r.masks.forEach((m, i) => fs.writeFile(fs.join(tmp, `mask${i}.png`), encodePng({ width: r.width, height: r.height, gray: m })));
    fs.writeFile(fs.join(tmp, 'scene.json'), sceneToJson(scene));
    if (fs.exists(target)) {
      // move the old folder aside first: rename cannot replace a non-empty folder
      const old = fs.join(parent, `.${fs.basename(target)}.old-${tag}`);
      fs.rename(target, old);
      try {
        fs.rename(tmp, target);
      } catch (e) {
        fs.rename(old, target);
        throw e;
      }
      fs.remove(old);
    } else {
      fs.rename(tmp, target);
    }
  } catch (e) {
    fs.remove(tmp);
    throw e;
  }
}

type Json = Record<string, unknown>;

class SceneJsonError extends Error {}

function field<T>(obj: Json, key: string, where: string, check: (v: unknown) => v is T, want: string): T {
  const v = obj[key];
  if (!check(v)) throw new SceneJsonError(`${where}.${key} must be ${want}, got ${JSON.stringify(v)}`);
  return v;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRgb = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((c) => Number.isInteger(c) && c >= 0 && c <= 255);
const oneOf =
  <T extends string>(names: readonly T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (names as readonly string[]).includes(v);

function parseBackground(o: Json, where: string): SceneBackground {
  const params = field(o, 'params', where, isObject, 'an object');
  return {
    name: field(o, 'name', where, oneOf(BACKGROUND_NAMES), `one of ${BACKGROUND_NAMES.join(', ')}`),
    texture: field(o, 'texture', where, oneOf(TEXTURES), `one of ${TEXTURES.join(', ')}`),
    rgb: [...field(o, 'rgb', where, isRgb, 'three integers in 0..255')],
    params: {
      period: field(params, 'period', `${where}.params`, isNumber, 'a number'),
      orientation: field(params, 'orientation', `${where}.params`, oneOf(['horizontal', 'vertical', 'diagonal'] as const), 'horizontal, vertical or diagonal'),
      seed: field(params, 'seed', `${where}.params`, isNumber, 'a number'),
    },
  };
}

function parseObject(o: Json, where: string): SceneObject {
  return {
    shape: field(o, 'shape', where, oneOf(SHAPE_NAMES), `one of ${SHAPE_NAMES.join(', ')}`),
    colour: field(o, 'colour', where, oneOf(COLOUR_NAMES), `one of ${COLOUR_NAMES.join(', ')}`),
    rgb: [...field(o, 'rgb', where, isRgb, 'three integers in 0..255')],
    size: field(o, 'size', where, oneOf(SIZE_NAMES), `one of ${SIZE_NAMES.join(', ')}`),
    cx: field(o, 'cx', where, isNumber, 'a number'),
    cy: field(o, 'cy', where, isNumber, 'a number'),
    radius: field(o, 'radius', where, isNumber, 'a number'),
    visible_fraction: field(o, 'visible_fraction', where, isNumber, 'a number'),
  };
}

/** Validates a parsed scene.json value; `source` names it in errors. */
export function parseScene(value: unknown, source = 'scene.json'): Scene {
  try {
    if (!isObject(value)) throw new SceneJsonError('must hold a JSON object');
    const resolution = field(value, 'resolution', 'scene', (v): v is number => Number.isInteger(v) && (v as number) > 0, 'a positive integer');
    const objects = field(value, 'objects', 'scene', Array.isArray, 'an array') as unknown[];
    return {
      resolution,
      background: parseBackground(field(value, 'background', 'scene', isObject, 'an object'), 'scene.background'),
      objects: objects.map((o, i) => {
        if (!isObject(o)) throw new SceneJsonError(`scene.objects[${i}] must be an object`);
        return parseObject(o, `scene.objects[${i}]`);
      }),
      caption: field(value, 'caption', 'scene', isString, 'a string'),
    };
  } catch (e) {
    if (e instanceof SceneJsonError) throw new Error(`${source}: ${e.message}`);
    throw e;
  }
}

/** Reads and validates a scene.json file. */
export function readSceneJson(path: string): Scene {
  return parseScene(read_json_object(path, 'scene.json'), path);
}
