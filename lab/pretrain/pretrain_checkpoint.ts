// `bas pretrain`'s checkpoints: the model, the optimizer's moments, the EMA shadow weights, the LR
// schedule, the random generator and the flags of the run. The folder handling is bas train's
// (bas/train/checkpoint_folder.ts): written in a temporary folder and renamed into place, stale
// temporaries removed at the next start, and `latest` falling back past a damaged checkpoint.
import { tensor, type GeneratorState, type Tensor } from '../../core/index.js';
import { read_json_object, to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import type { AdamW, AdamWStateDict } from '../../nn/optim/adamw.js';
import type { LRScheduler } from '../../nn/optim/lr_schedule.js';
import { adamw_state_from_safetensors, adamw_state_to_safetensors } from '../../nn/optim/state_io.js';
import { load_file, load_file_with_metadata, save_file } from '../../nn/safetensors.js';
import type { Files } from '../../platform/files.js';
import { InputError } from '../../bas/errors.js';
import { loadModel, saveModel, type BasModel } from '../../bas/model.js';
import { checkpointInputError, openLatest, writeCheckpointFolder } from '../../bas/train/checkpoint_folder.js';
import type { PretrainConfig } from './config.js';
import { EMA } from './ema.js';

/** The file whose presence makes a checkpoint-N folder a complete pretraining checkpoint. */
export const PRETRAIN_STATE_FILE = 'state.json';

export interface PretrainState {
  format: 'bas-ts-pretrain-1';
  global_step: number;
  generator: GeneratorState;
  ema_step: number;
  lr_scheduler: ReturnType<LRScheduler['state_dict']>;
  /** The flags of the run that wrote it (absent in checkpoints from before they were kept). */
  args?: Partial<PretrainConfig>;
}

export function savePretrainCheckpoint(dir: string, model: BasModel, optimizer: AdamW, ema: EMA, state: PretrainState, fs: Files): void {
  writeCheckpointFolder(
    dir,
    (tmp) => {
      saveModel(fs.join(tmp, 'model'), model, fs);
      const opt = adamw_state_to_safetensors(optimizer.state_dict());
      save_file(opt.tensors, fs.join(tmp, 'optimizer.safetensors'), opt.metadata, fs);
      save_file(Object.fromEntries(ema.shadow.map((s, i) => [String(i), tensor(s, { dtype: 'float32' })])), fs.join(tmp, 'ema.safetensors'), undefined, fs);
      write_file_atomic(fs.join(tmp, PRETRAIN_STATE_FILE), to_json_text(state), fs);
    },
    fs,
  );
}

export interface LoadedPretrainCheckpoint {
  model: BasModel;
  state: PretrainState;
  /** Puts the optimizer's moments, the schedule's and the EMA's state of the checkpoint into these. */
  restore(optimizer: AdamW, lr: LRScheduler, ema: EMA): void;
  /** Puts the checkpoint's EMA shadow and step into `ema` alone. */
  restoreEma(ema: EMA): void;
  /** How many tensors the EMA shadow holds (one per trained parameter). */
  ema_tensors: number;
}

/** Reads every file of a pretraining checkpoint (so damage is found while `latest` can fall back); errors name the checkpoint. */
export function loadPretrainCheckpoint(dir: string, fs: Files): LoadedPretrainCheckpoint {
  let model: BasModel;
  let state: PretrainState;
  let moments: AdamWStateDict;
  let shadow: Record<string, Tensor>;
  try {
    state = read_json_object(fs.join(dir, PRETRAIN_STATE_FILE), 'pretraining state', fs) as unknown as PretrainState;
    if (state.format !== 'bas-ts-pretrain-1') throw new InputError(`${fs.join(dir, PRETRAIN_STATE_FILE)}: not a bas-ts pretraining checkpoint`);
    model = loadModel(fs.join(dir, 'model'), fs);
    const optPath = fs.join(dir, 'optimizer.safetensors');
    moments = adamw_state_from_safetensors(load_file_with_metadata(optPath, fs), optPath);
    shadow = load_file(fs.join(dir, 'ema.safetensors'), fs);
  } catch (e) {
    throw checkpointInputError(dir, e);
  }
  const saved = state;
  const loadEma = (ema: EMA): void => {
    const weights = ema.params.map((_, i) => {
      const t = shadow[String(i)];
      if (!t) throw new Error(`ema.safetensors has no tensor "${i}" for parameter ${i} of ${ema.params.length}`);
      return Float32Array.from(t.data);
    });
    ema.load(weights, saved.ema_step);
  };
  const named = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      throw checkpointInputError(dir, e);
    }
  };
  return {
    model,
    state,
    ema_tensors: Object.keys(shadow).length,
    restore(optimizer, lr, ema) {
      named(() => {
        optimizer.load_state_dict(moments);
        lr.load_state_dict(saved.lr_scheduler);
        loadEma(ema);
      });
    },
    restoreEma: (ema) => named(() => loadEma(ema)),
  };
}

/** The checkpoint to resume: `spec`, or for `latest` the newest one that loads (falling back with a notice). */
export function openPretrainCheckpoint(spec: string, outputDir: string, notice: (msg: string) => void, fs: Files): { dir: string; checkpoint: LoadedPretrainCheckpoint } {
  return openLatest(spec, outputDir, PRETRAIN_STATE_FILE, (dir) => loadPretrainCheckpoint(dir, fs), notice, fs);
}

/**
 * The EMA weights of a pretraining checkpoint as a pipeline folder: what the run's end would save
 * (diffusers' `ema_unet.copy_to`), for judging or shipping a run that has not ended. The shadow
 * follows the trained parameters' order: the UNet's, then the text encoder's unless it was frozen,
 * which the shadow's length tells.
 */
export function saveEmaModel(checkpointDir: string, outDir: string, fs: Files): { step: number; ema_step: number } {
  const checkpoint = loadPretrainCheckpoint(checkpointDir, fs);
  const { model, state, ema_tensors } = checkpoint;
  const unet = model.unet.parameters();
  const both = [...unet, ...model.text_encoder.parameters()];
  const params = ema_tensors === unet.length ? unet : ema_tensors === both.length ? both : null;
  if (!params) throw new InputError(`${fs.join(checkpointDir, 'ema.safetensors')}: ${ema_tensors} tensors, neither the UNet's ${unet.length} parameters nor the ${both.length} of the UNet and text encoder`);
  // the run's own way: its EMA restored as on resume, then saved as at the run's end
  const ema = new EMA(params);
  checkpoint.restoreEma(ema);
  ema.withWeights(() => saveModel(outDir, model, fs));
  return { step: state.global_step, ema_step: state.ema_step };
}
