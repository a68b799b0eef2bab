// Panel 1, the scene: a world scene (seed, number of objects), or an uploaded image with masks, or
// masks painted with the brush and eraser; the worker checks the scene and echoes it back, and the
// page shows it with its masks.
import type { SceneData } from '../protocol.js';
import { MaskBrush, tinted } from './brush.js';
import type { WorkerClient } from './client.js';
import { button, el, guarded, input, log, numberOf, select } from './dom.js';
import { canvas, CONCEPT_COLOURS, drawMask, drawRgb, figure } from './draw.js';
import { decodeFile, maskOf, rgbOf } from './images.js';

export class ScenePanel {
  /** The scene the worker accepted (what training uses). */
  scene: SceneData | null = null;
  /** The scene being painted: a copy, sent with "Use painted masks" (the browser test reads it). */
  private draft: SceneData | null = null;
  private readonly brush: MaskBrush;

  constructor(private readonly client: WorkerClient) {
    const view = el<HTMLCanvasElement>('scene-canvas');
    this.brush = new MaskBrush(view, () => this.draft, () => this.show());
    client.on('scene', (r) => {
      this.scene = r.scene;
      this.draft = { ...r.scene, masks: r.scene.masks.map((m) => m.slice()) };
      this.brush.current = 0;
      this.show();
    });
    button('scene-new').onclick = guarded(() =>
      client.send({ type: 'scene-world', seed: numberOf('scene-seed', 'scene seed', { integer: true }), num_objects: Number(select('scene-objects').value) }),
    );
    button('upload-use').onclick = () => void this.upload().catch((e: unknown) => log(`error: ${e instanceof Error ? e.message : String(e)}`));
    select('brush-mask').onchange = () => {
      this.brush.current = Number(select('brush-mask').value);
      this.show();
    };
    button('brush-add').onclick = guarded(() => {
      if (!this.draft) throw new Error('make or upload a scene first');
      this.draft.masks.push(new Uint8Array(this.draft.width * this.draft.height));
      this.brush.current = this.draft.masks.length - 1;
      this.show();
    });
    for (const r of document.querySelectorAll<HTMLInputElement>('input[name=brush-mode]')) {
      r.onchange = () => (this.brush.mode = r.value === 'eraser' ? 'eraser' : 'brush');
    }
    input('brush-size').oninput = () => (this.brush.radius = Number(input('brush-size').value));
    button('brush-apply').onclick = guarded(() => {
      if (!this.draft) throw new Error('make or upload a scene first');
      client.send({ type: 'scene-upload', scene: { ...this.draft, caption: 'painted masks' } });
    });
  }

  private async upload(): Promise<void> {
    const img = input('upload-image').files?.[0];
    if (!img) throw new Error('choose an image file first');
    const image = await decodeFile(img);
    const maskFiles = [...(input('upload-masks').files ?? [])].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    const masks = await Promise.all(maskFiles.map(async (f) => maskOf(await decodeFile(f), image, f.name)));
    // no masks: start one empty for the brush
    if (masks.length === 0) masks.push(new Uint8Array(image.width * image.height));
    const scene: SceneData = { width: image.width, height: image.height, rgb: rgbOf(image), masks, caption: `uploaded ${img.name}` };
    if (maskFiles.length === 0) {
      this.draft = scene;
      this.brush.current = 0;
      this.show();
      log('uploaded an image without masks: paint mask 0, then "Use painted masks"');
      return;
    }
    this.client.send({ type: 'scene-upload', scene });
  }

  private show(): void {
    const s = this.draft;
    if (!s) return;
    drawRgb(el<HTMLCanvasElement>('scene-canvas'), s.width, s.height, tinted(s, this.brush.current));
    el('scene-caption').textContent = this.scene ? `${this.scene.caption} (${this.scene.masks.length} concepts: <asset0> … <asset${this.scene.masks.length - 1}>)` : '';
    const tiles = el('scene-masks');
    tiles.replaceChildren(
      ...s.masks.map((m, i) => {
        const c = canvas(s.width, s.height);
        drawMask(c, s.width, s.height, m, CONCEPT_COLOURS[i % CONCEPT_COLOURS.length]!);
        return figure(c, `mask${i}: <asset${i}>`);
      }),
    );
    const sel = select('brush-mask');
    sel.replaceChildren(...s.masks.map((_, i) => new Option(`mask${i}`, String(i), false, i === this.brush.current)));
  }
}
