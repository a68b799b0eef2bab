// The worker's side of the playground: one session answers the page's requests (protocol.ts) on
// in-memory files. It loads the model folder it is given, makes or takes the scene, runs the
// library's BreakASceneTrainer unchanged (pause, step and reset through the platform's nextTurn,
// gate.ts), probes the live model's attention after each step, samples, runs the loss's gradient
// check and zips the model. Requests are handled one at a time, in order; a training run goes on
// between them.
import { loadInstanceFolder, type InstanceFolder } from '../../bas/io/instance.js';
import { loadModel, saveModel, type BasModel } from '../../bas/model.js';
import { checkLossGradient } from '../../bas/train/gradcheck_params.js';
import { gradcheckSetting } from '../../bas/train/gradcheck_setup.js';
import { formatGradcheckTable } from '../../bas/train/loss_gradcheck.js';
import { BreakASceneTrainer, type LiveRun } from '../../bas/train/trainer.js';
import { MemoryFiles, setPlatform, SINGLE_THREAD, type Platform } from '../../platform/index.js';
import type { BackendChoice, Post, Request, SceneData, TrainSettings, TrainState } from '../protocol.js';
import { chooseBackend } from './backend.js';
import { RunCancelled, StepGate } from './gate.js';
import { generateSteps } from './generate.js';
import { probeAttention } from './probe.js';
import { checkScene, worldScene, writeInstanceFolder } from './scene.js';
import { playgroundTrainConfig } from './train_settings.js';
import { zipStore } from './zip.js';

/** More concepts than this would not fit the prompt of the base model's tokenizer (the trainer says so too). */
const MAX_CONCEPTS = 8;
/** The folder name inside a downloaded zip. */
const ZIP_FOLDER = 'bas-playground-model';

export interface SessionOptions {
  /** Every file of the model folder `name`, by path relative to the folder ('unet/config.json'). */
  fetchModel(name: string): Promise<Record<string, Uint8Array>>;
  /** The platform to run on, over the session's files (browserPlatform in the worker, memoryPlatform in a test). */
  platform(files: MemoryFiles, threads: boolean): Platform;
  /** Milliseconds, for step times. */
  now?: () => number;
}

interface Run {
  id: number;
  gate: StepGate;
  total: number;
  step: number;
  tokens: string[];
  live: LiveRun | null;
  instance: InstanceFolder;
  /** Settles when train() has returned or thrown. */
  done: Promise<void>;
  finished: boolean;
}

