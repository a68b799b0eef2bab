import { describe, expect, it } from 'vitest';
import { Generator, Tensor, add, mul, randn, sum, tensor } from '../../core/index.js';
import { deserialize, serialize } from '../../nn/safetensors.js';
import {
  AdamW,
  LRScheduler,
  adamw_state_from_safetensors,
  adamw_state_to_safetensors,
  clip_grad_norm_,
  get_scheduler,
  grad_norm,
  lr_factor,
} from '../../nn/optim/index.js';

const f64 = (v: number[]): Tensor => tensor(v, { dtype: 'float64', requires_grad: true });
const setGrad = (p: Tensor, g: number[]): void => {
  p.grad = tensor(g, { dtype: p.dtype });
};

describe('AdamW', () => {
  it('matches three steps computed by hand', () => {
    // lr 0.1, weight_decay 0.5, betas (0.9, 0.999), eps 1e-8; p0 = 1; grads 1, -2, 0.5.
    // step 1: p = 1 * (1 - 0.1 * 0.5) = 0.95
    //   m = 0.1 * 1 = 0.1, v = 0.001 * 1 = 0.001; m_hat = 0.1 / (1 - 0.9) = 1, v_hat = 0.001 / (1 - 0.999) = 1
    //   p = 0.95 - 0.1 * 1 / (sqrt(1) + 1e-8) = 0.850000001
    // step 2: p = 0.850000001 * 0.95 = 0.80750000095
    //   m = 0.9 * 0.1 + 0.1 * (-2) = -0.11, v = 0.999 * 0.001 + 0.001 * 4 = 0.004999
    //   m_hat = -0.11 / (1 - 0.81) = -0.578947368421..., v_hat = 0.004999 / (1 - 0.998001) = 2.500750375187...
    //   p = 0.80750000095 + 0.1 * 0.578947368421 / (sqrt(2.500750375187) + 1e-8) = 0.844110353422075
    // step 3: p = 0.844110353422075 * 0.95 = 0.80190483575097
    //   m = 0.9 * -0.11 + 0.1 * 0.5 = -0.049, v = 0.999 * 0.004999 + 0.001 * 0.25 = 0.005244001
    //   m_hat = -0.049 / (1 - 0.729) = -0.180811808118..., v_hat = 0.005244001 / (1 - 0.997002999) = 1.749749499583...
    //   p = 0.80190483575097 + 0.1 * 0.180811808118 / (sqrt(1.749749499583) + 1e-8) = 0.815573901952718
    const expected = [0.850000001, 0.844110353422075, 0.815573901952718];
    for (const dtype of ['float64', 'float32'] as const) {
      const p = tensor([1], { dtype, requires_grad: true });
      const opt = new AdamW([p], { lr: 0.1, weight_decay: 0.5, betas: [0.9, 0.999], eps: 1e-8 });
      [1, -2, 0.5].forEach((g, i) => {
        setGrad(p, [g]);
        opt.step();
        if (dtype === 'float64') expect(p.item()).toBeCloseTo(expected[i]!, 14);
        else expect(Math.abs(p.item() - expected[i]!)).toBeLessThan(2e-7);
      });
      const st = opt.state_dict().state[0]!;
      expect(st.step).toBe(3);
      expect(st.exp_avg.item()).toBeCloseTo(-0.049, dtype === 'float64' ? 15 : 7);
      expect(st.exp_avg_sq.item()).toBeCloseTo(0.005244001, dtype === 'float64' ? 15 : 9);
      expect(st.exp_avg.dtype).toBe(dtype);
    }
  });

  it('decays weights even with a zero grad (decoupled), and only by lr * wd', () => {
    const p = f64([2, -4]);
    const opt = new AdamW([p], { lr: 0.01, weight_decay: 0.1 });
    setGrad(p, [0, 0]);
    opt.step();
    // m = v = 0, so the Adam part is 0 / (0 + eps) = 0; only p * (1 - 0.01 * 0.1) remains
    expect([...p.data]).toEqual([2 * 0.999, -4 * 0.999]);
  });

  it('bias correction makes the first step lr * sign(g) whatever the grad scale', () => {
    for (const g of [1e-3, 1, 1e3]) {
      const p = f64([0]);
      const opt = new AdamW([p], { lr: 0.5, weight_decay: 0, eps: 0 });
      setGrad(p, [g]);
      opt.step();
      expect(p.item()).toBeCloseTo(-0.5, 12);
    }
  });

  it('skips parameters without a grad and supports groups with their own lr', () => {
    const a = f64([1]);
    const b = f64([1]);
    const c = f64([1]);
    const opt = new AdamW([{ params: [a, b] }, { params: [c], lr: 0.01 }], { lr: 0.1, weight_decay: 0 });
    setGrad(a, [1]);
    setGrad(c, [1]);
    opt.step();
    expect(a.item()).toBeCloseTo(0.9, 7);
    expect(b.item()).toBe(1);
    expect(c.item()).toBeCloseTo(0.99, 7);
    expect(Object.keys(opt.state_dict().state)).toEqual(['0', '2']);
    expect(() => new AdamW([a, a])).toThrow(/more than one place/);
    expect(() => new AdamW([a], { lr: -1 })).toThrow(/invalid learning rate/);
  });

  it('zero_grad sets grads to null, or to zeros when asked', () => {
    const p = f64([1, 2]);
    const opt = new AdamW([p]);
    setGrad(p, [3, 4]);
    opt.zero_grad(false);
    expect([...p.grad!.data]).toEqual([0, 0]);
    opt.zero_grad();
    expect(p.grad).toBeNull();
  });

  it('works on grads from backward and keeps the parameter a leaf', () => {
    const w = tensor([0.5, -0.5, 1.5], { requires_grad: true });
    const opt = new AdamW([w], { lr: 0.1 });
    const loss = sum(mul(w, w));
    loss.backward();
    opt.step();
    expect(w.is_leaf).toBe(true);
    expect(w.requires_grad).toBe(true);
    // first step moves every element by lr against the sign of its grad, after decay
    const want = [0.5, -0.5, 1.5].map((x) => x * (1 - 0.1 * 0.01) - 0.1 * Math.sign(x));
    [...w.data].forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  });

  it('resumes exactly from a state dict, also through safetensors', () => {
    const gen = new Generator(7);
    const grads = Array.from({ length: 6 }, () => [randn([3, 2], { generator: gen }), randn([4], { generator: gen })]);
    const init = [randn([3, 2], { generator: gen }), randn([4], { generator: gen })];
    const make = (): { ps: Tensor[]; opt: AdamW } => {
      const ps = init.map((t) => tensor(t.data, { shape: t.shape, requires_grad: true }));
      return { ps, opt: new AdamW([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 3e-3 }], { lr: 1e-2 }) };
    };
    const run = (ps: Tensor[], opt: AdamW, from: number, to: number): void => {
      for (let s = from; s < to; s++) {
        ps.forEach((p, i) => {
          p.grad = grads[s]![i]!;
        });
        opt.step();
      }
    };
    const a = make();
    run(a.ps, a.opt, 0, 6);

    const b = make();
    run(b.ps, b.opt, 0, 3);
    const bytes = serialize(adamw_state_to_safetensors(b.opt.state_dict()).tensors, adamw_state_to_safetensors(b.opt.state_dict()).metadata);
    const saved = adamw_state_from_safetensors(deserialize(bytes));
    const c = make();
    c.ps.forEach((p, i) => p.assign_(b.ps[i]!.data.slice()));
    c.opt.load_state_dict(saved);
    run(c.ps, c.opt, 3, 6);
    c.ps.forEach((p, i) => expect([...p.data]).toEqual([...a.ps[i]!.data]));

    const wrong = new AdamW([tensor([1], { requires_grad: true })]);
    expect(() => wrong.load_state_dict(b.opt.state_dict())).toThrow(/2 parameter groups saved, 1 here/);
  });
});

