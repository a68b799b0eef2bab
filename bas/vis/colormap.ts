// Colour maps from a value in [0, 1] to RGB, as 256-entry lookup tables: the original quantises the
// normalised map to uint8 before drawing, and a table makes every pixel one index.

export type ColormapName = 'gray' | 'jet' | 'viridis' | 'inferno';
export const COLORMAPS: readonly ColormapName[] = ['gray', 'jet', 'viridis', 'inferno'];

type Rgb = readonly [number, number, number];

// Perceptually uniform maps as samples at t = 0, 0.1, ..., 1, interpolated linearly between them.
const VIRIDIS_STOPS = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];
const INFERNO_STOPS = ['#000004', '#160b39', '#420a68', '#6a176e', '#932667', '#bc3754', '#dd513a', '#f37819', '#fca50a', '#f6d746', '#fcffa4'];

function hex(s: string): Rgb {
  return [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)];
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function fromStops(stops: readonly string[]): (t: number) => Rgb {
  const rgb = stops.map(hex);
  return (t) => {
    const p = clamp01(t) * (rgb.length - 1);
    const i = Math.min(Math.floor(p), rgb.length - 2);
    const f = p - i;
    const a = rgb[i]!;
    const b = rgb[i + 1]!;
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
  };
}

const SHADERS: Record<ColormapName, (t: number) => Rgb> = {
  gray: (t) => [255 * t, 255 * t, 255 * t],
  // Jet as three overlapping tents: dark blue -> blue -> cyan -> yellow -> red -> dark red.
  jet: (t) => [255 * clamp01(1.5 - Math.abs(4 * t - 3)), 255 * clamp01(1.5 - Math.abs(4 * t - 2)), 255 * clamp01(1.5 - Math.abs(4 * t - 1))],
  viridis: fromStops(VIRIDIS_STOPS),
  inferno: fromStops(INFERNO_STOPS),
};

const LUTS = new Map<ColormapName, Uint8Array>();

/** 256 RGB triples (768 bytes): entry k is the colour of value k / 255. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = LUTS.get(name);
  if (!lut) {
    const shade = SHADERS[name];
    if (!shade) throw new RangeError(`unknown colormap ${JSON.stringify(name)}; expected one of ${COLORMAPS.join(', ')}`);
    lut = new Uint8Array(256 * 3);
    for (let k = 0; k < 256; k++) {
      const c = shade(k / 255);
      for (let j = 0; j < 3; j++) lut[k * 3 + j] = Math.round(c[j]!);
    }
    LUTS.set(name, lut);
  }
  return lut;
}

/** The lookup-table index of a value: clamped to [0, 1] (NaN counts as 0), rounded to 1/255. */
export function colormapIndex(value: number): number {
  return value > 0 ? Math.round(Math.min(value, 1) * 255) : 0;
}

/** The colour of one value in [0, 1]. */
export function colormapColor(name: ColormapName, value: number): [number, number, number] {
  const lut = colormapLut(name);
  const k = colormapIndex(value) * 3;
  return [lut[k]!, lut[k + 1]!, lut[k + 2]!];
}
