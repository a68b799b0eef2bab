// Checks of a model folder after it loaded, for what a folder from someone else can get wrong
// without breaking the load itself: components of another architecture named in model_index.json,
// component names that are paths (`../x`, `/x`: never followed, refused rather than ignored), a
// scheduler config the samplers would reject mid-run, and a tokenizer that pads past the text
// encoder's positions (a huge model_max_length would allocate without bound). Each failure is one
// line naming the file.
import { DDIMScheduler, DDPMScheduler, SD_SCHEDULER_CONFIG } from '../diffusion/index.js';
import { InputError } from './errors.js';
import type { BasModel } from './model.js';

/** The classes this project loads for each component model_index.json lists. */
const EXPECTED_CLASSES: Readonly<Record<string, string>> = {
  unet: 'UNet2DConditionModel',
  text_encoder: 'CLIPTextModel',
  tokenizer: 'CLIPTokenizer',
};

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function checkLoadedModel(dir: string, m: BasModel, modelIndex: Readonly<Record<string, unknown>>): void {
  const index = `${dir}/model_index.json`;
  for (const [key, value] of Object.entries(modelIndex)) {
    if (key.startsWith('_')) continue;
    if (/[\\/]/.test(key) || key === '..' || key === '.') throw new InputError(`${index} names a component "${key}", which is not a folder name inside the model`);
    const want = EXPECTED_CLASSES[key];
    const cls = Array.isArray(value) ? value[1] : undefined;
    if (want !== undefined && cls !== want) throw new InputError(`${index} gives the ${key} as ${JSON.stringify(cls)}; this project loads a ${want}`);
  }
  const schedulerFile = `${dir}/scheduler/scheduler_config.json`;
  try {
    DDIMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, ...m.scheduler_config });
    DDPMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, ...m.scheduler_config });
  } catch (e) {
    throw new InputError(`${schedulerFile}: ${reason(e)}`);
  }
  const positions = m.text_encoder.config.max_position_embeddings;
  if (m.tokenizer.model_max_length > positions) {
    throw new InputError(`${dir}/tokenizer/tokenizer_config.json: model_max_length ${m.tokenizer.model_max_length} is more than the text encoder's ${positions} positions`);
  }
}
