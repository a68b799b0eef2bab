// Elementwise maps as SIMD WebAssembly, compiled from a small expression language: used for the
// exp-based activations and their gradients, which gpu.js's webasm mode evaluates through a JS
// Math.exp import per lane. One exported function per formula: f(x, g, y, quads) reads x (and
// g, the incoming gradient) and writes y, 4 floats per quad, byte addresses.
import { Body, I32, moduleBytes, V128 } from './emit.js';
import { emitExp } from './softmax_module.js';

export type Expr =
  | { k: 'x' }
  | { k: 'g' }
  | { k: 'c'; v: number }
  | { k: 'ref'; name: string }
  | { k: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min'; a: Expr; b: Expr }
  | { k: 'neg' | 'abs' | 'exp'; a: Expr }
  /** lt(a, b) ? t : f, lane-wise */
  | { k: 'ltsel'; a: Expr; b: Expr; t: Expr; f: Expr };

/** A formula: named steps, each may use the earlier ones; the last step is the result. */
export type Formula = readonly (readonly [string, Expr])[];

export const X: Expr = { k: 'x' };
export const G: Expr = { k: 'g' };
export const c = (v: number): Expr => ({ k: 'c', v });
export const r = (name: string): Expr => ({ k: 'ref', name });
export const add = (a: Expr, b: Expr): Expr => ({ k: 'add', a, b });
export const sub = (a: Expr, b: Expr): Expr => ({ k: 'sub', a, b });
export const mul = (a: Expr, b: Expr): Expr => ({ k: 'mul', a, b });
export const div = (a: Expr, b: Expr): Expr => ({ k: 'div', a, b });
export const neg = (a: Expr): Expr => ({ k: 'neg', a });
export const abs = (a: Expr): Expr => ({ k: 'abs', a });
export const exp = (a: Expr): Expr => ({ k: 'exp', a });
export const ltsel = (a: Expr, b: Expr, t: Expr, f: Expr): Expr => ({ k: 'ltsel', a, b, t, f });

class Emitter {
  readonly f = new Body(4);
  private readonly names = new Map<string, number>();
  private readonly scratch: number[];
  readonly xv: number;
  readonly gv: number;
  constructor() {
    this.xv = this.f.local(V128);
    this.gv = this.f.local(V128);
    this.scratch = [this.f.local(V128), this.f.local(V128), this.f.local(V128), this.f.local(V128)];
  }
  bind(name: string, e: Expr): void {
    this.expr(e);
    const l = this.f.local(V128);
    this.f.set(l);
    this.names.set(name, l);
  }
  /** Leaves the v128 value of `e` on the stack. */
  expr(e: Expr): void {
    const f = this.f;
    switch (e.k) {
      case 'x': f.get(this.xv); return;
      case 'g': f.get(this.gv); return;
      case 'c': f.f32(e.v).f32x4Splat(); return;
      case 'ref': {
        const l = this.names.get(e.name);
        if (l === undefined) throw new Error(`map formula: "${e.name}" used before it is bound`);
        f.get(l);
        return;
      }
      case 'neg': this.expr(e.a); f.f32x4Neg(); return;
      case 'abs': this.expr(e.a); f.f32x4Abs(); return;
      case 'exp': {
        const [v, out, rr, n] = this.scratch as [number, number, number, number];
        this.expr(e.a);
        f.set(v);
        emitExp(f, v, out, rr, n);
        f.get(out);
        return;
      }
      case 'ltsel':
        this.expr(e.t);
        this.expr(e.f);
        this.expr(e.a);
        this.expr(e.b);
        f.f32x4Lt().v128Bitselect();
        return;
      default: {
        this.expr(e.a);
        this.expr(e.b);
        const ops = { add: () => f.f32x4Add(), sub: () => f.f32x4Sub(), mul: () => f.f32x4Mul(), div: () => f.f32x4Div(), max: () => f.f32x4Max(), min: () => f.f32x4Min() };
        ops[e.k]();
      }
    }
  }
}

/** f(x, g, y, quads) for `formula`. */
function mapBody(formula: Formula): Body {
  const em = new Emitter();
  const f = em.f;
  const [xp, gp, yp, quads] = [0, 1, 2, 3];
  const end = f.local(I32);
  f.block().get(quads).i32(0).op(0x4c /* i32.le_s */).brIf(0);
  f.get(xp).get(quads).i32(16).mul().add().set(end);
  f.loop();
  f.get(xp).v128Load(0).set(em.xv);
  f.get(gp).v128Load(0).set(em.gv);
  formula.forEach(([name, e]) => em.bind(name, e));
  f.get(yp);
  em.expr(r(formula[formula.length - 1]![0]));
  f.v128Store(0);
  f.get(gp).i32(16).add().set(gp);
  f.get(yp).i32(16).add().set(yp);
  f.get(xp).i32(16).add().tee(xp).get(end).ltU().brIf(0);
  f.end().end();
  return f;
}

export function mapModuleBytes(formulas: Record<string, Formula>, shared: boolean, maxPages: number): Uint8Array<ArrayBuffer> {
  return moduleBytes({ initial: 1, maximum: maxPages, shared }, Object.entries(formulas).map(([name, formula]) => ({ name, params: [I32, I32, I32, I32], body: mapBody(formula) })));
}
