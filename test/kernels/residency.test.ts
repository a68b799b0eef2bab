// Device residency and deterministic release. A simulated training step (forward through matmul,
// softmax and a broadcast add, backward through their gradient kernels, an SGD update) runs inside
// tidy() and returns the new parameters; after a warm-up step the backend's live storages, its
// pipeline textures and, on GL, the context's own texture count must not grow over 20 steps.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { GpuJsBackend, HostStorage, keep, tidy, type MatmulArgs, type Storage } from '../../kernels/index.js';
import { backendCases } from './backends.js';
import { host } from './gen.js';
import { getBackendInstance } from './instance.js';

const B = 2, T = 12, D = 8;

/** The collector, callable: the flag exposes gc() to contexts made after it is set. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function step(be: GpuJsBackend, w: Storage, bias: Storage, x: Storage, lr: number): { w: Storage; bias: Storage; loss: number } {
  const mm = (a: Storage, b: Storage, m: number, k: number, n: number, tA: boolean, tB: boolean, sA: number, sB: number): Storage =>
    be.matmul(a, b, { batch: B, m, k, n, transA: tA, transB: tB, strideA: sA, strideB: sB } satisfies MatmulArgs);
  // h = x @ w + bias; p = softmax(h); loss = sum(p * p)
  const h0 = mm(x, w, T, D, D, false, false, T * D, 0);
  const h = be.binary('add', h0, [B, T, D], bias, [1, 1, D], [B, T, D]);
  const p = be.softmax(h, B * T, D);
  const loss = be.reduce('sum', be.binary('mul', p, [B * T * D], p, [B * T * D], [B * T * D]), [B * T * D], [0]);
  const dp = be.binary('add', p, [B * T * D], p, [B * T * D], [B * T * D]);
  const dh = be.softmaxBackward(p, dp, B * T, D);
  const dw = be.reduce('sum', mm(x, dh, D, T, D, true, false, T * D, T * D), [B, D, D], [0]);
  const db = be.reduce('sum', dh, [B * T, D], [0]);
  const rate = new HostStorage(Float32Array.of(lr));
  const w2 = be.binary('sub', w, [D * D], be.binary('mul', dw, [D * D], rate, [1], [D * D]), [D * D], [D * D]);
  const b2 = be.binary('sub', bias, [D], be.binary('mul', db, [D], rate, [1], [D]), [D], [D]);
  return { w: w2, bias: b2, loss: loss.read()[0]! };
}

for (const bc of backendCases()) {
  describe.skipIf(bc.skip !== null)(`residency on ${bc.name}`, () => {
    const be = (): GpuJsBackend => getBackendInstance(bc.name) as GpuJsBackend;

    it('keeps intermediates on the device between kernels in GL modes', () => {
      const b = be();
      const x = b.upload(host(1, 64));
      const y = tidy(() => b.unary('exp', b.unary('square', b.unary('tanh', x))));
      const s = y as unknown as { onDevice: boolean };
      expect(s.onDevice).toBe(b.rt.gl);
      expect(y.read().length).toBe(64);
      y.dispose();
      x.dispose();
    });

    it('a training step in tidy() leaves no growth in storages or textures', () => {
      const b = be();
      let w = keep(b.upload(host(2, D * D, -0.5, 0.5)));
      let bias = keep(b.upload(host(3, D, -0.5, 0.5)));
      const x = keep(b.upload(host(4, B * T * D)));
      const base = b.stats();
      const losses: number[] = [];
      const after: ReturnType<GpuJsBackend['stats']>[] = [];
      for (let i = 0; i < 21; i++) {
        const r = tidy(() => step(b, w, bias, x, 0.1));
        // the step's outputs survived tidy; swap them in as the kept parameters
        keep(r);
        w.dispose();
        bias.dispose();
        w = r.w;
        bias = r.bias;
        losses.push(r.loss);
        after.push(b.stats());
      }
      // the parameters were replaced, nothing else stays: as many live storages as before the
      // loop, and on GL only the three parameters' textures (uploaded lazily on first use)
      expect(after[20]!.storages).toBe(base.storages);
      expect(after[20]!.textures).toBe(b.rt.gl ? 3 : 0);
      expect(after[20]!.bytes).toBe(b.rt.gl ? (D * D + D + B * T * D) * 4 : 0);
      // and no growth from step 1 to step 20 (GL: the context's own textures too)
      expect(after[20]).toEqual(after[1]);
      if (b.rt.gl) expect(after[20]!.glTextures).toBeGreaterThan(0);
      expect(losses[20]!).toBeLessThan(losses[0]!);
      for (const s of [w, bias, x]) s.dispose();
    });

    it('storages lost undisposed have their textures reclaimed by the collector, counted apart', async () => {
      const b = be();
      const gc = collector();
      const before = b.stats();
      // made and dropped outside any scope (the input's wrap and the output): only the finalizer
      // can release them
      ((): void => void b.unary('neg', host(8, 256)))();
      const made = b.stats();
      const lost = made.storages - before.storages;
      expect(lost).toBeGreaterThanOrEqual(1);
      if (b.rt.gl) expect(made.textures - before.textures).toBe(lost);
      let now = made;
      // finalizers run as a task after a collection: collect and yield until they have run
      for (let i = 0; i < 50 && now.storages > before.storages; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
        now = b.stats();
      }
      expect(now.storages).toBeLessThanOrEqual(before.storages);
      expect(now.undisposed).toBe(made.undisposed);
      expect(now.finalized.textures - made.finalized.textures).toBeGreaterThanOrEqual(made.textures - before.textures);
      if (b.rt.gl) expect(now.finalized.bytes - made.finalized.bytes).toBeGreaterThanOrEqual(lost * 256 * 4);
      // live + reclaimed does not move when the collector runs
      expect(now.textures + now.finalized.textures).toBe(made.textures + made.finalized.textures);
      expect(now.bytes + now.finalized.bytes).toBe(made.bytes + made.finalized.bytes);
      // (the context's own count is not checked here: gpu.js keeps a kernel's output texture for
      // reuse, so these deletions do not reach the context; in a training run they do, and
      // train_memory.test.ts checks live + reclaimed there)
    });

    it('a host tensor read by several kernels is wrapped (and on GL uploaded) once', () => {
      const b = be();
      const x = host(9, 32);
      tidy(() => {
        const before = b.stats();
        const outs = [b.unary('neg', x), b.unary('square', x), b.binary('mul', x, [32], x, [32], [32])];
        const after = b.stats();
        // one wrap of x plus the three outputs; on GL, one upload plus three output textures
        expect(after.storages - before.storages).toBe(4);
        expect(after.textures - before.textures).toBe(b.rt.gl ? 4 : 0);
        expect(outs.every((o) => o.read().length === 32)).toBe(true);
      });
    });

    it('a storage released by tidy throws on use; returned and kept ones survive', () => {
      const b = be();
      let inner: Storage | null = null;
      const kept = tidy(() => {
        inner = b.unary('exp', host(5, 8));
        const k = keep(b.unary('neg', host(6, 8)));
        return { out: b.unary('abs', host(7, 8)), k };
      });
      expect(() => inner!.read()).toThrow(/disposed/);
      expect(kept.out.read().length).toBe(8);
      expect(kept.k.read().length).toBe(8);
      // nested scopes: the inner result moves to the outer scope and is released there
      let moved: Storage | null = null;
      tidy(() => {
        moved = tidy(() => b.unary('exp', host(8, 4)));
        expect(moved.read().length).toBe(4);
      });
      expect(() => moved!.read()).toThrow(/disposed/);
      kept.out.dispose();
      kept.k.dispose();
    });
  });
}
