// The scene description: what sampleScene draws and scene.json stores. Lengths are pixels at
// `resolution`; rendering at another resolution scales them.
import type { BackgroundName, ColourName, TextureName } from './palette.js';
import type { ShapeName } from './shapes.js';

export type SizeName = 'small' | 'large';
export const SIZE_NAMES: readonly SizeName[] = ['small', 'large'];
export type StripeOrientation = 'horizontal' | 'vertical' | 'diagonal';

export interface SceneBackground {
  name: BackgroundName;
  texture: TextureName;
  rgb: [number, number, number];
  /** Texture details, in pixels at the scene's resolution; unused fields are 0 / 'horizontal'. */
  params: {
    /** Stripe period, check size or dot spacing. */
    period: number;
    orientation: StripeOrientation;
    /** Seed of the 'textured' (noise) background. */
    seed: number;
  };
}

export interface SceneObject {
  shape: ShapeName;
  colour: ColourName;
  rgb: [number, number, number];
  size: SizeName;
  /** Centre, on the half-pixel grid. */
  cx: number;
  cy: number;
  /** Radius in pixels, a multiple of 1/4. */
  radius: number;
  /** Share of the object's own pixels left visible after the later objects are drawn. */
  visible_fraction: number;
}

export interface Scene {
  resolution: number;
  background: SceneBackground;
  /** In drawing order: later objects cover earlier ones. */
  objects: SceneObject[];
  caption: string;
}
