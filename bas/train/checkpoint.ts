// Training checkpoints that resume exactly: the model (pipeline layout, tokens included), the
// optimizer's moments and steps, the LR schedule, the random generator's state, the phase-1 copy
// of the embedding table, and the step. A checkpoint is built in a temporary folder and renamed
// into place, so an interrupted save never leaves a checkpoint that looks complete; the temporary
// folders a killed run left behind are removed when the next run starts (removeStaleTemps), and
// `latest` falls back past a damaged checkpoint to the newest one that loads (openCheckpoint).
// Each function takes the Files the run's folder is in (its output sink's), the platform's by default.
import type { GeneratorState, Tensor } from '../../core/index.js';
import { read_json_object, temp_sibling, to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import type { AdamW } from '../../nn/optim/adamw.js';
import type { LRScheduler, LRSchedulerState } from '../../nn/optim/lr_schedule.js';
import { adamw_state_from_safetensors, adamw_state_to_safetensors } from '../../nn/optim/state_io.js';
import type { AdamWStateDict } from '../../nn/optim/adamw.js';
import { load_file, load_file_with_metadata, save_file } from '../../nn/safetensors.js';
import type { Files } from '../../platform/files.js';
import { files, getPlatform } from '../../platform/platform.js';
import { InputError } from '../errors.js';
import { loadModel, saveModel, type BasModel } from '../model.js';

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

export function checkpointDir(outputDir: string, step: number, fs: Files = files()): string {
  return fs.join(outputDir, `checkpoint-${step}`);
}

export function saveCheckpoint(dir: string, model: BasModel, optimizer: AdamW, scheduler: LRScheduler, origEmbeds: Tensor, state: Omit<TrainingState, 'format' | 'lr_scheduler'>, fs: Files = files()): void {
  const tmp = temp_sibling(dir, fs);
  const join = (name: string): string => fs.join(tmp, name);
  fs.mkdirp(tmp);
  try {
    saveModel(join(FILES.model), model, fs);
    const opt = adamw_state_to_safetensors(optimizer.state_dict());
    save_file(opt.tensors, join(FILES.optimizer), opt.metadata, fs);
    save_file({ weight: origEmbeds }, join(FILES.embeds), undefined, fs);
    const full: TrainingState = { format: 'bas-ts-checkpoint-1', ...state, lr_scheduler: scheduler.state_dict() };
    write_file_atomic(join(FILES.state), to_json_text(full), fs);
    fs.remove(dir);
    fs.rename(tmp, dir);
  } catch (e) {
    fs.remove(tmp);
    throw e;
  }
}

export interface LoadedCheckpoint {
  model: BasModel;
  state: TrainingState;
  origEmbeds: Tensor;
  restoreOptimizer(optimizer: AdamW, scheduler: LRScheduler): void;
}

/** `latest` -> the highest checkpoint-N under outputDir; a path -> that folder. */
export function resolveCheckpoint(spec: string, outputDir: string, fs: Files = files()): string {
  if (spec !== 'latest') {
    if (!fs.exists(fs.join(spec, FILES.state))) throw new InputError((n) => `${n('resume_from_checkpoint')}: ${spec} is not a checkpoint (no ${FILES.state})`);
    return spec;
  }
  const steps = listCheckpoints(outputDir, FILES.state, fs);
  if (steps.length === 0) throw new InputError((n) => `${n('resume_from_checkpoint')} latest: no checkpoint-N folder in ${outputDir}`);
  return checkpointDir(outputDir, steps[steps.length - 1]!, fs);
}

/** Steps of the complete checkpoint-N folders (those holding `stateFile`), ascending. */
export function listCheckpoints(outputDir: string, stateFile: string = FILES.state, fs: Files = files()): number[] {
  if (!fs.exists(outputDir)) return [];
  return fs
    .listDir(outputDir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.exists(fs.join(outputDir, m[0], stateFile)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Deletes the oldest checkpoints beyond `limit`. */
export function pruneCheckpoints(outputDir: string, limit: number | undefined, fs: Files = files()): void {
  if (limit === undefined) return;
  const steps = listCheckpoints(outputDir, FILES.state, fs);
  for (const s of steps.slice(0, Math.max(0, steps.length - limit))) fs.remove(checkpointDir(outputDir, s, fs));
}

/** A damaged or mismatched checkpoint is bad input: one line naming the checkpoint and the cause. */
function asInputError(dir: string, e: unknown): InputError {
  if (e instanceof InputError) return e;
  return new InputError(`checkpoint ${dir} cannot be resumed: ${e instanceof Error ? e.message : String(e)}`);
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
    throw asInputError(dir, e);
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
        throw asInputError(dir, e);
      }
    },
  };
}

/**
 * The checkpoint to resume: `spec` itself, or for `latest` the newest checkpoint-N that loads. A
 * newer one that does not (a damaged file) is passed over with a one-line notice; when none loads,
 * the newest one's error is thrown.
 */
export function openCheckpoint(spec: string, outputDir: string, notice: (msg: string) => void, fs: Files = files()): { dir: string; checkpoint: LoadedCheckpoint } {
  const newest = resolveCheckpoint(spec, outputDir, fs);
  if (spec !== 'latest') return { dir: newest, checkpoint: loadCheckpoint(newest, fs) };
  const failed: { dir: string; error: InputError }[] = [];
  for (const step of listCheckpoints(outputDir, FILES.state, fs).reverse()) {
    const dir = checkpointDir(outputDir, step, fs);
    try {
      const checkpoint = loadCheckpoint(dir, fs);
      if (failed.length > 0) {
        const skipped = failed.map((f) => f.dir).join(', ');
        notice(`note: ${skipped} cannot be resumed (${failed[0]!.error.message}); falling back to ${dir}, the newest complete checkpoint`);
      }
      return { dir, checkpoint };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      failed.push({ dir, error: e });
    }
  }
  throw failed[0]!.error;
}

/** A temporary checkpoint folder: `checkpoint-N.tmp-<id>` (temp_sibling's names; in Node the id is `<pid>-<random>`). */
const TEMP_CHECKPOINT = /^checkpoint-\d+\.tmp-([\w-]+)$/;

/**
 * Removes the temporary checkpoint folders a killed or crashed run left in `outputDir`, with a
 * one-line notice; one whose writer (the pid in its name) still runs is another live run's, and kept.
 */
export function removeStaleTemps(outputDir: string, notice: (msg: string) => void, fs: Files = files()): void {
  if (!fs.exists(outputDir)) return;
  const stale = fs.listDir(outputDir).filter((name) => {
    const m = TEMP_CHECKPOINT.exec(name);
    return m !== null && !getPlatform().otherWriterRuns(m[1]!);
  });
  if (stale.length === 0) return;
  for (const name of stale) fs.remove(fs.join(outputDir, name));
  notice(`note: removed ${stale.length} incomplete checkpoint folder(s) an interrupted run left in ${outputDir}: ${stale.join(', ')}`);
}
