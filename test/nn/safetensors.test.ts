import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../core/index.js';
import { HostStorage, type TypedArray } from '../../kernels/index.js';
import { deserialize, half_to_float, load_file, load_file_with_metadata, save_file, serialize } from '../../nn/safetensors.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'bas-st-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

// Tensors straight on their typed arrays, so NaN payloads are not touched on the way in.
const raw = (a: TypedArray, shape: number[] = [a.length]): Tensor => new Tensor(new HostStorage(a), shape);
const bits32 = (t: Tensor): number[] => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)];
const bits64 = (t: Tensor): bigint[] => [...new BigUint64Array(t.data.buffer, t.data.byteOffset, t.data.length)];

function f32FromBits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}
function f64FromBits(bits: bigint[]): Float64Array {
  return new Float64Array(new BigUint64Array(bits).buffer);
}

/** A file from a header object and data bytes, for hand-made and broken files. */
function build(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function parseHeader(bytes: Uint8Array): { n: number; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
  return { n, header: JSON.parse(text) as never };
}

describe('safetensors write/read', () => {
  it('round trips bit-exactly, NaN payloads, -0, denormals and infinities included', () => {
    const f32 = raw(
      f32FromBits([0x7fc00001, 0x7f800001, 0xffc12345, 0x80000000, 0x00000001, 0x007fffff, 0x7f800000, 0xff800000, 0x3f800000, 0x7f7fffff]),
      [2, 5],
    );
    const f64 = raw(f64FromBits([0x7ff8000000000001n, 0x7ff0000000000001n, 0x8000000000000000n, 1n, 0x000fffffffffffffn, 0x3ff0000000000000n]), [3, 1, 2]);
    const scalar = raw(new Float32Array([Math.PI]), []);
    const empty = raw(new Float64Array(0), [0, 4]);
    const bytes = serialize({ 'a.weight': f32, 'b.bias': f64, scalar, empty }, { format: 'pt', note: 'ünïcödé' });
    const { tensors, metadata } = deserialize(bytes);
    expect(Object.keys(tensors).sort()).toEqual(['a.weight', 'b.bias', 'empty', 'scalar']);
    expect(bits32(tensors['a.weight']!)).toEqual(bits32(f32));
    expect(tensors['a.weight']!.shape).toEqual([2, 5]);
    expect(tensors['a.weight']!.dtype).toBe('float32');
    expect(bits64(tensors['b.bias']!)).toEqual(bits64(f64));
    expect(tensors['b.bias']!.dtype).toBe('float64');
    expect(tensors['b.bias']!.shape).toEqual([3, 1, 2]);
    expect(tensors.scalar!.shape).toEqual([]);
    expect(bits32(tensors.scalar!)).toEqual(bits32(scalar));
    expect(tensors.empty!.shape).toEqual([0, 4]);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcödé' });
    // and the bytes are stable: serializing what was read gives the same file
    expect(Buffer.compare(serialize(tensors, metadata), bytes)).toBe(0);
  });

  it('writes a valid JSON header with contiguous, correctly sized, aligned offsets', () => {
    const tensors = {
      'z.f32': raw(new Float32Array([1, 2, 3])),
      'a.f32': raw(new Float32Array([4]), [1, 1]),
      'm.f64': raw(new Float64Array([5, 6]), [2]),
    };
    const bytes = serialize(tensors, { format: 'pt' });
    const { n, header } = parseHeader(bytes);
    expect(n % 8).toBe(0);
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    // one JSON object, then only the spaces that pad it to 8 bytes
    expect(text).toMatch(/^\{.*\} {0,7}$/s);
    expect(JSON.parse(text)).toEqual(header);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    // F64 first (alignment), then by name
    expect(header['m.f64']).toEqual({ dtype: 'F64', shape: [2], data_offsets: [0, 16] });
    expect(header['a.f32']).toEqual({ dtype: 'F32', shape: [1, 1], data_offsets: [16, 20] });
    expect(header['z.f32']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [20, 32] });
    expect(bytes.length).toBe(8 + n + 32);
    // the values sit at their offsets, little-endian
    const dv = new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
    expect(dv.getFloat64(8, true)).toBe(6);
    expect(dv.getFloat32(16, true)).toBe(4);
    expect(dv.getFloat32(28, true)).toBe(3);
  });

  it('round trips random tensor sets (property)', () => {
    const entry = fc.tuple(
      fc.constantFrom('float32', 'float64'),
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), entry, { maxKeys: 5 }), (spec) => {
        const tensors: Record<string, Tensor> = {};
        for (const [name, [dtype, shape, seed]] of Object.entries(spec)) {
          const size = shape.reduce((a, b) => a * b, 1);
          // arbitrary bit patterns, NaNs of every payload included
          const words = new Uint32Array(dtype === 'float64' ? 2 * size : size).map((_, i) => (Math.imul(seed ^ i, 0x9e3779b1) + i) >>> 0);
          tensors[name] = raw(dtype === 'float64' ? new Float64Array(words.buffer) : new Float32Array(words.buffer), shape);
        }
        const back = deserialize(serialize(tensors)).tensors;
        expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
        for (const [name, t] of Object.entries(tensors)) {
          const b = back[name]!;
          expect(b.shape).toEqual(t.shape);
          expect(b.dtype).toBe(t.dtype);
          expect([...new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)]).toEqual([...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reads F16 and BF16 into float32', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const want = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, NaN, 0.333251953125];
    const data = new Uint8Array(halves.length * 2 + 3 * 2);
    const dv = new DataView(data.buffer);
    halves.forEach((h, i) => dv.setUint16(2 * i, h, true));
    [0x3f80, 0xc040, 0x7f80].forEach((h, i) => dv.setUint16(halves.length * 2 + 2 * i, h, true));
    const file = build(
      {
        h: { dtype: 'F16', shape: [halves.length], data_offsets: [0, halves.length * 2] },
        b: { dtype: 'BF16', shape: [3], data_offsets: [halves.length * 2, halves.length * 2 + 6] },
      },
      data,
    );
    const { tensors } = deserialize(file);
    expect(tensors.h!.dtype).toBe('float32');
    expect([...tensors.h!.data]).toEqual(want);
    expect(Object.is(tensors.h!.data[6], -0)).toBe(true);
    expect([...tensors.b!.data]).toEqual([1, -3, Infinity]);
    expect(half_to_float(0x3555)).toBe(0.333251953125);
  });

  it('saves via a temporary name and loads with metadata', () => {
    const dir = mkdtempSync(join(tmpRoot, 'save-'));
    const path = join(dir, 'model.safetensors');
    save_file({ w: raw(new Float32Array([1, 2])) }, path, { format: 'pt' });
    save_file({ w: raw(new Float32Array([3, 4])) }, path);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    expect([...load_file(path).w!.data]).toEqual([3, 4]);
    expect(load_file_with_metadata(path).metadata).toEqual({});
  });
});

describe('safetensors errors name the file and the problem', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(4 * n);
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated', new Uint8Array(5), /file is truncated: 5 bytes/],
    ['header past end', (() => {
      const b = build({}, new Uint8Array(0));
      new DataView(b.buffer).setBigUint64(0, 1000n, true);
      return b;
    })(), /header length 1000 runs past the end of the file/],
    ['bad json', build(null, new Uint8Array(0), '{"a": '), /header is not valid JSON/],
    ['not an object', build(null, new Uint8Array(0), '[1, 2]'), /header does not start with "\{"/],
    ['offsets past data', build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /data_offsets \[0, 8\] run past the 4 data bytes/],
    ['overlap', build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)), /overlap the previous tensor/],
    ['gap', build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /gap in the data: bytes 0\.\.4/],
    ['trailing', build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /4 bytes after the last tensor/],
    ['unknown dtype', build({ a: { dtype: 'F13', shape: [1], data_offsets: [0, 4] } }, f32(1)), /unknown dtype "F13"/],
    ['unsupported dtype', build({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f32(2)), /dtype I64 is not supported/],
    ['size mismatch', build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /shape \[3\] of F32 needs 12 bytes, data_offsets give 8/],
    ['backwards', build({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)), /run backwards/],
    ['bad shape', build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, f32(0)), /shape must be a list of non-negative integers/],
    ['bad metadata', build({ __metadata__: { a: 1 } }, f32(0)), /__metadata__ value of "a" is not a string/],
  ];
  it.each(cases)('%s', (name, bytes, msg) => {
    const path = join(tmpRoot, `broken-${name.replace(/ /g, '_')}.safetensors`);
    writeFileSync(path, bytes);
    let err: unknown;
    try {
      load_file(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).toContain(path);
  });

  it('a missing file says so', () => {
    expect(() => load_file(join(tmpRoot, 'nope.safetensors'))).toThrow(/safetensors file not found: .*nope\.safetensors/);
  });

  it('refuses to write a tensor named __metadata__', () => {
    expect(() => serialize({ __metadata__: raw(new Float32Array(1)) })).toThrow(/cannot name a tensor/);
  });

  it('the reader accepts what the writer wrote byte for byte', () => {
    const path = join(tmpRoot, 'ok.safetensors');
    save_file({ x: raw(new Float64Array([1, 2, 3])) }, path);
    expect(Buffer.compare(readFileSync(path), serialize({ x: raw(new Float64Array([1, 2, 3])) }))).toBe(0);
  });
});
