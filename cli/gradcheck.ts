// bas gradcheck: the full Break-A-Scene loss (masked diffusion + prior + attention loss) through a
// float64 tiny UNet and text encoder, analytic gradients against central differences for the
// placeholder embeddings and sampled entries of every kind of UNet weight. Exit 1 on mismatch.
import { Generator } from '../core/index.js';
import { UNET_CONFIGS, type UNetConfigName } from '../nn/configs.js';
import { formatGradcheckTable, gradcheckEntries, sampleIndices } from '../bas/train/loss_gradcheck.js';
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

/** One weight of each kind the UNet has: the first parameter whose name matches. */
const WEIGHT_KINDS: [string, RegExp][] = [
  ['conv_in', /^conv_in\.weight$/],
  ['time embedding', /^time_embedding\.linear_1\.weight$/],
  ['resnet GroupNorm', /resnets\.\d+\.norm1\.weight$/],
  ['resnet conv', /resnets\.\d+\.conv1\.weight$/],
  ['resnet time_emb_proj', /resnets\.\d+\.time_emb_proj\.weight$/],
  ['resnet conv_shortcut', /resnets\.\d+\.conv_shortcut\.weight$/],
  ['downsampler conv', /downsamplers\.0\.conv\.weight$/],
  ['transformer GroupNorm', /attentions\.\d+\.norm\.weight$/],
  ['proj_in', /attentions\.\d+\.proj_in\.weight$/],
  ['self-attention to_q', /attn1\.to_q\.weight$/],
  ['cross-attention LayerNorm', /transformer_blocks\.\d+\.norm2\.weight$/],
  ['cross-attention to_k', /attn2\.to_k\.weight$/],
  ['cross-attention to_v', /attn2\.to_v\.weight$/],
  ['cross-attention to_out', /attn2\.to_out\.0\.weight$/],
  ['GEGLU proj', /ff\.net\.0\.proj\.weight$/],
  ['feed-forward out', /ff\.net\.2\.weight$/],
  ['proj_out', /attentions\.\d+\.proj_out\.weight$/],
  ['upsampler conv', /upsamplers\.0\.conv\.weight$/],
  ['conv_norm_out', /^conv_norm_out\.weight$/],
  ['conv_out', /^conv_out\.weight$/],
];

export async function run(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'gradcheck');
  if (f.help) {
    console.log(formatHelp('gradcheck', 'check the full Break-A-Scene loss gradient in float64', FLAGS));
    return 0;
  }
  if (f.entries < 1) throw new UsageError('gradcheck: --entries must be at least 1');
  const setting = gradcheckSetting(f.config as UNetConfigName, f.seed);
  const pick = new Generator(f.seed + 1);
  const named = setting.unet.named_parameters();
  const params: { name: string; tensor: (typeof named)[number][1]; indices: number[] }[] = [];

  const emb = setting.text_encoder.get_input_embeddings();
  const dim = emb.embedding_dim;
  params.push({
    name: `placeholder embeddings (${setting.placeholder_ids.map((id) => `row ${id}`).join(', ')})`,
    tensor: emb.weight,
    indices: setting.placeholder_ids.flatMap((id) => Array.from({ length: dim }, (_, j) => id * dim + j)),
  });
  for (const [, re] of WEIGHT_KINDS) {
    const hit = named.find(([n]) => re.test(n));
    if (hit) params.push({ name: `unet.${hit[0]}`, tensor: hit[1], indices: sampleIndices(hit[1].size, f.entries, pick) });
  }

  console.log(`bas gradcheck: config ${f.config}, float64, seed ${f.seed}; prompt "${setting.prompt}"; loss = masked diffusion + prior + attention (lambda 1e-2, ${setting.attn_res}x${setting.attn_res} maps)`);
  const rows = gradcheckEntries(() => setting.loss().loss, params, { eps: f.eps, atol: f.atol, rtol: f.rtol });
  console.log(formatGradcheckTable(rows));
  const bad = rows.flatMap((r) => r.entries.filter((e) => !e.ok));
  const total = rows.reduce((s, r) => s + r.entries.length, 0);
  if (bad.length > 0) {
    const w = bad.reduce((a, b) => (b.absError > a.absError ? b : a));
    console.log(`MISMATCH: ${bad.length} of ${total} entries; worst ${w.name}[${w.index}]: analytic ${w.analytic.toPrecision(10)} vs numeric ${w.numeric.toPrecision(10)}`);
    return 1;
  }
  console.log(`ok: ${total} entries in ${rows.length} parameters agree (atol ${f.atol}, rtol ${f.rtol}, eps ${f.eps})`);
  return 0;
}
