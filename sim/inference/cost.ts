/**
 * Allocation-free roofline costs of transformer passes, for the event loop.
 *
 * Every operator of `prefillOps`/`decodeOps` (sim/workload) has FLOPs and
 * bytes that are affine in the shape of the pass:
 *   x = (1, T tokens, P attended (query, key) pairs, K cached tokens read, R logit rows)
 * (T, P, K summed over the sequences of a batch). `PassCost` recovers those
 * coefficients once per (model, precision, unit) by evaluating the workload
 * accounting at five shapes and solving, then prices any pass as
 *   sum over ops of repeat x (max(flops_eff(x) / (peak x eta_c), bytes(x) / (bw x eta_m)) + overhead)
 * which is exactly `phaseCost(prefillOps(...) | decodeOps(...), ctx)` of
 * sim/hardware (checked in test/inference/cost.test.ts), without building op
 * lists. Layer ops apply to blocks [from, to); the embedding only when
 * from = 0; the final norm and LM head only when to = layers and R > 0.
 *
 * Decode runs (B sequences, each adding one token per iteration, so P and K
 * grow by B per iteration) have closed-form sums: each op's time is the max of
 * two affine functions of the iteration index.
 */
import { opBytes, opComputePj, opFlopsEff, type UnitCtx } from '../hardware/roofline.ts';
import { decodeOps, prefillOps } from '../workload/accounting.ts';
import type { ModelArch, Op, Precision } from '../workload/types.ts';

const MATMUL_KINDS = new Set(['matmul', 'lm_head', 'embedding']);
/** Shape vector length: (1, T, P, K, R). */
const D = 5;

const GROUP_LAYER = 0;
const GROUP_EMBED = 1;
const GROUP_HEAD = 2;

/** Solve the 5x5 system A c = b in place (Gaussian elimination with partial pivoting). */
function solve5(A: number[][], b: number[]): number[] {
  const n = D;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]!;
    if (piv === 0) throw new Error('PassCost: singular shape system');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / piv;
      if (f !== 0) for (let k = c; k <= n; k++) M[r]![k] = M[r]![k]! - f * M[c]![k]!;
    }
  }
  return M.map((row, i) => {
    const v = row[n]! / row[i]!;
    // Coefficients are integers-ish multiples of sizes; clean float dust.
    return Math.abs(v) < 1e-9 * (Math.abs(row[n]!) + 1) ? 0 : v;
  });
}

/** Shapes (1, T, P, K, R) of the five probe passes, see `probeOps`. */
const PROBES: number[][] = [
  [1, 1, 1, 1, 1], // decode, context 0, batch 1
  [1, 2, 2, 2, 2], // decode, context 0, batch 2
  [1, 1, 2, 2, 1], // decode, context 1, batch 1
  [1, 2, 3, 2, 1], // prefill of 2 tokens
  [1, 2, 5, 3, 1], // prefill of 2 tokens after 1 cached
];

function probeOps(a: ModelArch, p: Precision): Op[][] {
  return [decodeOps(a, 0, p, 1), decodeOps(a, 0, p, 2), decodeOps(a, 1, p, 1), prefillOps(a, 2, p), prefillOps(a, 2, p, { past: 1 })];
}

export class PassCost {
  readonly layers: number;
  /** Ops count and, per op: group, compute-time coefficients (s per shape unit), memory-time coefficients, energy coefficients (J). */
  private readonly n: number;
  private readonly group: Int8Array;
  private readonly ct: Float64Array;
  private readonly mt: Float64Array;
  private readonly en: Float64Array;
  private readonly overhead_s: number;
  private readonly idle_w: number;
  /** Energy (J) of the last priced pass or run; set by every pricing call. */
  energy_j = 0;