describe('clip_grad_norm_', () => {
  it('returns the total 2-norm and scales by max_norm / (total + 1e-6) when over', () => {
    const a = f64([3, 4]);
    const b = f64([12]);
    setGrad(a, [3, 4]);
    setGrad(b, [12]);
    // total = sqrt(9 + 16 + 144) = 13; coef = 6.5 / (13 + 1e-6)
    const total = clip_grad_norm_([a, b], 6.5);
    expect(total).toBe(13);
    const coef = 6.5 / (13 + 1e-6);
    expect([...a.grad!.data]).toEqual([3 * coef, 4 * coef]);
    expect([...b.grad!.data]).toEqual([12 * coef]);
    expect(grad_norm([a, b])).toBeCloseTo(6.5, 5);
  });

  it('leaves grads alone under max_norm and ignores params without grads', () => {
    const a = f64([0, 0]);
    const b = f64([1]);
    setGrad(a, [0.3, 0.4]);
    const g = a.grad;
    expect(clip_grad_norm_([a, b], 1.0)).toBeCloseTo(0.5, 15);
    expect(a.grad).toBe(g);
    expect(b.grad).toBeNull();
    expect(clip_grad_norm_([b], 1.0)).toBe(0);
  });

  it('scales a grad shared by two leaves once per leaf, not twice', () => {
    const a = f64([1, 1]);
    const b = f64([1, 1]);
    add(a, b).backward(tensor([3, 4], { dtype: 'float64' }));
    // both leaves may hold the same grad tensor; total = sqrt(2 * 25)
    const total = clip_grad_norm_([a, b], 1);
    expect(total).toBeCloseTo(Math.sqrt(50), 12);
    const coef = 1 / (Math.sqrt(50) + 1e-6);
    expect([...a.grad!.data]).toEqual([3 * coef, 4 * coef]);
    expect([...b.grad!.data]).toEqual([3 * coef, 4 * coef]);
  });

  it('supports the inf norm and can refuse non-finite norms', () => {
    const a = f64([0, 0]);
    setGrad(a, [-5, 2]);
    expect(clip_grad_norm_([a], 10, { norm_type: Infinity })).toBe(5);
    setGrad(a, [NaN, 1]);
    expect(() => clip_grad_norm_([a], 1, { error_if_nonfinite: true })).toThrow(/total norm of the gradients is NaN/);
  });
});

