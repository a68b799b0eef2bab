// Panel 4, generation: a prompt with the learned tokens, seed, DDIM steps and guidance; each DDIM
// step arrives as it is computed (x_t, the predicted x_0 and every prompt token's map of that
// step), and the scrubber replays them.
import type { Reply } from '../protocol.js';
import type { WorkerClient } from './client.js';
import { button, el, guarded, input, numberOf, status } from './dom.js';
import { canvas, drawHeat, drawRgb, figure } from './draw.js';

type Step = Extract<Reply, { type: 'generate-step' }>;

export class GeneratePanel {
  private steps: Step[] = [];

  constructor(client: WorkerClient) {
    const scrub = input('gen-scrub');
    button('gen-run').onclick = guarded(() => {
      const prompt = input('g-prompt').value.trim();
      if (prompt === '') throw new Error('write a prompt first');
      this.steps = [];
      button('gen-run').disabled = true;
      status(`generating "${prompt}"…`);
      client.send({
        type: 'generate',
        prompt,
        seed: numberOf('g-seed', 'generation seed', { integer: true }),
        steps: numberOf('g-steps', 'DDIM steps', { integer: true, min: 1 }),
        guidance: numberOf('g-guidance', 'guidance', { min: 0 }),
      });
    });
    scrub.oninput = () => this.show(Number(scrub.value));
    client.on('generate-step', (r) => {
      this.steps.push(r);
      scrub.max = String(this.steps.length - 1);
      scrub.value = scrub.max;
      this.show(this.steps.length - 1);
    });
    client.on('generated', (r) => {
      button('gen-run').disabled = false;
      status(`generated "${r.prompt}" in ${(r.ms / 1000).toFixed(1)} s`);
    });
    client.on('error', (r) => {
      if (r.request === 'generate') button('gen-run').disabled = false;
    });
  }

  private show(i: number): void {
    const s = this.steps[i];
    if (!s) return;
    el('gen-scrub-value').textContent = `${s.step + 1}/${s.steps} (t = ${s.timestep})`;
    drawRgb(el<HTMLCanvasElement>('gen-xt'), s.size, s.size, s.image);
    drawRgb(el<HTMLCanvasElement>('gen-x0'), s.size, s.size, s.x0);
    el('gen-tiles').replaceChildren(
      ...s.tokens.map((token, k) => {
        const c = canvas(s.res, s.res);
        drawHeat(c, s.res, s.maps[k]!);
        return figure(c, token);
      }),
    );
  }
}