  constructor(
    readonly arch: ModelArch,
    readonly precision: Precision,
    readonly ctx: UnitCtx,
  ) {
    this.layers = arch.layers;
    const lists = probeOps(arch, precision);
    const first = lists[0]!;
    const n = first.length;
    this.n = n;
    this.group = new Int8Array(n);
    this.ct = new Float64Array(n * D);
    this.mt = new Float64Array(n * D);
    this.en = new Float64Array(n * D);
    this.overhead_s = ctx.overhead_s;
    this.idle_w = ctx.idle_w;
    const bw = ctx.bw * ctx.eta_m;
    for (let i = 0; i < n; i++) {
      const op = first[i]!;
      for (const l of lists) {
        if (l.length !== n || l[i]!.name !== op.name) throw new Error(`PassCost: op lists of ${arch.id} differ between shapes`);
      }
      this.group[i] = op.kind === 'embedding' ? GROUP_EMBED : op.name === 'final_norm' || op.kind === 'lm_head' ? GROUP_HEAD : GROUP_LAYER;
      const peak = ctx.peak[MATMUL_KINDS.has(op.kind) ? ctx.matmul_dtype : ctx.other_dtype] * ctx.eta_c;
      const eff = solve5(PROBES, lists.map((l) => opFlopsEff(l[i]!, ctx)));
      const pj = solve5(PROBES, lists.map((l) => opComputePj(l[i]!, ctx)));
      const bytes = solve5(PROBES, lists.map((l) => opBytes(l[i]!)));
      for (let k = 0; k < D; k++) {
        if (eff[k]! !== 0 && !(peak > 0)) throw new Error(`PassCost: ${ctx.device} ${ctx.unit} has no peak for the dtype of ${op.name}`);
        this.ct[i * D + k] = eff[k]! === 0 ? 0 : eff[k]! / peak;
        this.mt[i * D + k] = bytes[k]! / bw;
        this.en[i * D + k] = (pj[k]! + ctx.pj_per_byte * bytes[k]!) * 1e-12;
      }
    }
  }

  /** Instances of op i in a pass over L blocks starting at `from`, with or without the head ops. */
  private repeatOf(i: number, L: number, from: number, head: boolean): number {
    const g = this.group[i]!;
    if (g === GROUP_LAYER) return L;
    if (g === GROUP_EMBED) return from === 0 ? 1 : 0;
    return head ? 1 : 0;
  }

  /** Time (s) of one op instance at shape (1, T, P, K, R); also accumulates its energy into `acc[0]`. */
  private opTime(i: number, T: number, P: number, K: number, R: number): number {
    const o = i * D;
    const ct = this.ct;
    const mt = this.mt;
    const c = ct[o]! + ct[o + 1]! * T + ct[o + 2]! * P + ct[o + 3]! * K + ct[o + 4]! * R;
    const m = mt[o]! + mt[o + 1]! * T + mt[o + 2]! * P + mt[o + 3]! * K + mt[o + 4]! * R;
    return (c > m ? c : m) + this.overhead_s;
  }

  private opEnergy(i: number, T: number, P: number, K: number, R: number): number {
    const o = i * D;
    const en = this.en;
    return en[o]! + en[o + 1]! * T + en[o + 2]! * P + en[o + 3]! * K + en[o + 4]! * R;
  }

  /**
   * Time (s) of one pass over blocks [from, to) with totals T, P, K over all
   * sequences and R logit rows (head ops run only when to = layers and R > 0).
   * Energy (J, incl. idle power) goes to `energy_j`.
   */
  time(from: number, to: number, T: number, P: number, K: number, R: number): number {
    const L = to - from;
    const head = to === this.layers && R > 0;
    let t = 0;
    let e = 0;
    for (let i = 0; i < this.n; i++) {
      const rep = this.repeatOf(i, L, from, head);
      if (rep === 0) continue;
      t += rep * this.opTime(i, T, P, K, R);
      e += rep * this.opEnergy(i, T, P, K, R);
    }
    this.energy_j = e + this.idle_w * t;
    return t;
  }

