// Painting masks over the scene: the pointer paints (or erases) a round brush into the selected
// mask at the image's own pixel grid, and the scene view redraws with the masks tinted over it.
import { CONCEPT_COLOURS } from './draw.js';

export interface Paintable {
  width: number;
  height: number;
  rgb: Uint8Array;
  masks: Uint8Array[];
}

export class MaskBrush {
  mode: 'brush' | 'eraser' = 'brush';
  radius = 2;
  current = 0;
  private down = false;

  constructor(
    private readonly c: HTMLCanvasElement,
    private readonly scene: () => Paintable | null,
    private readonly changed: () => void,
  ) {
    c.addEventListener('pointerdown', (e) => {
      this.down = true;
      c.setPointerCapture(e.pointerId);
      this.paintAt(e);
    });
    c.addEventListener('pointermove', (e) => {
      if (this.down) this.paintAt(e);
    });
    const stop = (): void => {
      this.down = false;
    };
    c.addEventListener('pointerup', stop);
    c.addEventListener('pointercancel', stop);
  }

  /** Paints (or erases) a disc at image pixel (x, y) of the selected mask. */
  paint(x: number, y: number): void {
    const s = this.scene();
    const mask = s?.masks[this.current];
    if (!s || !mask) return;
    const r = this.radius - 0.5;
    const value = this.mode === 'brush' ? 255 : 0;
    for (let yy = Math.floor(y - r); yy <= Math.ceil(y + r); yy++) {
      for (let xx = Math.floor(x - r); xx <= Math.ceil(x + r); xx++) {
        if (xx < 0 || yy < 0 || xx >= s.width || yy >= s.height) continue;
        if ((xx - x) ** 2 + (yy - y) ** 2 <= r * r + 0.25) mask[yy * s.width + xx] = value;
      }
    }
    this.changed();
  }

  private paintAt(e: PointerEvent): void {
    const s = this.scene();
    if (!s) return;
    const box = this.c.getBoundingClientRect();
    this.paint(Math.floor(((e.clientX - box.left) / box.width) * s.width), Math.floor(((e.clientY - box.top) / box.height) * s.height));
  }
}

/** The image with every mask tinted over it (the selected one stronger). */
export function tinted(s: Paintable, selected: number): Uint8Array {
  const out = s.rgb.slice();
  s.masks.forEach((m, i) => {
    const colour = CONCEPT_COLOURS[i % CONCEPT_COLOURS.length]!;
    const a = i === selected ? 0.6 : 0.3;
    for (let p = 0; p < m.length; p++) {
      if (m[p]! < 128) continue;
      for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round((1 - a) * out[p * 3 + k]! + a * colour[k]!);
    }
  });
  return out;
}
