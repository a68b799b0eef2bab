// TF.js doing the same ops on its cpu and wasm backends (devDependencies), NHWC for conv2d as
// TF.js prefers; results are downloaded with dataSync() like ours are read().
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Case } from './cases.js';

export type Tf = typeof TfCore;

export async function loadTf(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await import('@tensorflow/tfjs-backend-wasm');
  return tf;
}

export async function useTfBackend(tf: Tf, name: 'cpu' | 'wasm'): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok;
  } catch {
    return false;
  }
}

export function tfRunner(tf: Tf, c: Case): { run: () => void; dispose: () => void } {
  const made: TfCore.Tensor[] = [];
  const r = (shape: number[]): TfCore.Tensor => {
    const t = tf.randomUniform(shape, -1, 1);
    made.push(t);
    return t;
  };
  let call: () => TfCore.Tensor;
  switch (c.op) {
    case 'matmul': {
      const [a, b] = [r([c.m, c.k]), r([c.k, c.n])];
      call = () => tf.matMul(a as TfCore.Tensor2D, b as TfCore.Tensor2D);
      break;
    }
    case 'bmm': {
      const [q, k] = [r([c.batch, c.m, c.k]), r([c.batch, c.n, c.k])];
      call = () => tf.matMul(q as TfCore.Tensor3D, k as TfCore.Tensor3D, false, true);
      break;
    }
    case 'conv2d': {
      const [x, w] = [r([c.n, c.h, c.w, c.c]), r([3, 3, c.c, c.o])];
      call = () => tf.conv2d(x as TfCore.Tensor4D, w as TfCore.Tensor4D, 1, 'same');
      break;
    }
    case 'softmax': {
      const x = r([...c.lead, c.cols]);
      call = () => tf.softmax(x);
      break;
    }
  }
  return {
    run: () => {
      const out = call();
      out.dataSync();
      out.dispose();
    },
    dispose: () => made.forEach((t) => t.dispose()),
  };
}