  /** Only the layer ops of one block at (T, P, K): for batches whose sequences cover different blocks. */
  layerTime(T: number, P: number, K: number): number {
    let t = 0;
    let e = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.group[i] !== GROUP_LAYER) continue;
      t += this.opTime(i, T, P, K, 0);
      e += this.opEnergy(i, T, P, K, 0);
    }
    this.energy_j = e + this.idle_w * t;
    return t;
  }

  /** Embedding (T tokens) plus head (R rows) ops; either may be 0. */
  endsTime(T: number, R: number): number {
    let t = 0;
    let e = 0;
    for (let i = 0; i < this.n; i++) {
      const g = this.group[i]!;
      if (g === GROUP_LAYER || (g === GROUP_EMBED && T === 0) || (g === GROUP_HEAD && R === 0)) continue;
      t += this.opTime(i, T, 0, 0, R);
      e += this.opEnergy(i, T, 0, 0, R);
    }
    this.energy_j = e + this.idle_w * t;
    return t;
  }

  /** Prefill of N tokens after `past` cached ones over [from, to): the TTFT part of the pass. */
  prefill(N: number, past = 0, from = 0, to = this.layers): number {
    return this.time(from, to, N, N * past + (N * (N + 1)) / 2, past + N, 1);
  }

  /**
   * Total time of `n` decode iterations of B sequences over [from, to), the
   * first at total cached context `ctxSum` (each iteration adds one token per
   * sequence). With `rows` = 0 no head ops run (split device part). Exact: the
   * sum of `time` over the iterations. Energy goes to `energy_j`.
   */
  decodeRun(B: number, ctxSum: number, n: number, from = 0, to = this.layers, rows = B): number {
    if (n <= 0) {
      this.energy_j = 0;
      return 0;
    }
    const L = to - from;
    const head = to === this.layers && rows > 0;
    // Iteration i: T = B, P = K = ctxSum + B + i B, R = rows.
    const x0P = ctxSum + B;
    const sumI = (n * (n - 1)) / 2;
    let t = 0;
    let e = 0;
    const ct = this.ct;
    const mt = this.mt;
    for (let i = 0; i < this.n; i++) {
      const rep = this.repeatOf(i, L, from, head);
      if (rep === 0) continue;
      const o = i * D;
      // compute c(i) = c0 + c1 i, memory m(i) = m0 + m1 i
      const c0 = ct[o]! + ct[o + 1]! * B + (ct[o + 2]! + ct[o + 3]!) * x0P + ct[o + 4]! * rows;
      const c1 = (ct[o + 2]! + ct[o + 3]!) * B;
      const m0 = mt[o]! + mt[o + 1]! * B + (mt[o + 2]! + mt[o + 3]!) * x0P + mt[o + 4]! * rows;
      const m1 = (mt[o + 2]! + mt[o + 3]!) * B;
      t += rep * (sumMax(c0, c1, m0, m1, n) + n * this.overhead_s);
      const e0 = this.en[o]! + this.en[o + 1]! * B + (this.en[o + 2]! + this.en[o + 3]!) * x0P + this.en[o + 4]! * rows;
      const e1 = (this.en[o + 2]! + this.en[o + 3]!) * B;
      e += rep * (n * e0 + e1 * sumI);
    }
    this.energy_j = e + this.idle_w * t;
    return t;
  }

  /**
   * Whole iterations of a decode run (as in `decodeRun`) completed within
   * `work_s` seconds of work: the largest m <= n with decodeRun(m) <= work_s.
   */
  decodeStepsWithin(B: number, ctxSum: number, n: number, work_s: number, from = 0, to = this.layers, rows = B): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.decodeRun(B, ctxSum, mid, from, to, rows) <= work_s * (1 + 1e-12)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Sum over i = 0..n-1 of max(c0 + c1 i, m0 + m1 i). */
export function sumMax(c0: number, c1: number, m0: number, m1: number, n: number): number {
  // max(c, m) = m + max(0, g), g(i) = d0 + d1 i
  const base = n * m0 + (m1 * n * (n - 1)) / 2;
  const d0 = c0 - m0;
  const d1 = c1 - m1;
  let lo: number;
  let hi: number; // g > 0 on [lo, hi)
  if (d1 === 0) {
    if (d0 <= 0) return base;
    lo = 0;
    hi = n;
  } else if (d1 > 0) {
    lo = Math.min(n, Math.max(0, Math.floor(-d0 / d1) + 1));
    hi = n;
  } else {
    lo = 0;
    hi = Math.min(n, Math.max(0, Math.ceil(-d0 / d1)));
  }
  const cnt = hi - lo;
  if (cnt <= 0) return base;
  return base + d0 * cnt + (d1 * (lo + hi - 1) * cnt) / 2;
}
