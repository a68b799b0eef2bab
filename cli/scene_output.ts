// What `bas make-scene` may write over: an absent or empty folder, or with --overwrite one that
// holds an earlier scene and nothing else. --overwrite replaces the whole folder, so a folder with
// anything else in it (a typo for a home or project folder) is refused, naming what it holds.
import { existsSync, readdirSync } from 'node:fs';
import { InputError } from '../bas/errors.js';

/** The entries a scene folder holds (writeSceneFolder's). */
const SCENE_ENTRY = /^(img\.png|mask\d+\.png|scene\.json)$/;

/** Lists `names`, at most `most` of them, then how many more. */
function some(names: readonly string[], most = 5): string {
  return names.length <= most ? names.join(', ') : `${names.slice(0, most).join(', ')} and ${names.length - most} more`;
}

export function checkSceneOutputDir(dir: string, overwrite: boolean): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir).sort();
  if (entries.length === 0) return;
  const foreign = entries.filter((e) => !SCENE_ENTRY.test(e));
  if (!overwrite && foreign.length === 0) throw new InputError(`--output_dir ${dir} already holds a scene (${some(entries)}); pass --overwrite to replace it, or choose another --output_dir`);
  if (!overwrite) throw new InputError(`--output_dir ${dir} is not empty (it holds ${some(entries)}); choose an empty or new --output_dir`);
  if (foreign.length > 0) {
    throw new InputError(`--output_dir ${dir} holds more than a scene (${some(foreign)}): --overwrite replaces only a folder holding a scene and nothing else`);
  }
}
