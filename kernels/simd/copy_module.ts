// The convolutions' copies as WebAssembly: rows of floats moved between two strided layouts, four
// at a time with v128 loads and stores. A plain JavaScript loop moves about one float a nanosecond
// on this machine; these move the padded planes into a convolution's scratch, and its result out,
// at memory speed (README, performance). Values are copied bit for bit, or have one float added
// with f32.add, which rounds as JavaScript's float32 sum does: the cpu loops' bits either way.
import { Body, I32, V128 } from './emit.js';

/** Emits `row()` for each of `rows` rows, moving the src and dst locals on by their row strides. */
function eachRow(f: Body, [src, srcRow, dst, dstRow, rows]: readonly number[], row: () => void): void {
  const r = f.local(I32);
  f.block().loop();
  f.get(r).get(rows!).geU().brIf(1);
  row();
  f.get(src!).get(srcRow!).add().set(src!);
  f.get(dst!).get(dstRow!).add().set(dst!);
  f.get(r).i32(1).add().set(r).br(0);
  f.end().end();
}

/**
 * copy_rows(src, srcRow, dst, dstRow, rows, width) / copy_rows_bias(..., bias): `rows` rows of
 * `width` floats from src to dst, rows srcRow and dstRow bytes apart; the _bias one adds the float
 * at byte address `bias` to each. Byte addresses, compared unsigned (they may pass 2^31).
 */
export function copyRowsBody(withBias: boolean): Body {
  const f = new Body(withBias ? 7 : 6);
  const [src, , dst, , , width, bias] = [0, 1, 2, 3, 4, 5, 6];
  const x = f.local(I32);
  const quads = f.local(I32);
  const bytes = f.local(I32);
  const bv = f.local(V128);
  f.get(width).i32(2).op(0x74 /* i32.shl */).set(bytes);
  f.get(bytes).i32(-16).op(0x71 /* i32.and */).set(quads);
  if (withBias) f.get(bias).load32Splat(0).set(bv);
  eachRow(f, [0, 1, 2, 3, 4], () => {
    f.i32(0).set(x);
    f.block().loop(); // whole quads
    f.get(x).get(quads).geU().brIf(1);
    f.get(dst).get(x).add();
    f.get(src).get(x).add().v128Load(0);
    if (withBias) f.get(bv).f32x4Add();
    f.v128Store(0);
    f.get(x).i32(16).add().set(x).br(0);
    f.end().end();
    f.block().loop(); // the last 1-3 floats
    f.get(x).get(bytes).geU().brIf(1);
    f.get(dst).get(x).add();
    f.get(src).get(x).add().f32Load(0);
    if (withBias) f.get(bv).f32x4Extract(0).f32Add();
    f.f32Store(0);
    f.get(x).i32(4).add().set(x).br(0);
    f.end().end();
  });
  return f;
}

/**
 * scatter_rows(src, srcRow, dst, dstRow, rows, width, dstStep): as copy_rows, but the floats of a
 * row land dstStep bytes apart (a transpose into column panels); copied as i32, bit for bit.
 */
export function scatterRowsBody(): Body {
  const f = new Body(7);
  const [src, , dst, , , width, dstStep] = [0, 1, 2, 3, 4, 5, 6];
  const x = f.local(I32);
  const d = f.local(I32);
  eachRow(f, [0, 1, 2, 3, 4], () => {
    f.i32(0).set(x);
    f.get(dst).set(d);
    f.block().loop(); // floats of the row
    f.get(x).get(width).geU().brIf(1);
    f.get(d);
    f.get(src).get(x).i32(2).op(0x74 /* i32.shl */).add().i32Load(0);
    f.i32Store(0);
    f.get(d).get(dstStep).add().set(d);
    f.get(x).i32(1).add().set(x).br(0);
    f.end().end();
  });
  return f;
}

/** zero(dst, bytes): memory.fill with 0, at native speed (a shared array's fill runs ~5x slower). */
export function zeroBody(): Body {
  return new Body(2).get(0).i32(0).get(1).memoryFill();
}
