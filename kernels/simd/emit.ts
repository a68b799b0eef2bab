// A minimal WebAssembly binary writer: just the sections and opcodes the GEMM module needs. We
// emit bytes from TypeScript instead of shipping a compiled blob, so the module is reviewable here.

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 for i32 constants. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** Function body builder: opcodes appended in order, locals declared up front. */
export class Body {
  readonly code: number[] = [];
  private readonly locals: number[] = [];
  constructor(readonly params: number) {}
  /** Declares a local of `type`; returns its index (params come first). */
  local(type: number): number {
    this.locals.push(type);
    return this.params + this.locals.length - 1;
  }
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(i: number): this { return this.op(0x20, ...uleb(i)); }
  set(i: number): this { return this.op(0x21, ...uleb(i)); }
  tee(i: number): this { return this.op(0x22, ...uleb(i)); }
  i32(v: number): this { return this.op(0x41, ...sleb(v)); }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  ltS(): this { return this.op(0x48); }
  /** unsigned: byte addresses may pass 2^31 in a 4 GiB memory */
  ltU(): this { return this.op(0x49); }
  geU(): this { return this.op(0x4f); }
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  /** if (no result) on the i32 on the stack; else() starts its other branch, end() closes it. */
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }
  end(): this { return this.op(0x0b); }
  /** i32.load with alignment 2^2 and a constant byte offset. */
  i32Load(offset: number): this { return this.op(0x28, 2, ...uleb(offset)); }
  i32Store(offset: number): this { return this.op(0x36, 2, ...uleb(offset)); }
  /** f32.load / f32.store, alignment 2^2, a constant byte offset. */
  f32Load(offset: number): this { return this.op(0x2a, 2, ...uleb(offset)); }
  f32Store(offset: number): this { return this.op(0x38, 2, ...uleb(offset)); }
  /** memory.fill (bulk memory) of memory 0: [dst, byte value, length] on the stack. */
  memoryFill(): this { return this.op(0xfc, ...uleb(11), 0x00); }
  private simd(code: number, ...rest: number[]): this { return this.op(0xfd, ...uleb(code), ...rest); }
  /** v128.load with alignment 2^4 hint and a constant byte offset. */
  v128Load(offset: number): this { return this.simd(0x00, 4, ...uleb(offset)); }
  v128Store(offset: number): this { return this.simd(0x0b, 4, ...uleb(offset)); }
  load32Splat(offset: number): this { return this.simd(0x09, 2, ...uleb(offset)); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Mul(): this { return this.simd(0xe6); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Max(): this { return this.simd(0xe9); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Neg(): this { return this.simd(0xe1); }
  f32x4Lt(): this { return this.simd(0x43); }
  f32x4Ge(): this { return this.simd(0x46); }
  v128Bitselect(): this { return this.simd(0x52); }
  f32x4Nearest(): this { return this.simd(0x6a); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Extract(lane: number): this { return this.simd(0x1f, lane); }
  i32x4TruncSatF32x4(): this { return this.simd(0xf8); }
  i32x4Splat(): this { return this.simd(0x11); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Shl(): this { return this.simd(0xab); }
  f32(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return this.op(0x43, ...b);
  }
  f32Add(): this { return this.op(0x92); }
  f32Max(): this { return this.op(0x97); }
  f32Div(): this { return this.op(0x95); }
  encode(): number[] {
    // run-length group the declared locals by type
    const groups: number[][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]!++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...uleb(n!), t!])), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface ExportedFunction {
  name: string;
  params: number[];
  body: Body;
}

/** A module importing one (optionally shared) memory as env.mem and exporting `fns`. */
export function moduleBytes(memory: { initial: number; maximum: number; shared: boolean }, fns: ExportedFunction[]): Uint8Array<ArrayBuffer> {
  const types = section(1, vec(fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00])));
  const limits = [memory.shared ? 0x03 : 0x01, ...uleb(memory.initial), ...uleb(memory.maximum)];
  const imports = section(2, vec([[...name('env'), ...name('mem'), 0x02, ...limits]]));
  const funcs = section(3, vec(fns.map((_, i) => uleb(i))));
  const exports = section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(fns.map((f) => f.body.encode())));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}
