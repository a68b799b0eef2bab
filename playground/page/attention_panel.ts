// Panel 3, the attention view: for the current step, each placeholder token's map (divided by its
// max, as the loss sees it) beside its mask and laid over the image, with its IoU; the layer
// selector walks the P2P store's contents (the loss's average, then each down, mid and up layer at
// its resolution), the slider picks the noise level the probe looks through.
import type { AttentionLayer, Reply, SceneData } from '../protocol.js';
import type { WorkerClient } from './client.js';
import { button, el, input, select } from './dom.js';
import { canvas, CONCEPT_COLOURS, drawHeat, drawMask, drawOverlay } from './draw.js';

type AttentionReply = Extract<Reply, { type: 'attention' }>;

export class AttentionPanel {
  private last: AttentionReply | null = null;

  constructor(
    client: WorkerClient,
    private readonly scene: () => SceneData | null,
    private readonly running: () => boolean,
  ) {
    const t = input('attn-t');
    const send = (probe: boolean): void => {
      const timestep = Number(t.value);
      el('attn-t-value').textContent = String(timestep);
      client.send({ type: 'view', live: input('attn-live').checked, timestep });
      if (probe && this.running()) client.send({ type: 'probe', timestep });
    };
    t.oninput = () => (el('attn-t-value').textContent = t.value);
    t.onchange = () => send(true);
    input('attn-live').onchange = () => send(false);
    button('attn-refresh').onclick = () => send(true);
    select('attn-layer').onchange = () => this.draw();
    client.on('attention', (r) => {
      this.last = r;
      this.fillLayers(r.layers);
      this.draw();
    });
    client.on('state', (r) => {
      if (r.state === 'idle') {
        this.last = null;
        el('attn-grid').replaceChildren();
        el('attn-info').textContent = '';
      }
    });
  }

  private fillLayers(layers: readonly AttentionLayer[]): void {
    const sel = select('attn-layer');
    const keep = sel.value;
    if ([...sel.options].map((o) => o.value).join('\n') === layers.map((l) => l.label).join('\n')) return;
    sel.replaceChildren(...layers.map((l) => new Option(l.label, l.label, false, l.label === keep)));
  }

  private draw(): void {
    const r = this.last;
    const s = this.scene();
    if (!r || !s) return;
    const layer = r.layers.find((l) => l.label === select('attn-layer').value) ?? r.layers[0];
    if (!layer) return;
    el('attn-info').textContent = `step ${r.step}, timestep ${r.timestep}: ${layer.label}; mean IoU ${(layer.iou.reduce((a, b) => a + b, 0) / Math.max(1, layer.iou.length)).toFixed(3)}`;
    const cells: HTMLElement[] = [];
    for (const head of ['token', 'mask', 'attention map', 'over the image']) {
      const h = document.createElement('b');
      h.textContent = head;
      cells.push(h);
    }
    r.tokens.forEach((token, i) => {
      const label = document.createElement('span');
      label.className = 'token';
      label.textContent = `${token} IoU ${layer.iou[i]!.toFixed(2)}`;
      const mask = canvas(s.width, s.height);
      drawMask(mask, s.width, s.height, s.masks[i] ?? new Uint8Array(s.width * s.height), CONCEPT_COLOURS[i % CONCEPT_COLOURS.length]!);
      const heat = canvas(layer.res, layer.res);
      drawHeat(heat, layer.res, layer.maps[i]!);
      const over = canvas(s.width, s.height);
      drawOverlay(over, s.width, s.height, s.rgb, layer.res, layer.maps[i]!);
      cells.push(label, mask, heat, over);
    });
    el('attn-grid').replaceChildren(...cells);
  }
}
