// AdamW state <-> safetensors content, for checkpoints that resume exactly: the moments as tensors
// `state.<index>.exp_avg` / `state.<index>.exp_avg_sq` (full precision, the parameter's dtype), and
// the step counts and param groups as JSON in the `__metadata__` entry "adamw".
import type { Tensor } from '../../core/index.js';
import type { SafetensorsContent } from '../safetensors.js';
import type { AdamWStateDict } from './adamw.js';

interface AdamWMeta {
  format: 'bas-ts-adamw-1';
  steps: Record<string, number>;
  param_groups: AdamWStateDict['param_groups'];
}

export function adamw_state_to_safetensors(sd: AdamWStateDict): SafetensorsContent {
  const tensors: Record<string, Tensor> = {};
  const steps: Record<string, number> = {};
  for (const [idx, s] of Object.entries(sd.state)) {
    tensors[`state.${idx}.exp_avg`] = s.exp_avg;
    tensors[`state.${idx}.exp_avg_sq`] = s.exp_avg_sq;
    steps[idx] = s.step;
  }
  const meta: AdamWMeta = { format: 'bas-ts-adamw-1', steps, param_groups: sd.param_groups };
  return { tensors, metadata: { adamw: JSON.stringify(meta) } };
}

export function adamw_state_from_safetensors(content: SafetensorsContent, source = '<optimizer state>'): AdamWStateDict {
  const text = content.metadata.adamw;
  if (text === undefined) throw new Error(`${source}: no "adamw" entry in the safetensors metadata`);
  let meta: AdamWMeta;
  try {
    meta = JSON.parse(text) as AdamWMeta;
  } catch (e) {
    throw new Error(`${source}: the "adamw" metadata is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (meta.format !== 'bas-ts-adamw-1' || typeof meta.steps !== 'object' || !Array.isArray(meta.param_groups)) {
    throw new Error(`${source}: the "adamw" metadata is not a bas-ts AdamW state`);
  }
  const state: AdamWStateDict['state'] = {};
  for (const [idx, step] of Object.entries(meta.steps)) {
    const exp_avg = content.tensors[`state.${idx}.exp_avg`];
    const exp_avg_sq = content.tensors[`state.${idx}.exp_avg_sq`];
    if (!exp_avg || !exp_avg_sq) throw new Error(`${source}: moments of parameter ${idx} are missing`);
    state[Number(idx)] = { step, exp_avg, exp_avg_sq };
  }
  return { state, param_groups: meta.param_groups };
}
