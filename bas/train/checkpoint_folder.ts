// The checkpoint-N folders of a run, whatever they hold (`bas train`'s and `bas pretrain`'s alike):
// a checkpoint is built in a temporary sibling and renamed into place, so it is complete exactly
// when `checkpoint-N` exists with its state file; the temporaries a killed run left are removed
// when the next run starts; the oldest are pruned past a limit; and `latest` falls back past a
// damaged checkpoint to the newest one that loads. Each takes the Files the run's folder is in.
import { temp_sibling } from '../../nn/fs_atomic.js';
import type { Files } from '../../platform/files.js';
import { files, getPlatform } from '../../platform/platform.js';
import { InputError } from '../errors.js';
import { OutputWriteError } from './write_errors.js';

export function checkpointDir(outputDir: string, step: number, fs: Files = files()): string {
  return fs.join(outputDir, `checkpoint-${step}`);
}

/**
 * Writes a checkpoint folder: `fill(tmp)` writes the contents into a temporary sibling, which is
 * renamed to `dir` once whole. On any failure (a full disk) the temporary folder is removed and
 * the checkpoints already in place are left as they were.
 */
export function writeCheckpointFolder(dir: string, fill: (tmp: string) => void, fs: Files = files()): void {
  const tmp = temp_sibling(dir, fs);
  try {
    fs.mkdirp(tmp);
    fill(tmp);
    fs.remove(dir);
    fs.rename(tmp, dir);
  } catch (e) {
    fs.remove(tmp);
    throw OutputWriteError.wrap(e, `checkpoint ${dir}`);
  }
}

