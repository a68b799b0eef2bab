// AdamW as torch.optim.AdamW computes it (amsgrad off, not maximizing):
//   p <- p * (1 - lr * wd)                      decoupled weight decay, applied first
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// which is p - lr * m_hat / (sqrt(v_hat) + eps), eps outside the sqrt. Each element is computed in
// float64 and rounded once to the parameter's dtype; the moments are kept in the parameter's dtype,
// as PyTorch keeps them. New values go in through `assign_`, which swaps the parameter's storage:
// grads are never written in place, because autograd may hand one grad tensor to several leaves.
import { tensor, type Tensor, type TypedArray } from '../../core/index.js';
import { adamwUpdate, allocArray } from '../../kernels/index.js';

export interface AdamWHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}

export interface ParamGroup extends AdamWHyper {
  params: Tensor[];
  /** The lr a schedule scales from; set when a scheduler is attached (PyTorch's initial_lr). */
  initial_lr?: number;
}

export type ParamGroupInput = { params: readonly Tensor[] } & Partial<AdamWHyper>;

interface ParamState {
  step: number;
  exp_avg: TypedArray;
  exp_avg_sq: TypedArray;
}

/** PyTorch's layout: per-parameter state keyed by the parameter's index across all groups. */
export interface AdamWStateDict {
  state: Record<number, { step: number; exp_avg: Tensor; exp_avg_sq: Tensor }>;
  param_groups: (AdamWHyper & { params: number[]; initial_lr?: number })[];
}

export const ADAMW_DEFAULTS: AdamWHyper = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2 };

function check_hyper(h: AdamWHyper, where: string): void {
  if (!(h.lr >= 0)) throw new Error(`${where}: invalid learning rate ${h.lr}`);
  if (!(h.eps >= 0)) throw new Error(`${where}: invalid eps ${h.eps}`);
  for (const b of h.betas) if (!(b >= 0 && b < 1)) throw new Error(`${where}: invalid beta ${b} (need 0 <= beta < 1)`);
  if (!(h.weight_decay >= 0)) throw new Error(`${where}: invalid weight_decay ${h.weight_decay}`);
}

export class AdamW {
  readonly param_groups: ParamGroup[];
  private readonly state = new Map<Tensor, ParamState>();

  /** `params`: a list of tensors (one group) or groups with their own hyper-parameters. */
  constructor(params: readonly Tensor[] | readonly ParamGroupInput[], defaults: Partial<AdamWHyper> = {}) {
    const d: AdamWHyper = { ...ADAMW_DEFAULTS, ...defaults, betas: [...(defaults.betas ?? ADAMW_DEFAULTS.betas)] };
    check_hyper(d, 'AdamW');
    const groups: ParamGroupInput[] = params.length > 0 && !('params' in params[0]!) ? [{ params: params as readonly Tensor[] }] : [...(params as readonly ParamGroupInput[])];
    if (groups.length === 0) throw new Error('AdamW: got an empty parameter list');
    const seen = new Set<Tensor>();
    this.param_groups = groups.map((g, i) => {
      for (const p of g.params) {
        if (seen.has(p)) throw new Error(`AdamW: a parameter appears in more than one place (group ${i})`);
        seen.add(p);
      }
      const group: ParamGroup = {
        params: [...g.params],
        lr: g.lr ?? d.lr,
        betas: [...(g.betas ?? d.betas)],
        eps: g.eps ?? d.eps,
        weight_decay: g.weight_decay ?? d.weight_decay,
      };
      check_hyper(group, `AdamW group ${i}`);
      return group;
    });
  }