export class PlaygroundSession {
  readonly files = new MemoryFiles();
  private readonly now: () => number;
  private modelDir: string | null = null;
  private resolution = 32;
  private base: BasModel | null = null;
  private scene: SceneData | null = null;
  private run: Run | null = null;
  private runs = 0;
  private view = { live: true, timestep: 200 };
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: SessionOptions,
    private readonly post: Post,
  ) {
    this.now = opts.now ?? (() => Date.now());
  }

  /** Queues `req` behind the requests before it; errors come back as `error` replies naming the request. */
  handle(req: Request): Promise<void> {
    this.queue = this.queue.then(() =>
      this.dispatch(req).catch((e: unknown) => this.post({ type: 'error', request: req.type, message: e instanceof Error ? e.message : String(e) })),
    );
    return this.queue;
  }

  private async dispatch(req: Request): Promise<void> {
    switch (req.type) {
      case 'init':
        return this.init(req.model, req.backend, req.threads);
      case 'scene-world':
        this.scene = worldScene(req.seed, req.num_objects);
        return this.post({ type: 'scene', scene: this.scene });
      case 'scene-upload':
        checkScene(req.scene, MAX_CONCEPTS);
        this.scene = req.scene;
        return this.post({ type: 'scene', scene: this.scene });
      case 'train':
        return this.train(req.settings, req.paused);
      case 'pause':
        this.activeRun().gate.pause();
        return this.postState();
      case 'resume':
        this.activeRun().gate.resume();
        return this.postState('running');
      case 'step':
        this.activeRun().gate.step();
        return this.postState('running');
      case 'reset':
        return this.reset();
      case 'view':
        this.view = { live: req.live, timestep: checkTimestep(req.timestep) };
        return;
      case 'probe':
        return this.probe(checkTimestep(req.timestep));
      case 'generate':
        return this.generate(req);
      case 'gradcheck':
        return this.gradcheck();
      case 'download':
        return this.download();
    }
  }

  private async init(name: string, backend: BackendChoice, threads: boolean): Promise<void> {
    const platform = this.opts.platform(this.files, threads);
    // the trainer awaits nextTurn between steps: there the current run's gate may hold it
    setPlatform({ ...platform, nextTurn: () => (this.run && !this.run.finished ? this.run.gate.wait() : platform.nextTurn()) });
    const chosen = chooseBackend(backend);
    for (const why of chosen.skipped) this.post({ type: 'log', text: `backend ${why}` });
    const dir = `/models/${name}`;
    if (!this.files.exists(`${dir}/model_index.json`)) {
      for (const [rel, data] of Object.entries(await this.opts.fetchModel(name))) this.files.add(`${dir}/${rel}`, data);
    }
    this.base = loadModel(dir);
    this.modelDir = dir;
    this.resolution = this.base.unet.config.sample_size ?? 32;
    this.post({ type: 'ready', backend: chosen.name, model: name, resolution: this.resolution, threads: platform.threads !== SINGLE_THREAD });
  }

  private activeRun(): Run {
    if (!this.run || this.run.finished) throw new Error('no training run is going: press Start or Step first');
    return this.run;
  }

  private postState(force?: TrainState): void {
    const r = this.run;
    let state: TrainState = 'idle';
    if (r) state = r.finished ? 'done' : r.live === null ? 'preparing' : r.gate.isPaused ? 'paused' : 'running';
    if (force && r && !r.finished && r.live !== null) state = force;
    this.post({ type: 'state', state, step: r?.step ?? 0, total: r?.total ?? 0, tokens: r?.tokens ?? [] });
  }

  private async train(settings: TrainSettings, paused: boolean): Promise<void> {
    if (this.modelDir === null) throw new Error('the model is not loaded yet');
    if (this.scene === null) throw new Error('make a scene first (generate one or upload an image and masks)');
    if (this.run && !this.run.finished) throw new Error('a run is going: press Reset first');
    const id = ++this.runs;
    const sceneDir = `/scenes/scene-${id}`;
    writeInstanceFolder(sceneDir, this.scene);
    const n = this.scene.masks.length;
    // class images depend only on the base model and the seed: kept across runs, made once
    const classes = `${this.modelDir}-class-images/seed-${settings.seed}`;
    const config = playgroundTrainConfig(settings, { model: this.modelDir, scene: sceneDir, output: `/runs/run-${id}`, classes }, n);
    const instance = loadInstanceFolder(sceneDir, { resolution: this.resolution, numOfAssets: n });
    const gate = new StepGate(paused);
    const run: Run = { id, gate, total: config.phase1_train_steps + config.phase2_train_steps, step: 0, tokens: [], live: null, instance, done: Promise.resolve(), finished: false };
    let last = this.now();
    const trainer = new BreakASceneTrainer(config, {
      log: (text) => this.post({ type: 'log', text }),
      onStep: (line, live) => {
        const ms = this.now() - last;
        run.live = live;
        run.step = line.step;
        run.tokens = [...live.placeholder_tokens];
        this.post({ type: 'step', line, ms, total: run.total });
        if (this.view.live) {
          try {
            this.postProbe(run, this.view.timestep);
          } catch (e) {
            this.post({ type: 'error', request: 'probe', message: e instanceof Error ? e.message : String(e) });
          }
        }
        this.postState();
        last = this.now();
      },
    });
    this.run = run;
    this.postState();
    // started on the next turn, so this request's reply goes out before class images and step 1
    run.done = new Promise<void>((r) => setTimeout(r, 0))
      .then(() => trainer.train())
      .then(
        () => undefined,
        (e: unknown) => {
          if (!(e instanceof RunCancelled)) this.post({ type: 'error', request: 'train', message: e instanceof Error ? e.message : String(e) });
        },
      )
      .finally(() => {
        run.finished = true;
        if (this.run === run) this.postState();
      });
  }

  private async reset(): Promise<void> {
    const r = this.run;
    if (r && !r.finished) {
      r.gate.cancel();
      await r.done;
    }
    this.run = null;
    // a run's outputs live only in memory: drop them with the run
    if (r) for (const dir of [`/runs/run-${r.id}`, `/scenes/scene-${r.id}`]) this.files.remove(dir);
    this.postState();
  }

  private model(): BasModel {
    const live = this.run?.live;
    if (live) return live.model;
    if (this.base === null) throw new Error('the model is not loaded yet');
    return this.base;
  }

  private postProbe(run: Run, timestep: number): void {
    if (!run.live) throw new Error('nothing trained yet: the attention view shows the placeholder tokens once a step has run');
    const layers = probeAttention({ model: run.live.model, tokens: run.tokens, image: run.instance.image, masks: run.instance.masks, timestep });
    this.post({ type: 'attention', step: run.step, timestep, tokens: run.tokens, layers });
  }

  private async probe(timestep: number): Promise<void> {
    if (!this.run) throw new Error('no run: train a step first');
    this.postProbe(this.run, timestep);
  }

  private async generate(req: Request & { type: 'generate' }): Promise<void> {
    const t0 = this.now();
    generateSteps(this.model(), req, (s) => this.post({ type: 'generate-step', steps: req.steps, ...s }));
    this.post({ type: 'generated', prompt: req.prompt, ms: this.now() - t0 });
  }

  private async gradcheck(): Promise<void> {
    const t0 = this.now();
    // `bas gradcheck`'s defaults: the tiny config in float64, seed 0, 3 entries per weight kind
    const { rows, report } = checkLossGradient(gradcheckSetting('tiny', 0), 3, 0);
    this.post({ type: 'gradcheck', rows, ok: report.ok, table: formatGradcheckTable(rows), ms: this.now() - t0 });
  }

  private async download(): Promise<void> {
    if (!this.run?.live) throw new Error('nothing trained yet: train at least one step, then download');
    const dir = `/export/model-${this.run.id}-${this.run.step}`;
    saveModel(dir, this.run.live.model);
    const entries = Object.entries(this.files.snapshot(dir)).map(([path, data]) => ({ name: `${ZIP_FOLDER}/${path.slice(dir.length + 1)}`, data }));
    this.files.remove(dir);
    this.post({ type: 'zip', name: `${ZIP_FOLDER}-step${this.run.step}.zip`, bytes: zipStore(entries) });
  }
}

function checkTimestep(t: number): number {
  if (!(Number.isInteger(t) && t >= 0 && t < 1000)) throw new Error(`timestep must be an integer 0..999, got ${t}`);
  return t;
}
