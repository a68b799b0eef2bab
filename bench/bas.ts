// bas-ts's side of each case: the kernel call on a backend, inputs already on it (uploaded once,
// as they would be mid-training) and the result read back to host each time.
import type { Conv2dArgs, KernelBackend, MatmulArgs, Storage } from '../kernels/index.js';
import { HostStorage } from '../kernels/index.js';
import type { Case } from './cases.js';

const rand = (n: number, seed: number): Float32Array => {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296) * 2 - 1);
};

/** A function running `c` once on `b`, and a cleanup. */
export function basRunner(b: KernelBackend, c: Case): { run: () => void; dispose: () => void } {
  const up = (n: number, seed: number): Storage => b.upload(new HostStorage(rand(n, seed)));
  const inputs: Storage[] = [];
  const keep = (s: Storage): Storage => (inputs.push(s), s);
  let call: () => Storage;
  switch (c.op) {
    case 'matmul': {
      const a = keep(up(c.m * c.k, 1));
      const w = keep(up(c.k * c.n, 2));
      const args: MatmulArgs = { batch: 1, m: c.m, k: c.k, n: c.n, transA: false, transB: false, strideA: 0, strideB: 0 };
      call = () => b.matmul(a, w, args);
      break;
    }
    case 'bmm': {
      const q = keep(up(c.batch * c.m * c.k, 1));
      const k = keep(up(c.batch * c.n * c.k, 2));
      const args: MatmulArgs = { batch: c.batch, m: c.m, k: c.k, n: c.n, transA: false, transB: true, strideA: c.m * c.k, strideB: c.n * c.k };
      call = () => b.matmul(q, k, args);
      break;
    }
    case 'conv2d': {
      const x = keep(up(c.n * c.c * c.h * c.w, 1));
      const w = keep(up(c.o * c.c * 9, 2));
      const args: Conv2dArgs = { n: c.n, c: c.c, h: c.h, w: c.w, o: c.o, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, outH: c.h, outW: c.w };
      call = () => b.conv2d(x, w, args);
      break;
    }
    case 'softmax': {
      const x = keep(up(c.rows * c.cols, 1));
      call = () => b.softmax(x, c.rows, c.cols);
      break;
    }
  }
  // touch every input once so device backends upload before timing starts
  call().dispose();
  return {
    run: () => {
      const out = call();
      out.read();
      out.dispose();
    },
    dispose: () => inputs.forEach((s) => s.dispose()),
  };
}