  /** Clears grads: to null by default (PyTorch's set_to_none=True), else to zeros. */
  zero_grad(set_to_none = true): void {
    for (const g of this.param_groups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        p.grad = set_to_none ? null : tensor(allocArray(p.grad.dtype, p.grad.size), { shape: p.grad.shape });
      }
    }
  }

  /** One update of every parameter that has a grad; parameters without one are skipped. */
  step(): void {
    for (const group of this.param_groups) {
      const { lr, eps, weight_decay } = group;
      const [b1, b2] = group.betas;
      for (const p of group.params) {
        if (!p.grad) continue;
        if (p.grad.size !== p.size) throw new Error(`AdamW: grad of ${p.grad.size} values for a parameter of ${p.size}`);
        let st = this.state.get(p);
        if (!st) {
          st = { step: 0, exp_avg: allocArray(p.dtype, p.size), exp_avg_sq: allocArray(p.dtype, p.size) };
          this.state.set(p, st);
        }
        st.step += 1;
        const out = allocArray(p.dtype, p.size);
        // m and v move in place, the new values go to out (kernels/cpu/rows.ts: adamwRows, on both
        // cores where the arrays live in the SIMD engine's memory)
        adamwUpdate(p.data, p.grad.data, st.exp_avg, st.exp_avg_sq, out, {
          b1, b2, eps, stepSize: lr / (1 - b1 ** st.step), decay: 1 - lr * weight_decay, bc2: Math.sqrt(1 - b2 ** st.step),
        });
        p.assign_(out);
      }
    }
  }

  /** Step counts and moments by parameter index, plus the groups' hyper-parameters (copies). */
  state_dict(): AdamWStateDict {
    const state: AdamWStateDict['state'] = {};
    const param_groups: AdamWStateDict['param_groups'] = [];
    let index = 0;
    for (const g of this.param_groups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const st = this.state.get(p);
        if (st) {
          state[index] = {
            step: st.step,
            exp_avg: tensor(st.exp_avg, { shape: p.shape }), // tensor() copies
            exp_avg_sq: tensor(st.exp_avg_sq, { shape: p.shape }),
          };
        }
        ids.push(index++);
      }
      const entry: AdamWStateDict['param_groups'][number] = { lr: g.lr, betas: [g.betas[0], g.betas[1]], eps: g.eps, weight_decay: g.weight_decay, params: ids };
      if (g.initial_lr !== undefined) entry.initial_lr = g.initial_lr;
      param_groups.push(entry);
    }
    return { state, param_groups };
  }

  /** Restores a state dict taken from an optimizer over parameters of the same shapes, in order. */
  load_state_dict(sd: AdamWStateDict): void {
    if (sd.param_groups.length !== this.param_groups.length) {
      throw new Error(`AdamW.load_state_dict: ${sd.param_groups.length} parameter groups saved, ${this.param_groups.length} here`);
    }
    const byIndex = new Map<number, Tensor>();
    sd.param_groups.forEach((saved, gi) => {
      const group = this.param_groups[gi]!;
      if (saved.params.length !== group.params.length) {
        throw new Error(`AdamW.load_state_dict: group ${gi} saved ${saved.params.length} parameters, has ${group.params.length}`);
      }
      saved.params.forEach((idx, k) => byIndex.set(idx, group.params[k]!));
    });
    const next = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new Error(`AdamW.load_state_dict: state for parameter ${key}, which no group lists`);
      for (const [name, t] of [['exp_avg', s.exp_avg], ['exp_avg_sq', s.exp_avg_sq]] as const) {
        if (t.size !== p.size) throw new Error(`AdamW.load_state_dict: ${name} of parameter ${key} has ${t.size} values, the parameter ${p.size}`);
      }
      if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`AdamW.load_state_dict: bad step ${s.step} for parameter ${key}`);
      const copy = (t: Tensor): TypedArray => {
        const a = allocArray(p.dtype, p.size);
        a.set(t.data);
        return a;
      };
      next.set(p, { step: s.step, exp_avg: copy(s.exp_avg), exp_avg_sq: copy(s.exp_avg_sq) });
    }
    sd.param_groups.forEach((saved, gi) => {
      const group = this.param_groups[gi]!;
      const h: AdamWHyper = { lr: saved.lr, betas: [saved.betas[0], saved.betas[1]], eps: saved.eps, weight_decay: saved.weight_decay };
      check_hyper(h, `AdamW.load_state_dict group ${gi}`);
      Object.assign(group, h);
      if (saved.initial_lr !== undefined) group.initial_lr = saved.initial_lr;
    });
    this.state.clear();
    for (const [p, st] of next) this.state.set(p, st);
  }
}
