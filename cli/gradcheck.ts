// bas gradcheck: the full Break-A-Scene loss (masked diffusion + prior + attention loss) through a
// float64 tiny UNet and text encoder, analytic gradients against central differences for the
// placeholder embeddings and sampled entries of every kind of UNet weight. Exit 1 on mismatch.
import { UNET_CONFIGS, type UNetConfigName } from '../nn/configs.js';
import { formatGradcheckTable } from '../bas/train/loss_gradcheck.js';
import { checkLossGradient } from '../bas/train/gradcheck_params.js';
import { gradcheckSetting } from '../bas/train/gradcheck_setup.js';
import { formatHelp, parseFlags, UsageError, type FlagSpecs } from './args.js';

const FLAGS = {
  config: { type: 'string', help: 'UNet config to check', default: 'tiny', choices: Object.keys(UNET_CONFIGS) },
  seed: { type: 'int', help: 'seed of init, scene, prompt, noise and sampled entries', default: 0 },
  entries: { type: 'int', help: 'entries checked per UNet weight', default: 3 },
  eps: { type: 'number', help: 'central-difference step', default: 1e-6 },
  atol: { type: 'number', help: 'absolute tolerance', default: 1e-5 },
  rtol: { type: 'number', help: 'relative tolerance', default: 1e-3 },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'gradcheck');
  if (f.help) {
    console.log(formatHelp('gradcheck', 'check the full Break-A-Scene loss gradient in float64', FLAGS));
    return 0;
  }
  if (f.entries < 1) throw new UsageError('gradcheck: --entries must be at least 1');
  const setting = gradcheckSetting(f.config as UNetConfigName, f.seed);
  console.log(`bas gradcheck: config ${f.config}, float64, seed ${f.seed}; prompt "${setting.prompt}"; loss = masked diffusion + prior + attention (lambda 1e-2, ${setting.attn_res}x${setting.attn_res} maps)`);
  const { rows, report } = checkLossGradient(setting, f.entries, f.seed, { eps: f.eps, atol: f.atol, rtol: f.rtol });
  console.log(formatGradcheckTable(rows));
  const bad = rows.flatMap((r) => r.entries.filter((e) => !e.ok));
  const total = report.checked;
  if (bad.length > 0) {
    const w = bad.reduce((a, b) => (b.absError > a.absError ? b : a));
    console.log(`MISMATCH: ${bad.length} of ${total} entries; worst ${w.name}[${w.index}]: analytic ${w.analytic.toPrecision(10)} vs numeric ${w.numeric.toPrecision(10)}`);
    return 1;
  }
  console.log(`ok: ${total} entries in ${rows.length} parameters agree (atol ${f.atol}, rtol ${f.rtol}, eps ${f.eps})`);
  return 0;
}
