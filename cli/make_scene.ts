// bas make-scene: one scene of the synthetic world as an instance folder (img.png, mask0.png ...,
// scene.json), ready for `bas train`.
import { Generator } from '../core/index.js';
import { MAX_OBJECTS, MIN_OBJECTS, sampleScene, writeSceneFolder } from '../lab/world/index.js';
import { InputError } from '../bas/errors.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkOutputDir } from './checks.js';

const FLAGS = {
  output_dir: { type: 'string', help: 'folder to write (must be empty or absent)', required: true },
  seed: { type: 'int', help: 'scene seed', default: 0 },
  num_objects: { type: 'int', help: `objects in the scene (${MIN_OBJECTS}..${MAX_OBJECTS})`, default: 3 },
  resolution: { type: 'int', help: 'image side in pixels', default: 32 },
  overwrite: { type: 'boolean', help: 'replace a non-empty output folder' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('make-scene', 'write one synthetic scene (image, exact masks, caption)', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'make-scene');
  if (f.num_objects < MIN_OBJECTS || f.num_objects > MAX_OBJECTS) throw new InputError(`--num_objects must be ${MIN_OBJECTS}..${MAX_OBJECTS}, got ${f.num_objects}`);
  if (f.resolution < 16) throw new InputError(`--resolution must be at least 16, got ${f.resolution}`);
  checkOutputDir('--output_dir', f.output_dir);
  const scene = sampleScene(new Generator(f.seed), { numObjects: f.num_objects, resolution: f.resolution });
  try {
    writeSceneFolder(f.output_dir, scene, f.resolution, { overwrite: f.overwrite });
  } catch (e) {
    throw new InputError(e instanceof Error ? e.message : String(e));
  }
  console.log(`wrote ${f.output_dir}: "${scene.caption}" (${scene.objects.length} masks)`);
  return 0;
}
