// Row softmax and its backward as SIMD WebAssembly over rows padded to a multiple of 4 columns
// (padding: -Infinity for x, 0 for dy), with exp evaluated by a vector polynomial: gpu.js's
// webasm mode calls Math.exp through a JS import per lane, which made its softmax ~30x slower.
import { Body, I32, V128 } from './emit.js';

const LOG2E = 1.4426950408889634;
// ln 2 split in two so that n * LN2_HI is exact (Cody-Waite reduction)
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
// minimax coefficients of (e^r - 1 - r) / r^2 on [-ln2/2, ln2/2] (Cephes expf), |rel err| < 2e-7
const P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** exp underflows to the smallest normal here; in a softmax that is 1e-38 next to >= 1 */
const LO = -87.3;
const HI = 89;

/** Emits e^v for the v128 in local `v` into local `out`, using scratch locals `r` and `n`. */
export function emitExp(f: Body, v: number, out: number, r: number, n: number): void {
  // above HI, n = 128 and the scale below becomes +Infinity, as exp overflows in float32
  f.get(v).f32(LO).f32x4Splat().f32x4Max().f32(HI).f32x4Splat().f32x4Min().set(v);
  f.get(v).f32(LOG2E).f32x4Splat().f32x4Mul().f32x4Nearest().set(n);
  // r = v - n * LN2_HI - n * LN2_LO
  f.get(v).get(n).f32(LN2_HI).f32x4Splat().f32x4Mul().f32x4Sub().get(n).f32(LN2_LO).f32x4Splat().f32x4Mul().f32x4Sub().set(r);
  // Horner: p = ((((P0 r + P1) r + P2) r + P3) r + P4) r + P5; e = p r^2 + r + 1
  f.f32(P[0]!).f32x4Splat();
  for (let i = 1; i < P.length; i++) f.get(r).f32x4Mul().f32(P[i]!).f32x4Splat().f32x4Add();
  f.get(r).get(r).f32x4Mul().f32x4Mul().get(r).f32x4Add().f32(1).f32x4Splat().f32x4Add().set(out);
  // scale by 2^n: ((n + 127) << 23) reinterpreted as f32
  f.get(out).get(n).i32x4TruncSatF32x4().i32(127).i32x4Splat().i32x4Add().i32(23).i32x4Shl().f32x4Mul().set(out);
}

/** Horizontal reduction of v128 local `v` with scalar op `combine` (f32.add / f32.max). */
function emitHorizontal(f: Body, v: number, combine: 'add' | 'max'): void {
  f.get(v).f32x4Extract(0).get(v).f32x4Extract(1);
  combine === 'add' ? f.f32Add() : f.f32Max();
  f.get(v).f32x4Extract(2).get(v).f32x4Extract(3);
  combine === 'add' ? f.f32Add() : f.f32Max();
  combine === 'add' ? f.f32Add() : f.f32Max();
}

/** softmax(x, y, rows, cols4): byte addresses, rows of cols4 floats (cols4 % 4 == 0, > 0). */
export function softmaxBody(): Body {
  const f = new Body(4);
  const [x, y, rows, cols4] = [0, 1, 2, 3];
  const row = f.local(I32);
  const p = f.local(I32);
  const q = f.local(I32);
  const end = f.local(I32);
  const acc = f.local(V128);
  const v = f.local(V128);
  const e = f.local(V128);
  const r = f.local(V128);
  const n = f.local(V128);
  const m = f.local(V128);
  f.i32(0).set(row);
  f.block().get(row).get(rows).op(0x4e).brIf(0);
  f.loop();
  // p = x + row*cols4*4, q = y + row*cols4*4, end = p + cols4*4
  f.get(x).get(row).get(cols4).mul().i32(4).mul().add().set(p);
  f.get(y).get(row).get(cols4).mul().i32(4).mul().add().set(q);
  f.get(p).get(cols4).i32(4).mul().add().set(end);
  // max
  f.get(p).v128Load(0).set(acc);
  f.get(p).i32(16).add().set(p);
  f.block().get(p).get(end).op(0x4f).brIf(0).loop();
  f.get(acc).get(p).v128Load(0).f32x4Max().set(acc);
  f.get(p).i32(16).add().tee(p).get(end).ltU().brIf(0);
  f.end().end();
  emitHorizontal(f, acc, 'max');
  f.f32x4Splat().set(m);
  // exp and sum
  f.get(x).get(row).get(cols4).mul().i32(4).mul().add().set(p);
  f.v128Zero().set(acc);
  f.loop();
  f.get(p).v128Load(0).get(m).f32x4Sub().set(v);
  emitExp(f, v, e, r, n);
  f.get(q).get(e).v128Store(0);
  f.get(acc).get(e).f32x4Add().set(acc);
  f.get(q).i32(16).add().set(q);
  f.get(p).i32(16).add().tee(p).get(end).ltU().brIf(0);
  f.end();
  // scale by 1 / sum
  f.f32(1);
  emitHorizontal(f, acc, 'add');
  f.f32Div().f32x4Splat().set(m);
  f.get(y).get(row).get(cols4).mul().i32(4).mul().add().set(q);
  f.get(q).get(cols4).i32(4).mul().add().set(end);
  f.loop();
  f.get(q).get(q).v128Load(0).get(m).f32x4Mul().v128Store(0);
  f.get(q).i32(16).add().tee(q).get(end).ltU().brIf(0);
  f.end();
  f.get(row).i32(1).add().tee(row).get(rows).ltS().brIf(0);
  f.end().end();
  return f;
}

/** softmax_bwd(y, dy, dx, rows, cols4): dx = y * (dy - sum(dy * y)) per row. */
export function softmaxBackwardBody(): Body {
  const f = new Body(5);
  const [y, dy, dx, rows, cols4] = [0, 1, 2, 3, 4];
  const row = f.local(I32);
  const a = f.local(I32);
  const b = f.local(I32);
  const c = f.local(I32);
  const end = f.local(I32);
  const acc = f.local(V128);
  const d = f.local(V128);
  f.i32(0).set(row);
  f.block().get(row).get(rows).op(0x4e).brIf(0);
  f.loop();
  f.get(row).get(cols4).mul().i32(4).mul().set(c);
  f.get(y).get(c).add().set(a);
  f.get(dy).get(c).add().set(b);
  f.get(a).get(cols4).i32(4).mul().add().set(end);
  f.v128Zero().set(acc);
  f.loop();
  f.get(acc).get(a).v128Load(0).get(b).v128Load(0).f32x4Mul().f32x4Add().set(acc);
  f.get(b).i32(16).add().set(b);
  f.get(a).i32(16).add().tee(a).get(end).ltU().brIf(0);
  f.end();
  emitHorizontal(f, acc, 'add');
  f.f32x4Splat().set(d);
  f.get(y).get(c).add().set(a);
  f.get(dy).get(c).add().set(b);
  f.get(dx).get(c).add().set(c);
  f.loop();
  f.get(c).get(a).v128Load(0).get(b).v128Load(0).get(d).f32x4Sub().f32x4Mul().v128Store(0);
  f.get(b).i32(16).add().set(b);
  f.get(c).i32(16).add().set(c);
  f.get(a).i32(16).add().tee(a).get(end).ltU().brIf(0);
  f.end();
  f.get(row).i32(1).add().tee(row).get(rows).ltS().brIf(0);
  f.end().end();
  return f;
}
