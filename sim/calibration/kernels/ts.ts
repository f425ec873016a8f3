/**
 * Plain TypeScript kernels on typed arrays, and their naive references (one output element at a
 * time, accumulated in float64). Pure functions over caller-owned buffers; no allocation inside.
 */

// ---- STREAM (f64) ----
export function streamCopy(dst: Float64Array, x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = x[i]!;
}
export function streamScale(dst: Float64Array, x: Float64Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = s * x[i]!;
}
export function streamAdd(dst: Float64Array, x: Float64Array, y: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = x[i]! + y[i]!;
}
export function streamTriad(dst: Float64Array, x: Float64Array, y: Float64Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = x[i]! + s * y[i]!;
}

// ---- GEMM: C[MxN] = A[MxK] B[KxN], row-major, cache-blocked i-k-j ----
// Two copies on purpose, one per element type: a function V8 has seen with Float32Array and
// Float64Array is polymorphic and slower, so one shared function timed fp64 differently depending
// on whether fp32 ran first.
export const GEMM_BLOCK = 64;
export function gemmF32(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number): void {
  c.fill(0, 0, M * N);
  const BS = GEMM_BLOCK;
  for (let ii = 0; ii < M; ii += BS) {
    const iEnd = Math.min(ii + BS, M);
    for (let kk = 0; kk < K; kk += BS) {
      const kEnd = Math.min(kk + BS, K);
      for (let jj = 0; jj < N; jj += BS) {
        const jEnd = Math.min(jj + BS, N);
        for (let i = ii; i < iEnd; i++) {
          const ci = i * N;
          for (let k = kk; k < kEnd; k++) {
            const aik = a[i * K + k]!;
            const bk = k * N;
            for (let j = jj; j < jEnd; j++) c[ci + j]! += aik * b[bk + j]!;
          }
        }
      }
    }
  }
}
export function gemmF64(a: Float64Array, b: Float64Array, c: Float64Array, M: number, N: number, K: number): void {
  c.fill(0, 0, M * N);
  const BS = GEMM_BLOCK;
  for (let ii = 0; ii < M; ii += BS) {
    const iEnd = Math.min(ii + BS, M);
    for (let kk = 0; kk < K; kk += BS) {
      const kEnd = Math.min(kk + BS, K);
      for (let jj = 0; jj < N; jj += BS) {
        const jEnd = Math.min(jj + BS, N);
        for (let i = ii; i < iEnd; i++) {
          const ci = i * N;
          for (let k = kk; k < kEnd; k++) {
            const aik = a[i * K + k]!;
            const bk = k * N;
            for (let j = jj; j < jEnd; j++) c[ci + j]! += aik * b[bk + j]!;
          }
        }
      }
    }
  }
}
export function gemmRefAt(a: ArrayLike<number>, b: ArrayLike<number>, N: number, K: number, i: number, j: number): [number, number] {
  let s = 0;
  let m = 0;
  for (let k = 0; k < K; k++) {
    const t = a[i * K + k]! * b[k * N + j]!;
    s += t;
    m += Math.abs(t);
  }
  return [s, m];
}

// ---- GEMV fp32: y[M] = W[MxK] x[K] ----
export function gemvF32(w: Float32Array, x: Float32Array, y: Float32Array, M: number, K: number): void {
  for (let i = 0; i < M; i++) {
    let s0 = 0;
    let s1 = 0;
    const r = i * K;
    let k = 0;
    for (; k + 1 < K; k += 2) {
      s0 += w[r + k]! * x[k]!;
      s1 += w[r + k + 1]! * x[k + 1]!;
    }
    for (; k < K; k++) s0 += w[r + k]! * x[k]!;
    y[i] = s0 + s1;
  }
}
export function gemvRefAt(w: ArrayLike<number>, x: ArrayLike<number>, K: number, i: number): [number, number] {
  let s = 0;
  let m = 0;
  for (let k = 0; k < K; k++) {
    const t = w[i * K + k]! * x[k]!;
    s += t;
    m += Math.abs(t);
  }
  return [s, m];
}

// ---- int8 with int32 accumulation ----
/** C[MxN] (i32) = A[MxK] (i8) * Bt[NxK]^T (i8). */
export function gemmI8(a: Int8Array, bt: Int8Array, c: Int32Array, M: number, N: number, K: number): void {
  for (let i = 0; i < M; i++) {
    const ar = i * K;
    for (let j = 0; j < N; j++) {
      const br = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s = (s + a[ar + k]! * bt[br + k]!) | 0;
      c[i * N + j] = s;
    }
  }
}
export function gemvI8(w: Int8Array, x: Int8Array, y: Int32Array, M: number, K: number): void {
  for (let i = 0; i < M; i++) {
    const r = i * K;
    let s = 0;
    for (let k = 0; k < K; k++) s = (s + w[r + k]! * x[k]!) | 0;
    y[i] = s;
  }
}
/** Exact int dot of row i of A (MxK) with row j of Bt (NxK). */
export function dotI8RefAt(a: ArrayLike<number>, bt: ArrayLike<number>, K: number, i: number, j: number): [number, number] {
  let s = 0;
  for (let k = 0; k < K; k++) s += a[i * K + k]! * bt[j * K + k]!;
  return [s, 0];
}

