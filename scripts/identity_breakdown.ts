// Where identity fails in a finished `bas eval`: for each run it kept, the "a photo of <assetI>"
// samples are drawn again (same seed, steps and guidance as the eval's defaults, so the same images)
// and split into "the concept's colour is found" and "found with its shape", with the shapes the
// detector read instead. Separates a token that carries its colour from one that carries its shape.
// Usage: BAS_BACKEND=gpujs-webasm npx tsx scripts/identity_breakdown.ts [EVAL_DIR (default outputs/eval)] [SEEDS (default 4)]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { read_json_object } from '../nn/fs_atomic.js';
import { loadModel } from '../bas/model.js';
import { identityDetections } from '../lab/eval/break_a_scene.js';
import { hasColour, hasConcept, mean, type Concept } from '../lab/eval/judge.js';
import { pct } from '../lab/eval/report.js';

const evalDir = process.argv[2] ?? 'outputs/eval';
const seeds = Number(process.argv[3] ?? 4);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`SEEDS must be a positive integer, got ${process.argv[3]}`);
const runsDir = join(evalDir, 'runs');
if (!existsSync(runsDir)) throw new Error(`${runsDir} not found: run bas eval (without --skip_bas) first`);

console.log(`identity prompts of the runs in ${runsDir}, ${seeds} seeds, 25 DDIM steps, guidance 4\n`);
console.log('| variant | colour found | colour and shape found | shapes read for the concept colour |');
console.log('|---|---|---|---|');
for (const variant of readdirSync(runsDir).sort()) {
  const colourHits: number[] = [];
  const conceptHits: number[] = [];
  const readShapes = new Map<string, number>();
  for (const sceneName of readdirSync(join(runsDir, variant)).sort()) {
    const scene = read_json_object(join(evalDir, 'scenes', sceneName, 'scene.json'), 'scene') as unknown as { objects: Concept[] };
    const model = loadModel(join(runsDir, variant, sceneName));
    scene.objects.forEach((c, i) => {
      // bas eval's defaults, so the same samples it judged
      for (const d of identityDetections(model, i, { seeds, seed: 0, num_inference_steps: 25, guidance_scale: 4 })) {
        colourHits.push(hasColour(d, c.colour) ? 1 : 0);
        conceptHits.push(hasConcept(d, c) ? 1 : 0);
        const found = d.find((x) => x.colour === c.colour);
        if (found) {
          const key = `${c.shape}->${found.shape}`;
          readShapes.set(key, (readShapes.get(key) ?? 0) + 1);
        }
      }
    });
  }
  const top = [...readShapes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`| ${variant.replace(/_/g, ' ')} | ${pct(mean(colourHits))} | ${pct(mean(conceptHits))} | ${top} |`);
}
