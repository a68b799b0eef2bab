// The tests' pretraining configuration: the tiny UNet at 32x32, four steps of batch 2, every
// field spelled out so a test reads what it runs; `over` changes any of them.
import type { PretrainConfig } from '../../lab/pretrain/config.js';

export function tinyPretrainConfig(output_dir: string, over: Partial<PretrainConfig> = {}): PretrainConfig {
  return {
    output_dir, config: 'tiny', resolution: 32, max_train_steps: 4, train_batch_size: 2, learning_rate: 1e-2, lr_warmup_steps: 1,
    lr_scheduler: 'warmup_stable_decay', lr_decay_steps: 2, adam_weight_decay: 1e-2, max_grad_norm: 1, ema_decay: 0.9, snr_gamma: 5, snr_weight_floor: 0, object_loss_weight: 1,
    uncond_prob: 0.5, background_drop_prob: 0.5, beta_schedule: 'linear', prediction_type: 'epsilon', addition_embed_type: 'none', min_objects: 1, max_objects: 2, placement: 'anywhere', curriculum_steps: 0, seed: 3, checkpointing_steps: 2, sample_steps: 0, ...over,
  };
}
