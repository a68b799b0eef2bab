// The world's colours and backgrounds. Object colours are saturated and far apart (nearest pair
// ~90 in RGB distance) so a pixel's colour names its object even under noise; background colours
// and every texture shade stay >= 90 away from all of them (checked by a test), so nothing in the
// background is ever mistaken for an object.

export type Rgb = readonly [number, number, number];

export const COLOURS = [
  { name: 'red', rgb: [220, 30, 30] },
  { name: 'green', rgb: [30, 170, 40] },
  { name: 'blue', rgb: [30, 60, 220] },
  { name: 'yellow', rgb: [240, 210, 30] },
  { name: 'purple', rgb: [140, 40, 200] },
  { name: 'orange', rgb: [250, 120, 20] },
  { name: 'cyan', rgb: [30, 200, 220] },
  { name: 'pink', rgb: [250, 110, 190] },
] as const satisfies readonly { name: string; rgb: Rgb }[];

export type ColourName = (typeof COLOURS)[number]['name'];
export const COLOUR_NAMES: readonly ColourName[] = COLOURS.map((c) => c.name);

export const BACKGROUNDS = [
  { name: 'grey', rgb: [128, 128, 128] },
  { name: 'white', rgb: [240, 240, 240] },
  { name: 'black', rgb: [30, 30, 30] },
  { name: 'brown', rgb: [110, 80, 55] },
] as const satisfies readonly { name: string; rgb: Rgb }[];

export type BackgroundName = (typeof BACKGROUNDS)[number]['name'];
export const BACKGROUND_NAMES: readonly BackgroundName[] = BACKGROUNDS.map((b) => b.name);

/** Background textures; all but 'plain' are named in the caption by their own word. */
export const TEXTURES = ['plain', 'striped', 'checkered', 'dotted', 'textured'] as const;
export type TextureName = (typeof TEXTURES)[number];

/** Shade offset of a texture against its base: low contrast, the same on R, G and B (hue kept). */
export const TEXTURE_DELTA = 24;
/** Per-pixel amplitude of the 'textured' (noise) background. */
export const NOISE_AMPLITUDE = 16;

/** +delta on dark bases, -delta on light ones, so the texture shade stays inside 0..255. */
export function textureSign(base: Rgb): 1 | -1 {
  return base[0] + base[1] + base[2] > 3 * 160 ? -1 : 1;
}