/** Steps of the complete checkpoint-N folders (those holding `stateFile`), ascending. */
export function listCheckpoints(outputDir: string, stateFile: string, fs: Files = files()): number[] {
  if (!fs.exists(outputDir)) return [];
  return fs
    .listDir(outputDir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.exists(fs.join(outputDir, m[0], stateFile)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Deletes the oldest complete checkpoints beyond `limit` (undefined: keeps all). */
export function pruneCheckpoints(outputDir: string, limit: number | undefined, stateFile: string, fs: Files = files()): void {
  if (limit === undefined) return;
  const steps = listCheckpoints(outputDir, stateFile, fs);
  for (const s of steps.slice(0, Math.max(0, steps.length - limit))) fs.remove(checkpointDir(outputDir, s, fs));
}

/** `latest` -> the newest complete checkpoint-N under outputDir; a path -> that folder, if it holds `stateFile`. */
export function resolveCheckpoint(spec: string, outputDir: string, stateFile: string, fs: Files = files()): string {
  if (spec !== 'latest') {
    if (!fs.exists(fs.join(spec, stateFile))) throw new InputError((n) => `${n('resume_from_checkpoint')}: ${spec} is not a checkpoint (no ${stateFile})`);
    return spec;
  }
  const steps = listCheckpoints(outputDir, stateFile, fs);
  if (steps.length === 0) throw new InputError((n) => `${n('resume_from_checkpoint')} latest: no checkpoint-N folder in ${outputDir}`);
  return checkpointDir(outputDir, steps[steps.length - 1]!, fs);
}

/**
 * Whether `--resume_from_checkpoint latest` (`spec`) should start a new run instead: true, with a
 * notice, when `outputDir` holds no complete checkpoint and no finished model (`finishedModel`, its
 * model_index.json): a run killed before its first checkpoint, or a folder not made yet. So one
 * command line both starts a run and resumes it after a kill, as diffusers' scripts do ("Checkpoint
 * 'latest' does not exist. Starting a new training run.").
 */
export function freshStartForLatest(spec: string | undefined, outputDir: string, stateFile: string, finishedModel: string, notice: (msg: string) => void, fs: Files = files()): boolean {
  if (spec !== 'latest' || listCheckpoints(outputDir, stateFile, fs).length > 0) return false;
  if (fs.exists(fs.join(finishedModel, 'model_index.json'))) return false;
  notice(`note: no complete checkpoint in ${outputDir} yet: starting from step 0`);
  return true;
}

/** A damaged or mismatched checkpoint is bad input: one line naming the checkpoint and the cause. */
export function checkpointInputError(dir: string, e: unknown): InputError {
  if (e instanceof InputError) return e;
  return new InputError(`checkpoint ${dir} cannot be resumed: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * The checkpoint to resume: `spec` itself, or for `latest` the newest checkpoint-N that `load`
 * reads without an InputError. A newer one that does not (a damaged file) is passed over with a
 * one-line notice; when none loads, the newest one's error is thrown. `load` reads everything it
 * will need, so damage is found while there is still something to fall back to.
 */
export function openLatest<T>(spec: string, outputDir: string, stateFile: string, load: (dir: string) => T, notice: (msg: string) => void, fs: Files = files()): { dir: string; checkpoint: T } {
  const newest = resolveCheckpoint(spec, outputDir, stateFile, fs);
  if (spec !== 'latest') return { dir: newest, checkpoint: load(newest) };
  const failed: { dir: string; error: InputError }[] = [];
  for (const step of listCheckpoints(outputDir, stateFile, fs).reverse()) {
    const dir = checkpointDir(outputDir, step, fs);
    try {
      const checkpoint = load(dir);
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

/**
 * `e` (a failed write of `what`) as one line that also names the checkpoint a resume would start
 * from; errors that are not file-system failures come back unchanged.
 */
export function writeFailure(e: unknown, what: string, outputDir: string, stateFile: string, fs: Files = files()): unknown {
  const w = OutputWriteError.wrap(e, what);
  if (!(w instanceof OutputWriteError)) return w;
  const steps = listCheckpoints(outputDir, stateFile, fs);
  const last = steps[steps.length - 1];
  return w.withNote(last === undefined ? 'no checkpoint had been written yet' : `the latest complete checkpoint, ${checkpointDir(outputDir, last, fs)}, is kept: resume from it once there is room`);
}

/**
 * A temporary name (temp_sibling's and Files.writeFileAtomic's): `<name>.tmp-<id>`, the id as the
 * platforms' randomId() make them (Node: `<pid>-<hex>`; memory and browser: `m<n>`), so a user's
 * own `notes.tmp-old` is never taken for one.
 */
const TEMP_NAME = /^(.+)\.tmp-(\d+-[0-9a-f]+|m\d+)$/;

/** Entries of `dir` that are temporaries of `base` (any name when undefined) whose writer no longer runs. */
function staleTemps(dir: string, base: string | undefined, fs: Files): string[] {
  if (!fs.exists(dir)) return [];
  return fs.listDir(dir).filter((name) => {
    const m = TEMP_NAME.exec(name);
    return m !== null && (base === undefined || m[1] === base) && !getPlatform().otherWriterRuns(m[2]!);
  });
}

/**
 * Removes what a killed or crashed run left half-written, with a one-line notice: the temporary
 * checkpoint folders and files in `outputDir`, and the staging folder of its final model beside
 * it (`<output_dir>.tmp-<id>`, save_pretrained's). One whose writer (the pid in its name) still
 * runs is another live run's, and kept.
 */
export function removeStaleTemps(outputDir: string, notice: (msg: string) => void, fs: Files = files()): void {
  const parent = fs.dirname(fs.resolve(outputDir));
  const inside = staleTemps(outputDir, undefined, fs);
  const beside = staleTemps(parent, fs.basename(fs.resolve(outputDir)), fs);
  if (inside.length + beside.length === 0) return;
  for (const name of inside) fs.remove(fs.join(outputDir, name));
  for (const name of beside) fs.remove(fs.join(parent, name));
  const names = [...inside, ...beside.map((n) => `../${n}`)];
  notice(`note: removed ${names.length} unfinished temporary file(s) or folder(s) an interrupted run left in ${outputDir}: ${names.join(', ')}`);
}
