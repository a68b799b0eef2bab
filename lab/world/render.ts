// Rendering a scene: background texture, then the objects in order, each pixel inside a shape
// (tested at its centre, no anti-aliasing) set to the object's exact palette colour. An object's
// mask is the pixels it still owns after the later objects are drawn, so masks are exact and
// disjoint, and a pixel shows an object's colour exactly where its mask is on.
import { NOISE_AMPLITUDE, TEXTURE_DELTA, textureSign } from './palette.js';
import type { Scene, SceneBackground, SceneObject } from './scene.js';
import { insideShape, SHAPES } from './shapes.js';

export interface RenderedScene {
  width: number;
  height: number;
  /** H * W * 3, row-major. */
  rgb: Uint8Array;
  /** One per object, H * W, 255 where the object is visible, else 0. */
  masks: Uint8Array[];
  caption: string;
}

function hash32(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The background's RGB at `resolution` (texture coordinates in the scene's own pixels). */
export function renderBackground(bg: SceneBackground, sceneResolution: number, resolution: number): Uint8Array {
  const s = resolution / sceneResolution;
  const out = new Uint8Array(resolution * resolution * 3);
  const sign = textureSign(bg.rgb);
  const { period, orientation, seed } = bg.params;
  for (let y = 0; y < resolution; y++) {
    const v = (y + 0.5) / s;
    for (let x = 0; x < resolution; x++) {
      const u = (x + 0.5) / s;
      let offset = 0;
      switch (bg.texture) {
        case 'plain':
          break;
        case 'striped': {
          const t = orientation === 'horizontal' ? v : orientation === 'vertical' ? u : (u + v) / Math.SQRT2;
          offset = Math.floor((2 * t) / period) % 2 === 1 ? sign * TEXTURE_DELTA : 0;
          break;
        }
        case 'checkered':
          offset = (Math.floor(u / period) + Math.floor(v / period)) % 2 === 1 ? sign * TEXTURE_DELTA : 0;
          break;
        case 'dotted': {
          const du = u - (Math.floor(u / period) + 0.5) * period;
          const dv = v - (Math.floor(v / period) + 0.5) * period;
          offset = du * du + dv * dv <= (0.22 * period) ** 2 ? sign * TEXTURE_DELTA : 0;
          break;
        }
        case 'textured':
          offset = (hash32(seed, Math.floor(u), Math.floor(v)) % (2 * NOISE_AMPLITUDE + 1)) - NOISE_AMPLITUDE;
          break;
      }
      const o = (y * resolution + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.min(255, Math.max(0, bg.rgb[c]! + offset));
    }
  }
  return out;
}

/** Indices (y * resolution + x) of the pixels inside `obj`, its lengths scaled by `scale`. */
export function objectPixels(obj: Pick<SceneObject, 'shape' | 'cx' | 'cy' | 'radius'>, resolution: number, scale = 1): number[] {
  const def = SHAPES[obj.shape];
  const cx = obj.cx * scale;
  const cy = obj.cy * scale;
  const r = obj.radius * scale;
  const { minX, maxX, minY, maxY } = def.bounds;
  const xa = Math.max(0, Math.floor(cx + minX * r) - 1);
  const xb = Math.min(resolution - 1, Math.ceil(cx + maxX * r) + 1);
  const ya = Math.max(0, Math.floor(cy + minY * r) - 1);
  const yb = Math.min(resolution - 1, Math.ceil(cy + maxY * r) + 1);
  const out: number[] = [];
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) if (insideShape(def, x + 0.5 - cx, y + 0.5 - cy, r)) out.push(y * resolution + x);
  }
  return out;
}

/** Which object shows at each pixel (-1: background), drawing the objects in order. */
export function ownerMap(scene: Pick<Scene, 'objects' | 'resolution'>, resolution = scene.resolution): Int8Array {
  const owner = new Int8Array(resolution * resolution).fill(-1);
  const scale = resolution / scene.resolution;
  scene.objects.forEach((o, i) => {
    for (const p of objectPixels(o, resolution, scale)) owner[p] = i;
  });
  return owner;
}

export function renderScene(scene: Scene, resolution = scene.resolution): RenderedScene {
  if (!Number.isInteger(resolution) || resolution <= 0) throw new Error(`renderScene: bad resolution ${resolution}`);
  const rgb = renderBackground(scene.background, scene.resolution, resolution);
  const owner = ownerMap(scene, resolution);
  const masks = scene.objects.map(() => new Uint8Array(resolution * resolution));
  for (let p = 0; p < owner.length; p++) {
    const i = owner[p]!;
    if (i < 0) continue;
    masks[i]![p] = 255;
    const c = scene.objects[i]!.rgb;
    rgb[p * 3] = c[0];
    rgb[p * 3 + 1] = c[1];
    rgb[p * 3 + 2] = c[2];
  }
  return { width: resolution, height: resolution, rgb, masks, caption: scene.caption };
}
