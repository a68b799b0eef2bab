// Training checkpoints that resume exactly: the model (pipeline layout, tokens included), the
// optimizer's moments and steps, the LR schedule, the random generator's state, the phase-1 copy
// of the embedding table, and the step. The folder handling (a temporary folder renamed into
// place, stale temporaries, pruning, `latest` falling back past a damaged checkpoint) is
// checkpoint_folder.ts's, shared with `bas pretrain`.
// Each function takes the Files the run's folder is in (its output sink's), the platform's by default.
import type { GeneratorState, Tensor } from '../../core/index.js';
import { read_json_object, to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import type { AdamW } from '../../nn/optim/adamw.js';
import type { LRScheduler, LRSchedulerState } from '../../nn/optim/lr_schedule.js';
import { adamw_state_from_safetensors, adamw_state_to_safetensors } from '../../nn/optim/state_io.js';
import type { AdamWStateDict } from '../../nn/optim/adamw.js';
import { load_file, load_file_with_metadata, save_file } from '../../nn/safetensors.js';
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import { InputError } from '../errors.js';
import { loadModel, saveModel, type BasModel } from '../model.js';
import { checkpointInputError, openLatest, writeCheckpointFolder } from './checkpoint_folder.js';

export interface TrainingState {
  format: 'bas-ts-checkpoint-1';
  /** Optimizer steps completed. */
  global_step: number;
  generator: GeneratorState;
  lr_scheduler: LRSchedulerState;
  placeholder_tokens: string[];
  placeholder_ids: number[];
}

const FILES = { model: 'model', optimizer: 'optimizer.safetensors', embeds: 'orig_embeds.safetensors', state: 'training_state.json' } as const;

/** The file whose presence makes a checkpoint-N folder a complete `bas train` checkpoint. */
export const STATE_FILE = FILES.state;

export function saveCheckpoint(dir: string, model: BasModel, optimizer: AdamW, scheduler: LRScheduler, origEmbeds: Tensor, state: Omit<TrainingState, 'format' | 'lr_scheduler'>, fs: Files = files()): void {
  writeCheckpointFolder(
    dir,
    (tmp) => {
      const join = (name: string): string => fs.join(tmp, name);
      saveModel(join(FILES.model), model, fs);
      const opt = adamw_state_to_safetensors(optimizer.state_dict());
      save_file(opt.tensors, join(FILES.optimizer), opt.metadata, fs);
      save_file({ weight: origEmbeds }, join(FILES.embeds), undefined, fs);
      const full: TrainingState = { format: 'bas-ts-checkpoint-1', ...state, lr_scheduler: scheduler.state_dict() };
      write_file_atomic(join(FILES.state), to_json_text(full), fs);
    },
    fs,
  );
}

export interface LoadedCheckpoint {
  model: BasModel;
  state: TrainingState;
  origEmbeds: Tensor;
  restoreOptimizer(optimizer: AdamW, scheduler: LRScheduler): void;
}

export function loadCheckpoint(dir: string, fs: Files = files()): LoadedCheckpoint {
  let model: BasModel;
  let state: TrainingState;
  let embeds: Tensor | undefined;
  let moments: AdamWStateDict;
  const join = (name: string): string => fs.join(dir, name);
  const optPath = join(FILES.optimizer);
  try {
    state = read_json_object(join(FILES.state), 'training state', fs) as unknown as TrainingState;
    if (state.format !== 'bas-ts-checkpoint-1') throw new InputError(`${join(FILES.state)}: not a bas-ts checkpoint`);
    model = loadModel(join(FILES.model), fs);
    embeds = load_file(join(FILES.embeds), fs)['weight'];
    // read now, not at restore: a damaged file must be found while `latest` can still fall back
    moments = adamw_state_from_safetensors(load_file_with_metadata(optPath, fs), optPath);
  } catch (e) {
    throw checkpointInputError(dir, e);
  }
  if (!embeds) throw new InputError(`${join(FILES.embeds)}: no "weight" tensor`);
  const table = model.text_encoder.get_input_embeddings().weight;
  if (embeds.shape.join() !== table.shape.join()) {
    throw new InputError(`${join(FILES.embeds)}: shape [${embeds.shape.join(', ')}] does not match the model's token table [${table.shape.join(', ')}]`);
  }
  const saved = state;
  return {
    model,
    state,
    origEmbeds: embeds,
    restoreOptimizer(optimizer, scheduler) {
      try {
        optimizer.load_state_dict(moments);
        scheduler.load_state_dict(saved.lr_scheduler);
      } catch (e) {
        throw checkpointInputError(dir, e);
      }
    },
  };
}

/** The checkpoint to resume: `spec`, or for `latest` the newest one that loads (checkpoint_folder.ts's openLatest). */
export function openCheckpoint(spec: string, outputDir: string, notice: (msg: string) => void, fs: Files = files()): { dir: string; checkpoint: LoadedCheckpoint } {
  return openLatest(spec, outputDir, STATE_FILE, (dir) => loadCheckpoint(dir, fs), notice, fs);
}
