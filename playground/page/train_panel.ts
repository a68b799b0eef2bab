// Panel 2, training: the knobs (phase-1 and phase-2 steps, lambda_attention, learning rates, prior
// preservation), Start / Pause / Step / Reset, a progress bar with the step time, and the plots.
import type { TrainSettings, TrainState } from '../protocol.js';
import { TrainCharts } from './charts.js';
import type { WorkerClient } from './client.js';
import { button, el, guarded, input, numberOf, status } from './dom.js';

export class TrainPanel {
  readonly charts = new TrainCharts();
  state: TrainState = 'idle';
  tokens: string[] = [];

  constructor(
    private readonly client: WorkerClient,
    private readonly hasScene: () => boolean,
  ) {
    this.charts.reset();
    button('train-start').onclick = guarded(() => (this.state === 'paused' ? client.send({ type: 'resume' }) : this.start(false)));
    button('train-pause').onclick = () => client.send({ type: 'pause' });
    button('train-step').onclick = guarded(() => (this.state === 'idle' || this.state === 'done' ? this.start(true) : client.send({ type: 'step' })));
    button('train-reset').onclick = () => client.send({ type: 'reset' });
    client.on('state', (r) => {
      this.state = r.state;
      this.tokens = r.tokens;
      const p = el<HTMLProgressElement>('train-progress');
      p.max = Math.max(1, r.total);
      p.value = r.step;
      button('train-start').textContent = r.state === 'paused' ? 'Resume' : 'Start';
      button('train-start').disabled = r.state === 'running' || r.state === 'preparing';
      button('train-pause').disabled = r.state !== 'running';
      button('train-step').disabled = r.state === 'running' || r.state === 'preparing';
      if (r.state === 'idle') {
        this.charts.reset();
        el('train-info').textContent = '';
      }
      status(r.state === 'preparing' ? 'preparing the run (class images for prior preservation)…' : `training ${r.state}, step ${r.step} of ${r.total}`);
    });
    client.on('step', (r) => {
      this.charts.addStep(r.line);
      const l = r.line;
      el('train-info').textContent = `step ${l.step}/${r.total} (phase ${l.phase}) · loss ${l.loss.toFixed(4)} · attention ${l.attn_loss?.toFixed(4) ?? '-'} · ${r.ms.toFixed(0)} ms/step`;
    });
    client.on('attention', (r) => this.charts.addProbe(r.step, r.layers[0]?.iou ?? []));
  }

  settings(): TrainSettings {
    return {
      phase1_train_steps: numberOf('t-phase1', 'phase-1 steps', { integer: true, min: 0 }),
      phase2_train_steps: numberOf('t-phase2', 'phase-2 steps', { integer: true, min: 0 }),
      lambda_attention: numberOf('t-lambda', 'lambda attention', { min: 0 }),
      initial_learning_rate: numberOf('t-lr1', 'phase-1 learning rate', { min: 0 }),
      learning_rate: numberOf('t-lr2', 'phase-2 learning rate', { min: 0 }),
      prior_preservation: input('t-prior').checked,
      num_class_images: numberOf('t-class', 'class images', { integer: true, min: 1 }),
      seed: numberOf('t-seed', 'training seed', { integer: true }),
    };
  }

  private start(paused: boolean): void {
    if (!this.hasScene()) throw new Error('make a scene first (panel 1)');
    const settings = this.settings();
    if (settings.phase1_train_steps + settings.phase2_train_steps < 1) throw new Error('give at least one training step');
    this.charts.reset();
    // a finished run is replaced: the worker starts afresh after a reset
    if (this.state === 'done') this.client.send({ type: 'reset' });
    this.client.send({ type: 'train', settings, paused });
  }
}
