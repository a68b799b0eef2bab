// The page's training knobs as a `bas train` configuration: the knobs the page shows, on top of the
// project's recipe for its small base model (README, "Break-A-Scene on the base model": phase-1 lr
// 5e-3, phase-2 lr 1e-4, prior preservation on the base model's unconditional samples, as
// `npm run demo` runs it), with fewer and cheaper class images so a page starts training soon.
// The Node test builds the same configuration to train the same run outside the browser.
import { trainConfig, type TrainConfig } from '../../bas/train/config.js';
import type { TrainSettings } from '../protocol.js';

export const DEFAULT_SETTINGS: Readonly<TrainSettings> = {
  phase1_train_steps: 50,
  phase2_train_steps: 50,
  lambda_attention: 1e-2,
  initial_learning_rate: 5e-3,
  learning_rate: 1e-4,
  prior_preservation: true,
  num_class_images: 8,
  seed: 0,
};

export interface RunPaths {
  model: string;
  scene: string;
  output: string;
  /** Where the class images are kept for the next run (default: in `output`). */
  classes?: string;
}

export function playgroundTrainConfig(s: TrainSettings, paths: RunPaths, num_of_assets: number, backend?: string): TrainConfig {
  return trainConfig({
    pretrained_model_name_or_path: paths.model,
    instance_data_dir: paths.scene,
    output_dir: paths.output,
    num_of_assets,
    phase1_train_steps: s.phase1_train_steps,
    phase2_train_steps: s.phase2_train_steps,
    lambda_attention: s.lambda_attention,
    initial_learning_rate: s.initial_learning_rate,
    learning_rate: s.learning_rate,
    no_prior_preservation: !s.prior_preservation,
    // the unconditional prompt: the base model's own pictures, whatever the scene
    class_prompt: '',
    num_class_images: s.num_class_images,
    class_data_dir: paths.classes,
    num_inference_steps: 25,
    guidance_scale: 4,
    // the page keeps everything in memory: no resumable checkpoints
    checkpointing_steps: 0,
    seed: s.seed,
    backend,
  });
}
