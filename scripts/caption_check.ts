// Do the pretraining captions say what the pixels show? For N scenes of the pretraining stream
// (`bas pretrain`'s seed and world), the caption's (colour, shape) pairs against what the world's
// detector finds in the rendered image. A base model that ignores its shape word could be learning
// from captions that disagree with the pixels; this rules that out (or finds the scene that does).
//   npx tsx scripts/caption_check.ts [N=400] [seed=0]
import { COLOUR_WORDS, detect, SHAPE_WORDS, sceneAt } from '../lab/world/index.js';
import { PRETRAIN_DEFAULTS } from '../lab/pretrain/config.js';
import { worldAt } from '../lab/pretrain/pretrainer.js';

const n = Number(process.argv[2] ?? 400);
const seed = Number(process.argv[3] ?? 0);
if (!Number.isInteger(n) || n < 1) throw new Error(`N must be a positive integer, got ${process.argv[2]}`);

/** "a photo of a red circle and an orange star on ..." -> ["red circle", "orange star"], sorted. */
function captionPairs(caption: string): string[] {
  const words = caption.split(/\s+/);
  const pairs: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) {
    if (COLOUR_WORDS.includes(words[i]!) && SHAPE_WORDS.includes(words[i + 1]!)) pairs.push(`${words[i]} ${words[i + 1]}`);
  }
  return pairs.sort();
}

const world = worldAt(PRETRAIN_DEFAULTS, PRETRAIN_DEFAULTS.curriculum_steps);
let agree = 0;
let objects = 0;
for (let i = 0; i < n; i++) {
  const s = sceneAt(seed, i, { resolution: 32, ...world });
  const said = captionPairs(s.caption);
  const seen = detect(s.rgb, 32, 32).map((d) => `${d.colour} ${d.shape}`).sort();
  objects += said.length;
  if (said.length === s.scene.objects.length && said.join('|') === seen.join('|')) agree++;
  else console.log(`scene ${i}: caption "${s.caption}", detector sees [${seen.join(', ')}]`);
}
console.log(`${agree}/${n} scenes (${objects} objects): the caption's colour-shape pairs are exactly what the detector finds`);
