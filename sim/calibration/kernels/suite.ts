/**
 * The reference kernel suite: each kernel definition builds an instance on real buffers for one
 * (implementation, size), knows its FLOP and byte counts, and checks its output against the naive
 * reference (every element on small sizes, a spread sample of elements on large ones).
 */
import { WasmArena, type WasmModuleName } from '../wasm.ts';
import * as K from './ts.ts';

export type Impl = 'ts' | 'wasm';
export type RoofDtype = 'fp32' | 'fp64' | 'int8';
export type KernelClass = 'memory' | 'compute';

export interface CheckResult {
  ok: boolean;
  checked: number;
  max_rel_err: number;
}

export interface KernelInstance {
  /** FLOP (int ops for int kernels) per call */
  flops: number;
  /** compulsory bytes moved per call */
  bytes: number;
  /** working set, bytes (selects the memory level) */
  ws_bytes: number;
  /** run the kernel `iters` times; returns a value read from the output (dead-code guard) */
  run(iters: number): number;
  /** compare the output against the naive reference; all elements when `full` */
  check(full: boolean): CheckResult;
  /** sum of the output buffer */
  checksum(): number;
}

export interface KernelDef {
  name: string;
  klass: KernelClass;
  /** compute ceiling this kernel is held against */
  roof: RoofDtype;
  impls: Impl[];
  /** what `size` means */
  size_unit: string;
  sizes: { quick: number[]; full: number[] };
  /** size used for the full self-check before timing */
  check_size: number;
  /** smallest legal size, timed to estimate the per-operator overhead */
  tiny_size?: number;
  make(impl: Impl, size: number): Promise<KernelInstance>;
}

// ---------- helpers ----------