describe('lr schedules', () => {
  const o = { num_warmup_steps: 10, num_training_steps: 110 };
  it('constant and constant_with_warmup', () => {
    expect([0, 5, 1000].map((s) => lr_factor('constant', s))).toEqual([1, 1, 1]);
    // warmup: step / 10 until step 10
    expect([0, 5, 9, 10, 50].map((s) => lr_factor('constant_with_warmup', s, o))).toEqual([0, 0.5, 0.9, 1, 1]);
  });

  it('linear: warmup, then (110 - step) / (110 - 10) down to 0', () => {
    expect([0, 5, 10, 60, 85, 110, 200].map((s) => lr_factor('linear', s, o))).toEqual([0, 0.5, 1, 0.5, 0.25, 0, 0]);
  });

  it('cosine: warmup, then 0.5 * (1 + cos(pi * progress))', () => {
    expect(lr_factor('cosine', 5, o)).toBe(0.5);
    expect(lr_factor('cosine', 10, o)).toBe(1);
    // progress (35 - 10) / 100 = 0.25: 0.5 * (1 + cos(pi / 4)) = 0.5 + sqrt(2) / 4
    expect(lr_factor('cosine', 35, o)).toBeCloseTo(0.5 + Math.SQRT2 / 4, 15);
    expect(lr_factor('cosine', 60, o)).toBeCloseTo(0.5, 15);
    expect(lr_factor('cosine', 110, o)).toBeCloseTo(0, 15);
    expect(() => lr_factor('cosine', 1, { num_warmup_steps: 1 })).toThrow(/needs num_training_steps/);
  });

  it('warmup_stable_decay: warmup, flat at 1, then half a cosine over the last num_decay_steps', () => {
    const w = { ...o, num_decay_steps: 40 };
    expect(lr_factor('warmup_stable_decay', 5, w)).toBe(0.5);
    expect(lr_factor('warmup_stable_decay', 10, w)).toBe(1);
    expect(lr_factor('warmup_stable_decay', 69, w)).toBe(1);
    expect(lr_factor('warmup_stable_decay', 70, w)).toBe(1);
    expect(lr_factor('warmup_stable_decay', 80, w)).toBeCloseTo(0.5 + Math.SQRT2 / 4, 15);
    expect(lr_factor('warmup_stable_decay', 90, w)).toBeCloseTo(0.5, 15);
    expect(lr_factor('warmup_stable_decay', 110, w)).toBeCloseTo(0, 15);
    expect(lr_factor('warmup_stable_decay', 130, w)).toBe(0);
    // a longer run leaves every step before its own decay unchanged
    for (let s = 0; s < 70; s++) expect(lr_factor('warmup_stable_decay', s, { ...w, num_training_steps: 500 })).toBe(lr_factor('warmup_stable_decay', s, w));
    expect(() => lr_factor('warmup_stable_decay', 1, o)).toThrow(/needs num_decay_steps/);
  });

  it('cosine_with_restarts: warmup, then num_cycles half cosines, each from 1 to 0, and 0 at the end', () => {
    const r = { ...o, num_cycles: 2 };
    // progress (step - 10) / 100; factor 0.5 * (1 + cos(pi * ((2 * progress) % 1)))
    expect(lr_factor('cosine_with_restarts', 5, r)).toBe(0.5);
    expect(lr_factor('cosine_with_restarts', 10, r)).toBe(1);
    expect(lr_factor('cosine_with_restarts', 35, r)).toBeCloseTo(0.5, 15);
    expect(lr_factor('cosine_with_restarts', 59, r)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.98)), 15);
    // the restart: back to 1 halfway
    expect(lr_factor('cosine_with_restarts', 60, r)).toBe(1);
    expect(lr_factor('cosine_with_restarts', 110, r)).toBe(0);
    // one cycle by default, as in transformers
    expect(lr_factor('cosine_with_restarts', 60, o)).toBeCloseTo(0.5, 15);
  });

  it('polynomial: warmup, then (lr_init - lr_end) * remaining^power + lr_end, held at lr_end after the end', () => {
    const p = { ...o, lr_init: 1e-3, lr_end: 1e-4, power: 2 };
    expect(lr_factor('polynomial', 5, p)).toBe(0.5);
    expect(lr_factor('polynomial', 10, p)).toBeCloseTo(1, 15);
    // halfway: (9e-4 * 0.25 + 1e-4) / 1e-3
    expect(lr_factor('polynomial', 60, p)).toBeCloseTo(0.325, 15);
    expect(lr_factor('polynomial', 110, p)).toBeCloseTo(0.1, 15);
    expect(lr_factor('polynomial', 500, p)).toBeCloseTo(0.1, 15);
    expect(() => lr_factor('polynomial', 20, o)).toThrow('lr schedule polynomial needs lr_init');
    // get_scheduler takes the initial lr from the optimizer, and checks lr_end against it at once
    const opt = new AdamW([f64([1])], { lr: 1e-3 });
    const sched = get_scheduler('polynomial', opt, { num_warmup_steps: 0, num_training_steps: 4, power: 1 });
    sched.step();
    sched.step();
    expect(sched.get_last_lr()[0]).toBeCloseTo((1e-3 - 1e-7) * 0.5 + 1e-7, 18);
    expect(() => get_scheduler('polynomial', new AdamW([f64([1])], { lr: 1e-8 }), { num_warmup_steps: 0, num_training_steps: 4 })).toThrow(
      'lr schedule polynomial: lr_end (1e-7) must be smaller than the initial lr (1e-8)',
    );
  });

  it('LRScheduler sets group lrs from step 0 and resumes', () => {
    const p = f64([1]);
    const opt = new AdamW([{ params: [p] }, { params: [f64([2])], lr: 1e-2 }], { lr: 1e-3 });
    const sched = get_scheduler('linear', opt, { num_warmup_steps: 2, num_training_steps: 6 });
    // like LambdaLR, the factor of step 0 (0 during warmup) is in force before the first step()
    expect(sched.get_last_lr()).toEqual([0, 0]);
    sched.step();
    expect(sched.get_last_lr()).toEqual([0.5e-3, 0.5e-2]);
    sched.step();
    sched.step();
    // step 3: (6 - 3) / (6 - 2) = 0.75
    expect(sched.get_last_lr()[0]).toBeCloseTo(0.75e-3, 18);
    const saved = sched.state_dict();
    const opt2 = new AdamW([{ params: [f64([1])] }, { params: [f64([2])], lr: 1e-2 }], { lr: 1e-3 });
    opt2.load_state_dict(opt.state_dict());
    const sched2 = new LRScheduler(opt2, (s) => lr_factor('linear', s, { num_warmup_steps: 2, num_training_steps: 6 }));
    sched2.load_state_dict(saved);
    sched.step();
    sched2.step();
    expect(sched2.get_last_lr()).toEqual(sched.get_last_lr());
    expect(() => get_scheduler('cosine', opt, { num_warmup_steps: 0 })).toThrow(/needs num_training_steps/);
  });
});
