// Checks of the paths a command will write, made before any work so that a bad one fails at once
// with one line naming the flag (and nothing written): an output folder that is a file or lies
// under one, a folder holding another finished run, an output image of a type the writer cannot
// produce, an image path that is a folder.
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { InputError } from '../bas/errors.js';
import { imageKind } from '../bas/io/image.js';
import { STATE_FILE } from '../bas/train/checkpoint.js';
import { listCheckpoints } from '../bas/train/checkpoint_folder.js';

/** `path` itself when it exists, else its nearest existing ancestor (the root always exists). */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** A folder the command may create or write into: not a file, and not under a file. */
export function checkOutputDir(flag: string, path: string): void {
  const at = existingAncestor(path);
  if (statSync(at).isDirectory()) return;
  if (at === resolve(path)) throw new InputError(`${flag} ${path} is a file, not a folder`);
  throw new InputError(`${flag} ${path}: ${at} is a file, not a folder`);
}

/**
 * An image file the command will write: .png, .jpg or .jpeg, not an existing folder, in a folder
 * that exists or can be made. Returns the folder that will have to be created, or null.
 */
export function checkOutputImage(flag: string, path: string): string | null {
  try {
    imageKind(path);
  } catch {
    throw new InputError(`${flag} ${path}: unsupported image type "${extname(path) || '(none)'}" (want .png, .jpg or .jpeg)`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`${flag} ${path} is a folder, not an image file`);
  const dir = dirname(path);
  const at = existingAncestor(dir);
  if (!statSync(at).isDirectory()) throw new InputError(`${flag} ${path}: ${at} is a file, not a folder`);
  return existsSync(dir) ? null : dir;
}

/** Files a finished `bas train` leaves in its output folder. */
const FINISHED_RUN_FILES = ['model_index.json', 'metrics.jsonl'] as const;

/**
 * A fresh run must not write over a finished one (its metrics would be truncated and its model
 * replaced): an output folder holding one is refused, naming what it holds. (One holding
 * checkpoints is the trainer's to refuse: it names the resume flag.)
 */
export function checkNotAFinishedRun(flag: string, path: string): void {
  if (listCheckpoints(path, STATE_FILE).length > 0) return;
  const found = FINISHED_RUN_FILES.filter((f) => existsSync(join(path, f)));
  if (found.length > 0) throw new InputError(`${flag} ${path} already holds another run (${found.join(', ')}); choose another ${flag} or remove that one`);
}