/** Deterministic fill in [lo, hi) (xorshift32); cheap enough for 100 MB buffers. */
export function fill(a: Float32Array | Float64Array, seed: number, lo = -1, hi = 1): void {
  let s = seed >>> 0 || 1;
  const span = (hi - lo) / 4294967296;
  for (let i = 0; i < a.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = lo + (s >>> 0) * span;
  }
}
export function fillInt(a: Int8Array | Uint8Array, seed: number, lo: number, hi: number): void {
  let s = seed >>> 0 || 1;
  const span = hi - lo + 1;
  for (let i = 0; i < a.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = lo + ((s >>> 0) % span);
  }
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** Number of output elements the post-timing check compares (all of them on small sizes). */
export const CHECK_SAMPLES = 64;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Stride of the spread sample over n elements: the integer nearest n / golden ratio that is
 * coprime with n. Index c x stride mod n then visits distinct elements in a low-discrepancy order,
 * and for a row-major n = rows x cols matrix distinct rows AND columns (stride mod cols is coprime
 * with cols), where evenly spaced flat indices hit one or two columns of a square matrix.
 */
export function sampleStride(n: number): number {
  let s = Math.max(1, Math.round(n * 0.6180339887498949));
  while (s > 1 && gcd(n, s) !== 1) s++;
  return n > 1 && s >= n ? 1 : s;
}

/** The flat indices the sampled check compares: c x stride mod n for c < min(n, CHECK_SAMPLES). */
export function sampleIndices(n: number): number[] {
  const stride = sampleStride(n);
  return Array.from({ length: Math.min(n, CHECK_SAMPLES) }, (_, c) => (c * stride) % n);
}

/** Compare out[idx] with ref(idx) -> [value, magnitude] on all indices or a spread sample of them. */
export function checkAgainst(
  out: ArrayLike<number>,
  ref: (idx: number) => [number, number],
  full: boolean,
  rtol: number,
): CheckResult {
  const n = out.length;
  const sample = full ? undefined : sampleIndices(n);
  const count = sample ? sample.length : n;
  let maxRel = 0;
  let ok = true;
  for (let c = 0; c < count; c++) {
    const idx = sample ? sample[c]! : c;
    const [v, mag] = ref(idx);
    const err = Math.abs(out[idx]! - v);
    const tol = rtol * Math.max(Math.abs(v), mag) + 1e-30;
    const rel = err / Math.max(Math.abs(v), mag, 1e-30);
    if (rel > maxRel) maxRel = rel;
    if (!(err <= tol) && !(rtol === 0 && err === 0)) ok = false;
  }
  return { ok, checked: count, max_rel_err: maxRel };
}

function instance(
  flops: number,
  bytes: number,
  ws: number,
  out: () => ArrayLike<number>,
  once: () => void,
  ref: (idx: number) => [number, number],
  rtol: number,
): KernelInstance {
  return {
    flops,
    bytes,
    ws_bytes: ws,
    run(iters: number): number {
      for (let i = 0; i < iters; i++) once();
      const o = out();
      return o[0]! + o[o.length - 1]!;
    },
    check: (full) => checkAgainst(out(), ref, full, rtol),
    checksum: () => sum(out()),
  };
}

const FP32_RTOL = 2e-4;

type ViewOf = { f32: Float32Array; f64: Float64Array; i8: Int8Array; u8: Uint8Array; i32: Int32Array };
type ViewKind = keyof ViewOf;
const BYTES: Record<ViewKind, number> = { f32: 4, f64: 8, i8: 1, u8: 1, i32: 4 };
const CTOR = { f32: Float32Array, f64: Float64Array, i8: Int8Array, u8: Uint8Array, i32: Int32Array };
type Exports = Record<string, (...args: number[]) => number>;

/**
 * The buffers of one kernel instance: plain typed arrays for 'ts', views into a fresh WASM linear
 * memory for 'wasm' (then `p` holds their byte offsets and `ex` the module exports).
 */
async function buffers<T extends ViewKind[]>(
  impl: Impl,
  mod: WasmModuleName,
  kinds: [...T],
  lens: number[],
): Promise<{ v: { [I in keyof T]: ViewOf[T[I]] }; p: number[]; ex: Exports }> {
  if (impl === 'ts') {
    return { v: kinds.map((k, i) => new CTOR[k](lens[i]!)) as never, p: [], ex: {} };
  }
  const total = kinds.reduce((s, k, i) => s + Math.ceil((BYTES[k] * lens[i]!) / 64) * 64, 0);
  const ar = await WasmArena.create(mod, total + 256);
  const p = kinds.map((k, i) => ar.alloc(BYTES[k] * lens[i]!));
  const v = kinds.map((k, i) => new CTOR[k](ar.memory.buffer, p[i]!, lens[i]!));
  return { v: v as never, p, ex: ar.exports };
}

// ---------- STREAM ----------

type StreamOp = 'copy' | 'scale' | 'add' | 'triad';
const STREAM_ARRAYS: Record<StreamOp, number> = { copy: 2, scale: 2, add: 3, triad: 3 };
const STREAM_FLOPS: Record<StreamOp, number> = { copy: 0, scale: 1, add: 1, triad: 2 };
const S = 3.0;
const KiB = 1024;

function streamDef(op: StreamOp, impls: Impl[]): KernelDef {
  const arrays = STREAM_ARRAYS[op];
  return {
    name: `stream_${op}`,
    klass: 'memory',
    roof: 'fp64',
    impls,
    size_unit: 'working set, bytes',
    // quick: octave steps 16 KiB .. 128 MiB; full: half-octave steps 16 KiB (L1) .. 256 MiB
    sizes: {
      quick: Array.from({ length: 14 }, (_, i) => 16 * KiB * 2 ** i),
      full: Array.from({ length: 29 }, (_, i) => Math.round(16 * KiB * 2 ** (i / 2))),
    },
    check_size: 4 * KiB,
    tiny_size: 4 * 8 * arrays,
    async make(impl, size) {
      const n = Math.max(4, Math.floor(size / (arrays * 8) / 4) * 4);
      const ws = arrays * 8 * n;
      const {
        v: [x, y, dst],
        p: [px, py, pd],
        ex,
      } = await buffers(impl, 'stream', ['f64', 'f64', 'f64'], [n, n, n]);
      const once =
        impl === 'ts'
          ? { copy: () => K.streamCopy(dst, x, n), scale: () => K.streamScale(dst, x, S, n), add: () => K.streamAdd(dst, x, y, n), triad: () => K.streamTriad(dst, x, y, S, n) }[op]
          : { copy: () => void ex.copy!(pd!, px!, n), scale: () => void ex.scale!(pd!, px!, S, n), add: () => void ex.add!(pd!, px!, py!, n), triad: () => void ex.triad!(pd!, px!, py!, S, n) }[op];
      fill(x, 11);
      fill(y, 12);
      const ref = {
        copy: (i: number): [number, number] => [x[i]!, 0],
        scale: (i: number): [number, number] => [S * x[i]!, 0],
        add: (i: number): [number, number] => [x[i]! + y[i]!, 0],
        triad: (i: number): [number, number] => [x[i]! + S * y[i]!, 0],
      }[op];
      return instance(STREAM_FLOPS[op] * n, ws, ws, () => dst, once, ref, 1e-15);
    },
  };
}

// ---------- GEMM ----------

function gemmFloatDef(dtype: 'fp32' | 'fp64'): KernelDef {
  const e = dtype === 'fp32' ? 4 : 8;
  return {
    name: `gemm_${dtype}`,
    klass: 'compute',
    roof: dtype,
    impls: dtype === 'fp32' ? ['ts', 'wasm'] : ['ts'],
    size_unit: 'M = N = K',
    sizes: { quick: [64, 96, 128, 192, 256], full: [64, 96, 128, 160, 192, 256, 320, 384, 512] },
    check_size: 24,
    tiny_size: 8,
    async make(impl, n) {
      const nn = n * n;
      const kind = dtype === 'fp32' ? 'f32' : 'f64';
      const {
        v: [a, b, bp, c],
        p: [pa, pb, pp, pc],
        ex,
      } = await buffers(impl, 'gemm', [kind, kind, kind, kind], [nn, nn, impl === 'ts' ? 0 : nn, nn]);
      // one monomorphic TS function per element type: a shared one ran slower after the other type
      const once =
        impl === 'ts'
          ? a instanceof Float32Array
            ? () => K.gemmF32(a, b as Float32Array, c as Float32Array, n, n, n)
            : () => K.gemmF64(a as Float64Array, b as Float64Array, c as Float64Array, n, n, n)
          : () => {
              ex.pack_b!(pb!, pp!, n, n);
              ex.gemm_f32!(pa!, pp!, pc!, n, n, n);
            };
      void bp;
      fill(a, 21);
      fill(b, 22);
      const ref = (idx: number) => K.gemmRefAt(a, b, n, n, Math.floor(idx / n), idx % n);
      return instance(2 * n * nn, 3 * e * nn, 3 * e * nn, () => c, once, ref, dtype === 'fp32' ? FP32_RTOL : 1e-12);
    },
  };
}

const gemmI8Def: KernelDef = {
  name: 'gemm_int8',
  klass: 'compute',
  roof: 'int8',
  impls: ['ts', 'wasm'],
  size_unit: 'M = N = K',
  sizes: { quick: [64, 96, 128, 192, 256], full: [64, 96, 128, 160, 192, 256, 320, 384, 512] },
  check_size: 32,
  tiny_size: 16,
  async make(impl, n) {
    const nn = n * n;
    const {
      v: [a, bt, c],
      p: [pa, pb, pc],
      ex,
    } = await buffers(impl, 'gemm', ['i8', 'i8', 'i32'], [nn, nn, nn]);
    const once = impl === 'ts' ? () => K.gemmI8(a, bt, c, n, n, n) : () => void ex.gemm_i8!(pa!, pb!, pc!, n, n, n);
    fillInt(a, 31, -64, 63);
    fillInt(bt, 32, -64, 63);
    const ref = (idx: number) => K.dotI8RefAt(a, bt, n, Math.floor(idx / n), idx % n);
    return instance(2 * n * nn, 6 * nn, 6 * nn, () => c, once, ref, 0);
  },
};

// ---------- GEMV ----------

/**
 * Square GEMV sizes: weight matrix from 16 KiB-ish to 64 MiB, plus `dram` extra weight sizes (KiB)
 * on the DRAM plateau (>= 3 x LLC: 96 MiB for a 32 MiB LLC) where the memory efficiency is fitted.
 */
function gemvSizes(bytesPerWeight: number, dram: { quick: number[]; full: number[] } = { quick: [], full: [] }): { quick: number[]; full: number[] } {
  const dims = (ks: number[]) => ks.map((w) => Math.max(64, Math.round(Math.sqrt(w / bytesPerWeight) / 64) * 64));
  const uniq = (a: number[]) => [...new Set(a)];
  return {
    quick: uniq(dims([...[16, 64, 256, 1024, 4096, 16384, 65536], ...dram.quick].map((k) => k * KiB))),
    full: uniq(dims([...Array.from({ length: 17 }, (_, i) => 16 * KiB * 2 ** (i * 0.75)), ...dram.full.map((k) => k * KiB)])),
  };
}

/** fp32 GEMV weights past 3 x a 32 MiB LLC (128 and 192 MiB), the points the memory efficiency is fitted on */
const GEMV_DRAM_KIB = { quick: [131072], full: [131072, 196608] };

/** Square GEMV y = W x: fp32, or int8 weights and activations with int32 accumulation. */
function gemvDef(dtype: 'fp32' | 'int8'): KernelDef {
  const f = dtype === 'fp32';
  return {
    name: `gemv_${dtype}`,
    klass: 'compute',
    roof: dtype,
    impls: ['ts', 'wasm'],
    size_unit: 'M = K',
    sizes: f ? gemvSizes(4, GEMV_DRAM_KIB) : gemvSizes(1),
    check_size: 64,
    tiny_size: f ? 4 : 16,
    async make(impl, n) {
      const nn = n * n;
      let once: () => void;
      let ref: (i: number) => [number, number];
      let y: Float32Array | Int32Array;
      if (f) {
        const { v, p, ex } = await buffers(impl, 'gemv', ['f32', 'f32', 'f32'], [nn, n, n]);
        const [w, x, yy] = v;
        fill(w, 41);
        fill(x, 42);
        once = impl === 'ts' ? () => K.gemvF32(w, x, yy, n, n) : () => void ex.gemv_f32!(p[0]!, p[1]!, p[2]!, n, n);
        ref = (i) => K.gemvRefAt(w, x, n, i);
        y = yy;
      } else {
        const { v, p, ex } = await buffers(impl, 'gemv', ['i8', 'i8', 'i32'], [nn, n, n]);
        const [w, x, yy] = v;
        fillInt(w, 51, -127, 127);
        fillInt(x, 52, -127, 127);
        once = impl === 'ts' ? () => K.gemvI8(w, x, yy, n, n) : () => void ex.gemv_i8!(p[0]!, p[1]!, p[2]!, n, n);
        ref = (i) => K.dotI8RefAt(w, x, n, i, 0);
        y = yy;
      }
      const e = f ? 4 : 1;
      const bytes = e * nn + e * n + 4 * n;
      return instance(2 * nn, bytes, bytes, () => y, once, ref, f ? FP32_RTOL : 0);
    },
  };
}

const gemvQ4Def: KernelDef = {
  name: 'gemv_q4',
  klass: 'compute',
  roof: 'fp32',
  impls: ['ts', 'wasm'],
  size_unit: 'M = K',
  sizes: gemvSizes(0.5 + 4 / 32),
  check_size: 64,
  tiny_size: 32,
  async make(impl, n) {
    const nn = n * n;
    const G = nn / K.Q4_GROUP;
    const {
      v: [q, s, x, y],
      p: [pq, ps, px, py],
      ex,
    } = await buffers(impl, 'gemv', ['u8', 'f32', 'f32', 'f32'], [nn / 2, G, n, n]);
    const once = impl === 'ts' ? () => K.gemvQ4(q, s, x, y, n, n) : () => void ex.gemv_q4!(pq!, ps!, px!, py!, n, n);
    fillInt(q, 61, 0, 255);
    fill(s, 62, 0.001, 0.02);
    fill(x, 63);
    const bytes = nn / 2 + 4 * G + 8 * n;
    return instance(2 * nn, bytes, bytes, () => y, once, (i) => K.gemvQ4RefAt(q, s, x, n, i), FP32_RTOL);
  },
};

// ---------- attention ----------

export const ATTN_HEADS = 8;
export const ATTN_HEAD_DIM = 64;
export const PREFILL_CHUNK = 32;

function attentionDef(name: string, T: number, sizes: { quick: number[]; full: number[] }, checkSize: number): KernelDef {
  const H = ATTN_HEADS;
  const d = ATTN_HEAD_DIM;
  return {
    name,
    klass: 'compute',
    roof: 'fp32',
    impls: ['ts'],
    size_unit: `context tokens (heads ${H}, head dim ${d}, ${T} query token${T > 1 ? 's' : ''})`,
    sizes,
    check_size: checkSize,
    async make(_impl, L) {
      const hd = H * d;
      const q = new Float32Array(T * hd);
      const kc = new Float32Array(L * hd);
      const vc = new Float32Array(L * hd);
      const out = new Float32Array(T * hd);
      const scores = new Float32Array(L);
      fill(q, 71);
      fill(kc, 72);
      fill(vc, 73);
      let pairs = 0;
      for (let t = 0; t < T; t++) pairs += L - T + t + 1;
      const flops = H * pairs * (4 * d + 5);
      const bytes = 4 * (2 * L * hd + 2 * T * hd);
      const ref = (idx: number) => {
        const t = Math.floor(idx / hd);
        const h = Math.floor((idx % hd) / d);
        return K.attentionRefAt(q, kc, vc, T, L, H, d, t, h, idx % d);
      };
      return instance(flops, bytes, bytes, () => out, () => K.attention(q, kc, vc, out, scores, T, L, H, d), ref, FP32_RTOL);
    },
  };
}

// ---------- softmax, RMSNorm, SiLU ----------

type RowOp = 'softmax' | 'rmsnorm' | 'silu';
function rowDef(op: RowOp): KernelDef {
  const vectors = op === 'rmsnorm' ? 3 : 2;
  const n = (k: number) => k * 1024;
  return {
    name: op,
    klass: 'memory',
    roof: 'fp32',
    impls: ['ts'],
    size_unit: 'elements',
    sizes: { quick: [1, 4, 16, 64, 256, 1024].map(n), full: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096].map(n) },
    check_size: 1000,
    tiny_size: 4,
    async make(_impl, len) {
      const x = new Float32Array(len);
      const g = new Float32Array(len);
      const out = new Float32Array(len);
      fill(x, 81, -4, 4);
      fill(g, 82, 0.5, 1.5);
      let ref: (i: number) => [number, number];
      let once: () => void;
      if (op === 'softmax') {
        let mx = -Infinity;
        for (const v of x) mx = Math.max(mx, v);
        let z = 0;
        for (const v of x) z += Math.exp(v - mx);
        ref = (i) => [Math.exp(x[i]! - mx) / z, 0];
        once = () => K.softmax(x, out, len);
      } else if (op === 'rmsnorm') {
        let ss = 0;
        for (const v of x) ss += v * v;
        const inv = 1 / Math.sqrt(ss / len + 1e-6);
        ref = (i) => [x[i]! * inv * g[i]!, 0];
        once = () => K.rmsnorm(x, g, out, len);
      } else {
        ref = (i) => [x[i]! / (1 + Math.exp(-x[i]!)), 0];
        once = () => K.silu(x, out, len);
      }
      const bytes = 4 * vectors * len;
      return instance(4 * len, bytes, bytes, () => out, once, ref, 1e-4);
    },
  };
}

export const KERNELS: KernelDef[] = [
  streamDef('copy', ['ts', 'wasm']),
  streamDef('scale', ['ts', 'wasm']),
  streamDef('add', ['ts', 'wasm']),
  streamDef('triad', ['ts', 'wasm']),
  gemmFloatDef('fp32'),
  gemmFloatDef('fp64'),
  gemmI8Def,
  gemvDef('fp32'),
  gemvDef('int8'),
  gemvQ4Def,
  attentionDef('attn_decode', 1, { quick: [128, 256, 512, 1024, 2048, 4096, 8192], full: [128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192] }, 40),
  attentionDef('attn_prefill', PREFILL_CHUNK, { quick: [128, 256, 512, 1024], full: [128, 192, 256, 384, 512, 768, 1024, 1536, 2048] }, 40),
  rowDef('softmax'),
  rowDef('rmsnorm'),
  rowDef('silu'),
];

export function kernelByName(name: string): KernelDef {
  const k = KERNELS.find((d) => d.name === name);
  if (!k) throw new Error(`unknown kernel ${name}`);
  return k;
}
