// Module: dotted names, state dicts and their errors, train/eval, requires_grad_, zero_grad.
import { describe, expect, it } from 'vitest';
import { Generator, sum, tensor, type Tensor } from '../../core/index.js';
import { Dropout, Linear, Module, ModuleList, StateDictError } from '../../nn/index.js';

class Block extends Module {
  readonly fc: Linear;
  readonly drop: Dropout;
  constructor(g: Generator) {
    super();
    this.fc = this.add_module('fc', new Linear(3, 4, { generator: g, dtype: 'float64' }));
    this.drop = this.add_module('drop', new Dropout(0.5, new Generator(7)));
  }
  forward(x: Tensor): Tensor {
    return this.drop.forward(this.fc.forward(x));
  }
}

class Net extends Module {
  readonly layers: ModuleList<Block>;
  readonly head: Linear;
  constructor(seed: number) {
    super();
    const g = new Generator(seed);
    this.layers = this.add_module('layers', new ModuleList([new Block(g)]));
    this.head = this.add_module('head', new Linear(4, 2, { generator: g, dtype: 'float64', bias: false }));
    this.register_buffer('steps', tensor([0], { dtype: 'float64' }));
    this.register_buffer('scratch', tensor([1, 2], { dtype: 'float64' }), false);
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.layers.at(0).forward(x));
  }
}

const x = tensor([[0.1, -0.2, 0.3], [1, 2, -1]], { dtype: 'float64' });

describe('Module', () => {
  it('names parameters and buffers with dotted paths in registration order', () => {
    const net = new Net(0);
    expect(net.named_parameters().map(([n]) => n)).toEqual(['layers.0.fc.weight', 'layers.0.fc.bias', 'head.weight']);
    expect(Object.keys(net.state_dict())).toEqual(['steps', 'layers.0.fc.weight', 'layers.0.fc.bias', 'head.weight']);
    expect(net.named_buffers().map(([n]) => n)).toEqual(['steps', 'scratch']);
    expect(net.parameters().every((p) => p.requires_grad && p.is_leaf)).toBe(true);
    expect(net.num_parameters()).toBe(3 * 4 + 4 + 4 * 2);
    expect(net.get_parameter('layers.0.fc.bias')).toBe(net.layers.at(0).fc.bias);
    expect(net.get_submodule('layers.0.fc')).toBe(net.layers.at(0).fc);
    expect(net.named_modules().map(([n]) => n)).toEqual(['', 'layers', 'layers.0', 'layers.0.fc', 'layers.0.drop', 'head']);
  });

  it('lists a shared parameter once', () => {
    const a = new Linear(2, 2);
    const m = new Module();
    m.add_module('a', a);
    m.add_module('b', a);
    expect(m.named_parameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
  });

  it('round-trips a state dict into a differently initialised twin', () => {
    const a = new Net(1).eval();
    const b = new Net(2).eval();
    expect(b.forward(x).tolist()).not.toEqual(a.forward(x).tolist());
    const weightBefore = b.head.weight;
    expect(b.load_state_dict(a.state_dict())).toEqual({ missing_keys: [], unexpected_keys: [] });
    expect(b.forward(x).tolist()).toEqual(a.forward(x).tolist());
    expect(b.head.weight).toBe(weightBefore); // loaded in place: optimizers keep their tensors
  });

  it('lists missing, unexpected and mis-shaped keys in one error and changes nothing', () => {
    const a = new Net(1);
    const b = new Net(2);
    const before = b.head.weight.tolist();
    const sd = a.state_dict();
    delete sd['layers.0.fc.bias'];
    sd['layers.0.fc.extra'] = tensor([1]);
    sd['head.weight'] = tensor([[1, 2, 3]]);
    let err: unknown;
    try {
      b.load_state_dict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const e = err as StateDictError;
    expect(e.missing_keys).toEqual(['layers.0.fc.bias']);
    expect(e.unexpected_keys).toEqual(['layers.0.fc.extra']);
    expect(e.mismatched).toEqual([{ key: 'head.weight', expected: [2, 4], got: [1, 3] }]);
    expect(e.message).toContain('missing keys (1): layers.0.fc.bias');
    expect(e.message).toContain('unexpected keys (1): layers.0.fc.extra');
    expect(e.message).toContain('head.weight (expected [2, 4], got [1, 3])');
    expect(b.head.weight.tolist()).toEqual(before);
  });

  it('non-strict loading reports missing and unexpected keys; a mis-shaped key still throws', () => {
    const a = new Net(1);
    const b = new Net(2);
    const sd = a.state_dict();
    delete sd['head.weight'];
    sd['bogus'] = tensor([0]);
    expect(b.load_state_dict(sd, false)).toEqual({ missing_keys: ['head.weight'], unexpected_keys: ['bogus'] });
    expect(b.layers.at(0).fc.weight.tolist()).toEqual(a.layers.at(0).fc.weight.tolist());
    sd['layers.0.fc.bias'] = tensor([1, 2]);
    expect(() => b.load_state_dict(sd, false)).toThrow(/mis-shaped keys \(1\): layers.0.fc.bias/);
  });

  it('casts loaded values to the parameter dtype', () => {
    const a = new Linear(2, 2, { dtype: 'float32', generator: new Generator(3) });
    const b = new Linear(2, 2, { dtype: 'float64', generator: new Generator(4) });
    b.load_state_dict(a.state_dict());
    expect(b.weight.dtype).toBe('float64');
    expect(Array.from(b.weight.data)).toEqual(Array.from(a.weight.data));
  });

  it('train() and eval() reach every descendant and switch dropout', () => {
    const net = new Net(0);
    expect(net.modules().every((m) => m.training)).toBe(true);
    const big = tensor(Array.from({ length: 200 }, () => [1, 1, 1]), { dtype: 'float64' });
    const trained = net.layers.at(0).forward(big).data;
    const zeros = Array.from(trained).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(200);
    expect(zeros).toBeLessThan(600);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    expect(net.layers.at(0).forward(big).tolist()).toEqual(net.layers.at(0).fc.forward(big).tolist());
    net.train();
    expect(net.layers.at(0).drop.training).toBe(true);
  });

  it('requires_grad_ freezes and unfreezes every parameter; zero_grad drops grads', () => {
    const net = new Net(0).eval();
    sum(net.forward(x)).backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zero_grad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    net.requires_grad_(false);
    expect(net.parameters().some((p) => p.requires_grad)).toBe(false);
    expect(net.forward(x).requires_grad).toBe(false);
    net.layers.requires_grad_(true);
    sum(net.forward(x)).backward();
    expect(net.head.weight.grad).toBeNull();
    expect(net.layers.at(0).fc.weight.grad).not.toBeNull();
  });

  it('rejects names with dots and clashes between kinds', () => {
    const m = new Module();
    expect(() => m.register_parameter('a.b', tensor([1]))).toThrow(/contain no "."/);
    m.add_module('x', new Module());
    expect(() => m.register_parameter('x', tensor([1]))).toThrow(/already a module/);
    expect(() => new ModuleList().at(0)).toThrow(RangeError);
  });
});
