// What `bas gradcheck` perturbs, as a library function so the CLI and the browser playground check
// the same entries: every placeholder embedding entry, and a few sampled entries of one weight of
// each kind the UNet has (conv, GroupNorm, time embedding, self- and cross-attention, ...).
import { Generator, type Tensor } from '../../core/index.js';
import type { GradcheckSetting } from './gradcheck_setup.js';
import { gradcheckEntries, sampleIndices, type LossGradcheck, type LossGradcheckOptions } from './loss_gradcheck.js';

/** One weight of each kind the UNet has: the first parameter whose name matches. */
const WEIGHT_KINDS: readonly (readonly [string, RegExp])[] = [
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

export interface CheckedParam {
  name: string;
  tensor: Tensor;
  indices: number[];
}

/** The placeholder rows in full, then `entries` sampled entries (seeded by `seed + 1`) of each weight kind. */
function gradcheckParams(setting: GradcheckSetting, entries: number, seed: number): CheckedParam[] {
  const pick = new Generator(seed + 1);
  const named = setting.unet.named_parameters();
  const emb = setting.text_encoder.get_input_embeddings();
  const dim = emb.embedding_dim;
  const params: CheckedParam[] = [
    {
      name: `placeholder embeddings (${setting.placeholder_ids.map((id) => `row ${id}`).join(', ')})`,
      tensor: emb.weight,
      indices: setting.placeholder_ids.flatMap((id) => Array.from({ length: dim }, (_, j) => id * dim + j)),
    },
  ];
  for (const [, re] of WEIGHT_KINDS) {
    const hit = named.find(([n]) => re.test(n));
    if (hit) params.push({ name: `unet.${hit[0]}`, tensor: hit[1], indices: sampleIndices(hit[1].size, entries, pick) });
  }
  return params;
}

/** The whole check of `bas gradcheck`: the rows of the report table, and core's report. */
export function checkLossGradient(setting: GradcheckSetting, entries: number, seed: number, opts: LossGradcheckOptions = {}): LossGradcheck {
  return gradcheckEntries(() => setting.loss().loss, gradcheckParams(setting, entries, seed), opts);
}
