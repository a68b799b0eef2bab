// The messages between the playground page and its Web Worker: requests the page posts, replies
// the worker posts back. Plain data only (typed arrays travel by structured clone), so the same
// session runs in a worker, or in-process in a Node test.
import type { MetricsLine } from '../bas/train/trainer.js';
import type { ParamCheckRow } from '../bas/train/loss_gradcheck.js';

/** Kernel backends the page offers; `auto`: WebGL2, then WebGL, then webasm, then cpu. */
export const BACKEND_CHOICES = ['auto', 'gpujs-webgl2', 'gpujs-webgl', 'gpujs-webasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** An image with one mask per concept, all `width` x `height`; rgb is H*W*3, each mask H*W in 0..255. */
export interface SceneData {
  width: number;
  height: number;
  rgb: Uint8Array;
  masks: Uint8Array[];
  caption: string;
}

/** The training knobs the page shows; everything else is the project's small-model recipe (train_settings.ts). */
export interface TrainSettings {
  phase1_train_steps: number;
  phase2_train_steps: number;
  lambda_attention: number;
  initial_learning_rate: number;
  learning_rate: number;
  prior_preservation: boolean;
  num_class_images: number;
  seed: number;
}

/** One selectable view of the attention store: a single layer, or the loss's average at one resolution. */
export interface AttentionLayer {
  label: string;
  res: number;
  /** Per placeholder token: res*res values, divided by their max (as the attention loss does). */
  maps: Float32Array[];
  /** Per token: IoU of the map (at half its max) with the token's mask, as the trainer logs it. */
  iou: number[];
}

export interface GenerateRequest {
  prompt: string;
  seed: number;
  steps: number;
  guidance: number;
}

export type Request =
  /** threads: let the kernels start a second-core worker where the page allows it (cross-origin isolated). */
  | { type: 'init'; backend: BackendChoice; model: string; threads: boolean }
  | { type: 'scene-world'; seed: number; num_objects: number }
  | { type: 'scene-upload'; scene: SceneData }
  | { type: 'train'; settings: TrainSettings; paused: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'reset' }
  /** Live attention after each step (probe at `timestep`), or only when asked. */
  | { type: 'view'; live: boolean; timestep: number }
  | { type: 'probe'; timestep: number }
  | ({ type: 'generate' } & GenerateRequest)
  | { type: 'gradcheck' }
  | { type: 'download' };

export type TrainState = 'idle' | 'preparing' | 'running' | 'paused' | 'done';

export type Reply =
  | { type: 'ready'; backend: string; model: string; resolution: number; threads: boolean }
  | { type: 'scene'; scene: SceneData }
  | { type: 'log'; text: string }
  | { type: 'state'; state: TrainState; step: number; total: number; tokens: string[] }
  | { type: 'step'; line: MetricsLine; ms: number; total: number }
  | { type: 'attention'; step: number; timestep: number; tokens: string[]; layers: AttentionLayer[] }
  /** One DDIM step of a generation: x_t and the predicted x_0 (rgb bytes), and per-token maps of this step. */
  | { type: 'generate-step'; step: number; steps: number; timestep: number; size: number; image: Uint8Array; x0: Uint8Array; tokens: string[]; res: number; maps: Float32Array[] }
  | { type: 'generated'; prompt: string; ms: number }
  | { type: 'gradcheck'; rows: ParamCheckRow[]; ok: boolean; table: string; ms: number }
  | { type: 'zip'; name: string; bytes: Uint8Array }
  | { type: 'error'; request: Request['type']; message: string };

export type Post = (reply: Reply) => void;