// ---- Q4_0-like GEMV: 32 weights per group, fp32 scale, byte j = w[j] | w[j+16] << 4 ----
export const Q4_GROUP = 32;
export function gemvQ4(q: Uint8Array, s: Float32Array, x: Float32Array, y: Float32Array, M: number, K: number): void {
  const G = K / Q4_GROUP;
  for (let i = 0; i < M; i++) {
    let acc = 0;
    for (let g = 0; g < G; g++) {
      const qb = (i * G + g) * 16;
      const xb = g * Q4_GROUP;
      let sum = 0;
      for (let j = 0; j < 16; j++) {
        const byte = q[qb + j]!;
        sum += ((byte & 15) - 8) * x[xb + j]! + ((byte >> 4) - 8) * x[xb + j + 16]!;
      }
      acc += sum * s[i * G + g]!;
    }
    y[i] = acc;
  }
}
/** Dequantize weight (i, k) of a Q4 matrix. */
export function q4Weight(q: ArrayLike<number>, s: ArrayLike<number>, K: number, i: number, k: number): number {
  const G = K / Q4_GROUP;
  const g = Math.floor(k / Q4_GROUP);
  const j = k % Q4_GROUP;
  const byte = q[(i * G + g) * 16 + (j & 15)]!;
  const nib = j < 16 ? byte & 15 : byte >> 4;
  return (nib - 8) * s[i * G + g]!;
}
export function gemvQ4RefAt(q: ArrayLike<number>, s: ArrayLike<number>, x: ArrayLike<number>, K: number, i: number): [number, number] {
  let acc = 0;
  let m = 0;
  for (let k = 0; k < K; k++) {
    const t = q4Weight(q, s, K, i, k) * x[k]!;
    acc += t;
    m += Math.abs(t);
  }
  return [acc, m];
}

// ---- attention: KV cache [L][H][d], q [T][H][d], out [T][H][d]; scores scratch >= L ----
/**
 * Causal attention of T query tokens at positions L-T..L-1 over a cache of L tokens (T = 1 is a
 * decode step, T > 1 a prefill chunk).
 */
export function attention(
  q: Float32Array,
  kc: Float32Array,
  vc: Float32Array,
  out: Float32Array,
  scores: Float32Array,
  T: number,
  L: number,
  H: number,
  d: number,
): void {
  const scale = 1 / Math.sqrt(d);
  const hd = H * d;
  for (let t = 0; t < T; t++) {
    const len = L - T + t + 1;
    for (let h = 0; h < H; h++) {
      const qo = t * hd + h * d;
      let mx = -Infinity;
      for (let p = 0; p < len; p++) {
        const ko = p * hd + h * d;
        let s = 0;
        for (let e = 0; e < d; e++) s += q[qo + e]! * kc[ko + e]!;
        s *= scale;
        scores[p] = s;
        if (s > mx) mx = s;
      }
      const inv = 1 / expShift(scores, scores, len, mx);
      for (let e = 0; e < d; e++) out[qo + e] = 0;
      for (let p = 0; p < len; p++) {
        const wgt = scores[p]! * inv;
        const vo = p * hd + h * d;
        for (let e = 0; e < d; e++) out[qo + e]! += wgt * vc[vo + e]!;
      }
    }
  }
}
/** Reference for out[t][h][e], recomputing the softmax in float64. */
export function attentionRefAt(
  q: ArrayLike<number>, kc: ArrayLike<number>, vc: ArrayLike<number>,
  T: number, L: number, H: number, d: number, t: number, h: number, e: number,
): [number, number] {
  const hd = H * d;
  const len = L - T + t + 1;
  const s: number[] = [];
  for (let p = 0; p < len; p++) {
    let dot = 0;
    for (let x = 0; x < d; x++) dot += q[t * hd + h * d + x]! * kc[p * hd + h * d + x]!;
    s.push(dot / Math.sqrt(d));
  }
  const mx = Math.max(...s);
  const w = s.map((v) => Math.exp(v - mx));
  const z = w.reduce((a, b) => a + b, 0);
  let o = 0;
  let m = 0;
  for (let p = 0; p < len; p++) {
    const t2 = (w[p]! / z) * vc[p * hd + h * d + e]!;
    o += t2;
    m += Math.abs(t2);
  }
  return [o, m];
}

// ---- elementwise / row kernels over a vector of n ----
/** dst[i] = exp(src[i] - mx) for i < n (src may be dst); returns the sum. */
export function expShift(src: Float32Array, dst: Float32Array, n: number, mx: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(src[i]! - mx);
    dst[i] = e;
    sum += e;
  }
  return sum;
}
export function softmax(x: Float32Array, out: Float32Array, n: number): void {
  let mx = -Infinity;
  for (let i = 0; i < n; i++) if (x[i]! > mx) mx = x[i]!;
  const inv = 1 / expShift(x, out, n, mx);
  for (let i = 0; i < n; i++) out[i]! *= inv;
}
export function rmsnorm(x: Float32Array, g: Float32Array, out: Float32Array, n: number, eps = 1e-6): void {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(ss / n + eps);
  for (let i = 0; i < n; i++) out[i] = x[i]! * inv * g[i]!;
}
export function silu(x: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = v / (1 + Math.exp(-v));
  }
}
