// bas make-scene: one scene of the synthetic world as an instance folder (img.png, mask0.png ...,
// scene.json), ready for `bas train`. Every flag and the output folder are checked before the scene
// is drawn; the folder is written whole or not at all (a temporary sibling renamed into place).
import { Generator } from '../core/index.js';
import { MAX_OBJECTS, MIN_OBJECTS, REFERENCE_RESOLUTION, sampleScene, writeSceneFolder } from '../lab/world/index.js';
import { InputError } from '../bas/errors.js';
import { OutputWriteError } from '../bas/train/write_errors.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkOutputDir } from './checks.js';
import { checkSceneOutputDir } from './scene_output.js';

/**
 * The largest side drawn: the world is drawn for 32 and 64 px models, and drawing grows with the
 * square of the side (1024 px took 5 minutes and 430 MB on a loaded 2-core machine).
 */
export const MAX_SCENE_RESOLUTION = 512;

const FLAGS = {
  output_dir: { type: 'string', help: 'folder to write (must be empty or absent)', required: true },
  seed: { type: 'int', help: 'scene seed', default: 0 },
  num_objects: { type: 'int', help: `objects in the scene (${MIN_OBJECTS}..${MAX_OBJECTS})`, default: 3 },
  resolution: { type: 'int', help: `image side in pixels, a multiple of ${REFERENCE_RESOLUTION} up to ${MAX_SCENE_RESOLUTION}`, default: 32 },
  overwrite: { type: 'boolean', help: 'replace an output folder that holds an earlier scene (and nothing else)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('make-scene', 'write one synthetic scene (image, exact masks, caption)', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'make-scene');
  if (f.num_objects < MIN_OBJECTS || f.num_objects > MAX_OBJECTS) throw new InputError(`--num_objects must be ${MIN_OBJECTS}..${MAX_OBJECTS}, got ${f.num_objects}`);
  if (f.resolution < REFERENCE_RESOLUTION || f.resolution % REFERENCE_RESOLUTION !== 0 || f.resolution > MAX_SCENE_RESOLUTION) {
    throw new InputError(`--resolution must be a multiple of ${REFERENCE_RESOLUTION} from ${REFERENCE_RESOLUTION} to ${MAX_SCENE_RESOLUTION} (the world's shapes are laid out on a ${REFERENCE_RESOLUTION} px grid), got ${f.resolution}`);
  }
  checkOutputDir('--output_dir', f.output_dir);
  checkSceneOutputDir(f.output_dir, f.overwrite === true);
  const scene = sampleScene(new Generator(f.seed), { numObjects: f.num_objects, resolution: f.resolution });
  try {
    writeSceneFolder(f.output_dir, scene, f.resolution, { overwrite: f.overwrite });
  } catch (e) {
    // a full disk or a read-only folder: one line, exit 1 (writeSceneFolder removed its temporary folder)
    const w = OutputWriteError.wrap(e, `the scene folder ${f.output_dir}`);
    if (w instanceof OutputWriteError) throw w;
    throw new InputError(e instanceof Error ? e.message : String(e));
  }
  console.log(`wrote ${f.output_dir}: "${scene.caption}" (${scene.objects.length} masks)`);
  return 0;
}
