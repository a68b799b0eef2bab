// Learning-rate schedules as diffusers' get_scheduler builds them (transformers' lambdas on top of
// torch's LambdaLR): lr = initial_lr * factor(step). As with LambdaLR, the factor of step 0 is in
// force from construction until the first `step()`, so a warmup's first optimizer step runs at lr 0.

export type ScheduleName = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine' | 'cosine_with_restarts' | 'polynomial' | 'warmup_stable_decay';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['constant', 'constant_with_warmup', 'linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'warmup_stable_decay'];
/** The schedules whose factor depends on where training ends. */
const NEED_TOTAL: readonly ScheduleName[] = ['linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'warmup_stable_decay'];

export interface ScheduleOptions {
  num_warmup_steps?: number;
  /** Needed by linear and cosine. */
  num_training_steps?: number;
  /**
   * cosine: waves over the decay, 0.5 (default) being half a cosine from 1 down to 0.
   * cosine_with_restarts: hard restarts, each cycle one half cosine from 1 to 0 (default 1).
   */
  num_cycles?: number;
  /** polynomial: the power of the decay (default 1, linear) and the lr it ends at (default 1e-7). */
  power?: number;
  lr_end?: number;
  /** polynomial: the initial lr (the factor is a ratio to it); get_scheduler fills it in. */
  lr_init?: number;
  /** warmup_stable_decay: the last N steps fall from 1 to 0 along half a cosine. */
  num_decay_steps?: number;
}

const warmup = (step: number, w: number): number => step / Math.max(1, w);

/** The factor that multiplies the initial lr at `step` (0-based count of scheduler steps taken). */
export function lr_factor(name: ScheduleName, step: number, opts: ScheduleOptions = {}): number {
  const w = opts.num_warmup_steps ?? 0;
  switch (name) {
    case 'constant':
      return 1;
    case 'constant_with_warmup':
      return step < w ? warmup(step, w) : 1;
    case 'linear': {
      const total = required_total(name, opts);
      if (step < w) return warmup(step, w);
      return Math.max(0, (total - step) / Math.max(1, total - w));
    }
    case 'cosine': {
      const total = required_total(name, opts);
      if (step < w) return warmup(step, w);
      const progress = (step - w) / Math.max(1, total - w);
      const cycles = opts.num_cycles ?? 0.5;
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
    }
    case 'cosine_with_restarts': {
      const total = required_total(name, opts);
      if (step < w) return warmup(step, w);
      const progress = (step - w) / Math.max(1, total - w);
      if (progress >= 1) return 0;
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * (((opts.num_cycles ?? 1) * progress) % 1))));
    }
    case 'polynomial': {
      // from lr_init down to lr_end, then held at lr_end; the factor is a ratio to lr_init
      const total = required_total(name, opts);
      const lrEnd = opts.lr_end ?? 1e-7;
      const lrInit = opts.lr_init;
      if (lrInit === undefined) throw new Error(`lr schedule ${name} needs lr_init`);
      if (!(lrInit > lrEnd)) throw new Error(`lr schedule ${name}: lr_end (${lrEnd}) must be smaller than the initial lr (${lrInit})`);
      if (step < w) return warmup(step, w);
      if (step > total) return lrEnd / lrInit;
      const remaining = 1 - (step - w) / Math.max(1, total - w);
      return ((lrInit - lrEnd) * remaining ** (opts.power ?? 1) + lrEnd) / lrInit;
    }
    case 'warmup_stable_decay': {
      // Constant until the decay starts, so a run can be lengthened (or resumed with a later end)
      // without changing any step already taken: the schedule depends on the end only in its tail.
      const total = required_total(name, opts);
      if (opts.num_decay_steps === undefined) throw new Error(`lr schedule ${name} needs num_decay_steps`);
      if (step < w) return warmup(step, w);
      const start = total - opts.num_decay_steps;
      if (step < start) return 1;
      const progress = (step - start) / Math.max(1, opts.num_decay_steps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
    }
    default: {
      const never: never = name;
      throw new Error(`unknown lr schedule ${String(never)}; expected one of ${SCHEDULE_NAMES.join(', ')}`);
    }
  }
}

function required_total(name: ScheduleName, opts: ScheduleOptions): number {
  if (opts.num_training_steps === undefined) throw new Error(`lr schedule ${name} needs num_training_steps`);
  return opts.num_training_steps;
}

/** What a scheduler drives: any optimizer with torch-style param groups (AdamW here). */
export interface SchedulableOptimizer {
  param_groups: { lr: number; initial_lr?: number }[];
}

export interface LRSchedulerState {
  last_epoch: number;
  base_lrs: number[];
}

/** Sets each group's lr to initial_lr * factor(step) on construction and after every `step()`. */
export class LRScheduler {
  /** Scheduler steps taken so far (LambdaLR's last_epoch). */
  last_epoch = 0;
  readonly base_lrs: number[];

  constructor(
    readonly optimizer: SchedulableOptimizer,
    readonly factor: (step: number) => number,
  ) {
    // like torch, remember each group's starting lr as initial_lr (kept across resumes)
    for (const g of optimizer.param_groups) if (g.initial_lr === undefined) g.initial_lr = g.lr;
    this.base_lrs = optimizer.param_groups.map((g) => g.initial_lr!);
    this.apply();
  }

  private apply(): void {
    const f = this.factor(this.last_epoch);
    this.optimizer.param_groups.forEach((g, i) => {
      g.lr = this.base_lrs[i]! * f;
    });
  }

  step(): void {
    this.last_epoch += 1;
    this.apply();
  }

  get_last_lr(): number[] {
    return this.optimizer.param_groups.map((g) => g.lr);
  }

  state_dict(): LRSchedulerState {
    return { last_epoch: this.last_epoch, base_lrs: [...this.base_lrs] };
  }

  load_state_dict(s: LRSchedulerState): void {
    if (s.base_lrs.length !== this.base_lrs.length) {
      throw new Error(`LRScheduler.load_state_dict: ${s.base_lrs.length} groups saved, ${this.base_lrs.length} here`);
    }
    this.last_epoch = s.last_epoch;
    s.base_lrs.forEach((lr, i) => {
      this.base_lrs[i] = lr;
    });
    this.apply();
  }
}

/**
 * diffusers' get_scheduler for the named schedules. polynomial takes its initial lr from the first
 * param group, as transformers takes the optimizer's default lr.
 */
export function get_scheduler(name: ScheduleName, optimizer: SchedulableOptimizer, opts: ScheduleOptions = {}): LRScheduler {
  if (!SCHEDULE_NAMES.includes(name)) throw new Error(`unknown lr schedule ${String(name)}; expected one of ${SCHEDULE_NAMES.join(', ')}`);
  if (name !== 'constant' && opts.num_warmup_steps === undefined) throw new Error(`lr schedule ${name} needs num_warmup_steps`);
  if (NEED_TOTAL.includes(name) && opts.num_training_steps === undefined) throw new Error(`lr schedule ${name} needs num_training_steps`);
  const first = optimizer.param_groups[0];
  const full = name === 'polynomial' && opts.lr_init === undefined && first ? { ...opts, lr_init: first.initial_lr ?? first.lr } : opts;
  // a bad lr_end fails here, not at the first step
  lr_factor(name, 0, full);
  return new LRScheduler(optimizer, (step) => lr_factor(name, step, full));
}
