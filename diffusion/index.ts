// The diffusion layer: DDPM/DDIM schedulers with diffusers' API and configs, and text-to-image
// sampling with classifier-free guidance.
import type { SchedulerConfigJSON } from './config.js';
import { DDIMScheduler } from './scheduling_ddim.js';
import { DDPMScheduler } from './scheduling_ddpm.js';

export * from './betas.js';
export * from './config.js';
export * from './scheduling_utils.js';
export * from './scheduling_ddim.js';
export * from './scheduling_ddpm.js';
export * from './pipeline_text_to_image.js';
export * from './image_processor.js';

/** A scheduler from scheduler_config.json content, by its `_class_name`. */
export function scheduler_from_config(config: SchedulerConfigJSON): DDIMScheduler | DDPMScheduler {
  switch (config._class_name) {
    case 'DDIMScheduler':
      return DDIMScheduler.from_config(config);
    case 'DDPMScheduler':
      return DDPMScheduler.from_config(config);
    default:
      throw new Error(`scheduler_from_config: unsupported _class_name ${JSON.stringify(config._class_name)} (DDIMScheduler, DDPMScheduler)`);
  }
}
