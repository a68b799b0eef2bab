// torch.nn.utils.clip_grad_norm_: the norm of all grads taken together (the norm of the per-tensor
// norms); when it exceeds max_norm, every grad is scaled by max_norm / (total + 1e-6). Scaled grads
// are new tensors put in `.grad`: autograd may share one grad tensor between leaves, so scaling in
// place could scale a shared grad twice.
import { Tensor } from '../../core/index.js';
import { allocArray, HostStorage } from '../../kernels/index.js';

export interface ClipGradOptions {
  /** 2 (default), any p >= 1, or Infinity for the largest absolute value. */
  norm_type?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  error_if_nonfinite?: boolean;
}

/** The total norm of the grads of `params` (params without a grad are ignored). */
export function grad_norm(params: Iterable<Tensor>, norm_type = 2): number {
  if (!(norm_type >= 1)) throw new Error(`grad_norm: norm_type must be >= 1 or Infinity, got ${norm_type}`);
  let acc = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.data;
    if (norm_type === Infinity) {
      for (let i = 0; i < g.length; i++) acc = Math.max(acc, Math.abs(g[i]!));
    } else if (norm_type === 2) {
      for (let i = 0; i < g.length; i++) acc += g[i]! * g[i]!;
    } else {
      for (let i = 0; i < g.length; i++) acc += Math.abs(g[i]!) ** norm_type;
    }
  }
  return norm_type === Infinity ? acc : acc ** (1 / norm_type);
}

/** Clips in place (replacing each `.grad`) and returns the total norm before clipping. */
export function clip_grad_norm_(params: Iterable<Tensor>, max_norm: number, opts: ClipGradOptions = {}): number {
  const list = [...params].filter((p) => p.grad !== null);
  if (list.length === 0) return 0;
  const total = grad_norm(list, opts.norm_type ?? 2);
  if (opts.error_if_nonfinite && !Number.isFinite(total)) {
    throw new Error(`clip_grad_norm_: the total norm of the gradients is ${total}; set error_if_nonfinite false to clip anyway`);
  }
  const coef = Math.min(1, max_norm / (total + 1e-6));
  if (coef < 1 || Number.isNaN(coef)) {
    for (const p of list) {
      const g = p.grad!;
      const src = g.data;
      const out = allocArray(g.dtype, src.length);
      for (let i = 0; i < out.length; i++) out[i] = src[i]! * coef;
      p.grad = new Tensor(new HostStorage(out), g.shape);
    }
  }
  return total;
}
