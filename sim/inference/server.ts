/**
 * Edge-server serving: iteration-level continuous batching (Orca / vLLM) on
 * the edge site's accelerator.
 *
 * One `BatchEngine` per (edge server, served base model): requests for LoRA
 * variants of one base share its weights and its batches (S-LoRA style; the
 * adapter compute is not charged). Co-resident engines of one server submit
 * their iterations to the same EdgeSite accelerator (processor sharing), so
 * they slow each other, and so do training jobs.
 *
 * - KV cache in pages of `kv_page_tokens` tokens, from the memory left after
 *   weights and activation buffers (x memory_fraction). A request reserves
 *   the pages of its whole sequence at admission (the simulator knows its
 *   output length: vLLM without preemption). Admission is FCFS: the head
 *   request waits until pages and a sequence slot are free.
 * - Without chunked prefill, an iteration prefills every admitted prompt
 *   (up to max_batch_tokens) and decodes nothing (vLLM v0 prefill-first);
 *   otherwise it decodes every running sequence plus steps/verifications
 *   that came back. With chunked prefill, each iteration holds all decodes
 *   plus prefill chunks up to the token budget (Sarathi-Serve).
 * - Iteration time is the roofline of the batch (weights read once, work
 *   summed over sequences), from `PassCost`.
 * - Aggregation: while the batch is only continuous decodes, the iterations
 *   up to the next sequence completion run as one job (one event); a request
 *   that becomes ready meanwhile cuts the run at the next iteration boundary,
 *   so results equal iteration-by-iteration simulation.
 */
import type { Engine, EventTarget } from '../engine/engine.ts';
import type { TransferOwner } from '../world/owner.ts';
import type { ComputeJob, EdgeSite } from '../world/compute.ts';
import type { PassCost } from './cost.ts';
import { SRV_DECODE_DONE, SRV_PREFILL_DONE, SRV_STEP_DONE, SRV_VERIFY_DONE } from './registry.ts';
import type { RequestStore } from './store.ts';

/** What a batch engine needs from the simulator that owns it (InferenceSim in sim.ts). */
export interface ServerHost {
  readonly engine: Engine;
  /** The requests' state, one slot per request. */
  readonly req: RequestStore;
  /** KV bytes per token and block of the served model whose pass cost is `cost`. */
  kvPerTokenLayer(cost: PassCost): number;
  /** Report server event `ev` (SRV_* of registry.ts) of request `r` to its mode. */
  serverEvent(r: number, ev: number): void;
}

export const ITEM_PREFILL = 1;
export const ITEM_DECODE = 2;
export const ITEM_STEP = 3;
export const ITEM_VERIFY = 4;

/** The edge site an engine runs on (kept as a name for readability). */
export type SiteLike = EdgeSite;

/** The KV-cache pool of one edge server, shared by its co-resident engines. */
export class ServerMemory {
  kvUsed = 0;
  constructor(
    readonly site: SiteLike,
    /** Bytes for KV pages: memory_fraction x capacity - weights - activation buffers. */
    readonly kvCap: number,
  ) {}

  take(bytes: number): boolean {
    if (this.kvUsed + bytes > this.kvCap) return false;
    if (this.site.reserve && !this.site.reserve(bytes)) return false;
    this.kvUsed += bytes;
    return true;
  }

  give(bytes: number): void {
    this.kvUsed -= bytes;
    if (this.site.release) this.site.release(bytes);
  }
}

export interface EngineConfig {
  slots: number;
  chunked: boolean;
  chunk: number;
  maxBatchTokens: number;
  pageTokens: number;
  /** Run decode iterations between batch changes as one event (exact); false: one event per iteration. */
  aggregate: boolean;
}

/** Small reusable number list. */
class List {
  a: number[] = [];
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) this.a.push(x);
    else this.a[this.n] = x;
    this.n++;
  }
  clear(): void {
    this.n = 0;
  }
}

const BATCH_TRACE_KINDS: readonly string[] = ['plan-iteration'];

export class BatchEngine implements TransferOwner, EventTarget {
  /** Event kind names in traces. */
  readonly traceKinds = BATCH_TRACE_KINDS;
  // Queues (request ids).
  private waiting: number[] = [];
  private waitHead = 0;
  /** Prompt tokens of the requests waiting for admission (for estimates). */
  private waitTokens = 0;
  private readonly prefilling = new List();
  private running: number[] = [];
  private readonly ready = new List();
  private resident = 0;

  // Current iteration.
  private busy = false;
  private planPending = false;
  private inCompletion = false;
  private merged = false;
  private cutDone = false;
  private jobId = -1;
  private jobTag = 0;
  private runB = 0;
  private runCtx = 0;
  private runN = 0;
  private runWork = 0;
  private runStart = 0;
  private readonly itReq = new List();
  private readonly itKind = new List();
  private readonly itTok = new List();
  private readonly job: ComputeJob = { work_s: 0, memory_bytes: 0 };
  // Deferred notifications.
  private readonly notR = new List();
  private readonly notEv = new List();
  // Mixed-range shape scratch.
  private readonly pF = new List();
  private readonly pT = new List();
  private readonly pTok = new List();
  private readonly pP = new List();
  private readonly pK = new List();
  private readonly bp = new List();

  /** Statistics. */
  iterations = 0;
  seqIterations = 0;
  waitSum_s = 0;
  admitted = 0;
  private readonly canCut: boolean;

  constructor(
    private readonly sim: ServerHost,
    readonly server: number,
    readonly cost: PassCost,
    private readonly mem: ServerMemory,
    private readonly site: SiteLike,
    private readonly cfg: EngineConfig,
  ) {
    this.canCut = cfg.aggregate && typeof site.start === 'function' && typeof site.cancel === 'function';
  }

  get layers(): number {
    return this.cost.layers;
  }

  /** Requests waiting for admission. */
  get queueLength(): number {
    return this.waiting.length - this.waitHead;
  }

  get runningCount(): number {
    return this.running.length;
  }

  /** KV bytes a request needs for `tokens` tokens over blocks [from, to). */
  kvBytes(tokens: number, from: number, to: number): number {
    const pages = Math.ceil(tokens / this.cfg.pageTokens);
    return pages * this.cfg.pageTokens * this.sim.kvPerTokenLayer(this.cost) * (to - from);
  }

  /**
   * Queue request r for admission and prefill of `prompt` tokens over
   * [srvFrom, srvTo) (set in the request store, with kvBytes). Returns a
   * rejection reason when it can never be served here.
   */
  enqueue(r: number): string | null {
    const q = this.sim.req;
    if (q.kvBytes[r]! > this.mem.kvCap) return 'edge-kv-capacity';
    if (!this.cfg.chunked && q.srvPrefill[r]! > this.cfg.maxBatchTokens) return 'prompt-too-long';
    q.tQueued[r] = this.sim.engine.now;
    this.waiting.push(r);
    this.waitTokens += q.srvPrefill[r]!;
    this.kick();
    return null;
  }

  /** A one-token step (split decode) of a resident request. */
  submitStep(r: number): void {
    this.sim.req.srvItem[r] = ITEM_STEP;
    this.ready.push(r);
    this.kick();
  }

  /** Verify `gamma` draft tokens (speculative) of a resident request. */
  submitVerify(r: number, gamma: number): void {
    this.sim.req.srvItem[r] = ITEM_VERIFY;
    this.sim.req.srvGamma[r] = gamma;
    this.ready.push(r);
    this.kick();
  }

  /** Free a resident request's KV pages. */
  release(r: number): void {
    const q = this.sim.req;
    if (q.kvBytes[r]! > 0) {
      this.mem.give(q.kvBytes[r]!);
      q.kvBytes[r] = 0;
      this.resident--;
    }
    this.kick();
  }

  /** New work may be schedulable: start an iteration when idle, or cut a merged decode run. */
  kick(): void {
    if (this.inCompletion) return;
    if (!this.busy) {
      // Plan in a zero-delay event, so requests arriving at the same instant share the iteration.
      if (!this.planPending) {
        this.planPending = true;
        this.sim.engine.schedule(0, this, 0, 0);
      }
      return;
    }
    if (this.merged && !this.cutDone && (this.ready.n > 0 || this.headAdmissible())) this.cut();
  }

  /** The zero-delay planning event. */
  handle(): void {
    this.planPending = false;
    if (!this.busy) this.plan();
  }

  private headAdmissible(): boolean {
    if (this.waitHead >= this.waiting.length || this.resident >= this.cfg.slots) return false;
    const r = this.waiting[this.waitHead]!;
    return this.mem.kvUsed + this.sim.req.kvBytes[r]! <= this.mem.kvCap;
  }

  private admit(): void {
    const q = this.sim.req;
    const now = this.sim.engine.now;
    let tokens = 0;
    for (let i = 0; i < this.prefilling.n; i++) tokens += q.srvPrefill[this.prefilling.a[i]!]!;
    while (this.waitHead < this.waiting.length && this.resident < this.cfg.slots) {
      const r = this.waiting[this.waitHead]!;
      if (!this.cfg.chunked && tokens > 0 && tokens + q.srvPrefill[r]! > this.cfg.maxBatchTokens) break;
      if (!this.mem.take(q.kvBytes[r]!)) break;
      this.waitHead++;
      this.waitTokens -= q.srvPrefill[r]!;
      this.resident++;
      this.admitted++;
      tokens += q.srvPrefill[r]!;
      this.waitSum_s += now - q.tQueued[r]!;
      this.prefilling.push(r);
    }
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitHead);
      this.waitHead = 0;
    }
  }

  private plan(): void {
    this.admit();
    const q = this.sim.req;
    const it = this.itReq;
    const kind = this.itKind;
    const tok = this.itTok;
    it.clear();
    kind.clear();
    tok.clear();
    let decodes = false;
    if (this.cfg.chunked || this.prefilling.n === 0) {
      for (let i = 0; i < this.running.length; i++) {
        it.push(this.running[i]!);
        kind.push(ITEM_DECODE);
        tok.push(1);
        decodes = true;
      }
      for (let i = 0; i < this.ready.n; i++) {
        const r = this.ready.a[i]!;
        it.push(r);
        const k = q.srvItem[r]!;
        kind.push(k);
        tok.push(k === ITEM_VERIFY ? q.srvGamma[r]! + 1 : 1);
      }
      this.ready.clear();
    }
    const onlyDecodes = decodes && it.n === this.running.length;
    if (this.prefilling.n > 0) {
      let budget = this.cfg.chunked ? this.cfg.chunk : Number.POSITIVE_INFINITY;
      for (let i = 0; i < tok.n; i++) budget -= tok.a[i]!;
      for (let i = 0; i < this.prefilling.n && budget > 0; i++) {
        const r = this.prefilling.a[i]!;
        const c = Math.min(q.srvPrefill[r]!, budget);
        budget -= c;
        it.push(r);
        kind.push(ITEM_PREFILL);
        tok.push(c);
      }
    }
    if (it.n === 0) return;
    this.busy = true;
    let work: number;
    if (onlyDecodes && it.n === this.running.length && this.canCut) {
      // Merged run until the first running sequence completes.
      let n = Number.POSITIVE_INFINITY;
      let ctx = 0;
      for (let i = 0; i < this.running.length; i++) {
        const r = this.running[i]!;
        if (q.srvLeft[r]! < n) n = q.srvLeft[r]!;
        ctx += q.srvCtx[r]!;
      }
      this.merged = true;
      this.cutDone = false;
      this.runB = this.running.length;
      this.runCtx = ctx;
      this.runN = n;
      work = this.cost.decodeRun(this.runB, ctx, n);
      this.runWork = work;
      this.runStart = this.sim.engine.now;
    } else {
      this.merged = false;
      work = this.iterationTime();
    }
    this.submit(work);
  }

  private submit(work: number): void {
    this.job.work_s = work;
    const tag = ++this.jobTag;
    if (this.site.start) this.jobId = this.site.start(this.job, this, tag);
    else this.site.submit(this.job, this, tag);
  }

  /** Roofline time of the current (non-merged) iteration. */
  private iterationTime(): number {
    const q = this.sim.req;
    const L = this.cost.layers;
    let fT = 0;
    let fP = 0;
    let fK = 0;
    let embT = 0;
    let headR = 0;
    const pF = this.pF;
    const pT = this.pT;
    const pTok = this.pTok;
    const pP = this.pP;
    const pK = this.pK;
    pF.clear();
    pT.clear();
    pTok.clear();
    pP.clear();
    pK.clear();
    for (let i = 0; i < this.itReq.n; i++) {
      const r = this.itReq.a[i]!;
      const k = this.itKind.a[i]!;
      const T = this.itTok.a[i]!;
      const past = q.srvCtx[r]!;
      const from = q.srvFrom[r]!;
      const to = q.srvTo[r]!;
      const P = T * past + (T * (T + 1)) / 2;
      const K = past + T;
      let R: number;
      if (to < L) R = 0;
      else if (k === ITEM_PREFILL) R = T === q.srvPrefill[r]! ? 1 : 0;
      else if (k === ITEM_VERIFY) R = T;
      else R = 1;
      headR += R;
      if (from === 0) embT += T;
      if (from === 0 && to === L) {
        fT += T;
        fP += P;
        fK += K;
      } else {
        pF.push(from);
        pT.push(to);
        pTok.push(T);
        pP.push(P);
        pK.push(K);
      }
    }
    if (pF.n === 0) return this.cost.time(0, L, fT, fP, fK, headR);
    // Sequences covering different blocks: price each segment between cut points.
    const bp = this.bp;
    bp.clear();
    bp.push(0);
    bp.push(L);
    for (let i = 0; i < pF.n; i++) {
      bp.push(pF.a[i]!);
      bp.push(pT.a[i]!);
    }
    // insertion sort (few points)
    const a = bp.a;
    for (let i = 1; i < bp.n; i++) {
      const x = a[i]!;
      let j = i - 1;
      while (j >= 0 && a[j]! > x) {
        a[j + 1] = a[j]!;
        j--;
      }
      a[j + 1] = x;
    }
    let t = this.cost.endsTime(embT, headR);
    for (let s = 0; s + 1 < bp.n; s++) {
      const lo = a[s]!;
      const hi = a[s + 1]!;
      if (hi <= lo) continue;
      let T = fT;
      let P = fP;
      let K = fK;
      for (let i = 0; i < pF.n; i++) {
        if (pF.a[i]! <= lo && pT.a[i]! >= hi) {
          T += pTok.a[i]!;
          P += pP.a[i]!;
          K += pK.a[i]!;
        }
      }
      if (T > 0) t += (hi - lo) * this.cost.layerTime(T, P, K);
    }
    return t;
  }

  /** Cut the merged decode run at the next iteration boundary. */
  private cut(): void {
    const now = this.sim.engine.now;
    const left = this.site.remaining ? this.site.remaining(this.jobId) : this.runWork - (now - this.runStart);
    const done = Math.max(0, this.runWork - Math.max(0, left));
    const m = this.cost.decodeStepsWithin(this.runB, this.runCtx, this.runN, done);
    if (m + 1 >= this.runN) return;
    const target = m + 1;
    const workTo = this.cost.decodeRun(this.runB, this.runCtx, target);
    this.site.cancel!(this.jobId);
    this.cutDone = true;
    this.runN = target;
    this.runWork = workTo;
    this.submit(Math.max(0, workTo - done));
  }

  /** The accelerator finished the current iteration (or merged run). */
  onTransferDone(tag: number): void {
    if (tag !== this.jobTag) return; // a cancelled job
    const q = this.sim.req;
    this.busy = false;
    this.inCompletion = true;
    const nr = this.notR;
    const ne = this.notEv;
    nr.clear();
    ne.clear();
    if (this.merged) {
      const n = this.runN;
      this.iterations += n;
      this.seqIterations += n * this.runB;
      let w = 0;
      for (let i = 0; i < this.running.length; i++) {
        const r = this.running[i]!;
        q.srvCtx[r] = q.srvCtx[r]! + n;
        q.srvLeft[r] = q.srvLeft[r]! - n;
        if (q.srvLeft[r]! <= 0) {
          nr.push(r);
          ne.push(SRV_DECODE_DONE);
        } else this.running[w++] = r;
      }
      this.running.length = w;
      this.merged = false;
    } else {
      this.iterations++;
      this.seqIterations += this.itReq.n;
      let anyDone = false;
      let pw = 0;
      for (let i = 0; i < this.itReq.n; i++) {
        const r = this.itReq.a[i]!;
        const k = this.itKind.a[i]!;
        const T = this.itTok.a[i]!;
        if (k === ITEM_PREFILL) {
          q.srvCtx[r] = q.srvCtx[r]! + T;
          q.srvPrefill[r] = q.srvPrefill[r]! - T;
          if (q.srvPrefill[r]! <= 0) {
            if (q.srvLeft[r]! > 0) this.running.push(r);
            nr.push(r);
            ne.push(SRV_PREFILL_DONE);
          }
        } else if (k === ITEM_DECODE) {
          q.srvCtx[r] = q.srvCtx[r]! + 1;
          q.srvLeft[r] = q.srvLeft[r]! - 1;
          if (q.srvLeft[r]! <= 0) {
            anyDone = true;
            nr.push(r);
            ne.push(SRV_DECODE_DONE);
          }
        } else if (k === ITEM_STEP) {
          q.srvCtx[r] = q.srvCtx[r]! + 1;
          nr.push(r);
          ne.push(SRV_STEP_DONE);
        } else {
          nr.push(r);
          ne.push(SRV_VERIFY_DONE);
        }
      }
      // prefilling: keep those with tokens left, in order
      for (let i = 0; i < this.prefilling.n; i++) {
        const r = this.prefilling.a[i]!;
        if (q.srvPrefill[r]! > 0) this.prefilling.a[pw++] = r;
      }
      this.prefilling.n = pw;
      if (anyDone) {
        let w = 0;
        for (let i = 0; i < this.running.length; i++) {
          const r = this.running[i]!;
          if (q.srvLeft[r]! > 0) this.running[w++] = r;
        }
        this.running.length = w;
      }
    }
    for (let i = 0; i < nr.n; i++) {
      const r = nr.a[i]!;
      if (ne.a[i] === SRV_DECODE_DONE) this.release(r);
    }
    // Notify modes (they may submit new work; planning waits until all are told).
    const n = nr.n;
    for (let i = 0; i < n; i++) this.sim.serverEvent(nr.a[i]!, ne.a[i]!);
    this.inCompletion = false;
    this.plan();
  }

  /**
   * Expected TTFT and per-token server time (s) of a new request of `prompt`
   * tokens on blocks [from, to) now. `wait_s`: expected wait for the next
   * iteration boundary of a step that arrives at a random time while other
   * requests are resident (half an iteration), which split and speculative
   * pay on every round trip.
   */
  estimate(prompt: number, from: number, to: number, out: { ttft_s: number; tpot_s: number; wait_s: number }): void {
    const q = this.sim.req;
    let ctx = 0;
    for (let i = 0; i < this.running.length; i++) ctx += q.srvCtx[this.running[i]!]!;
    const B = this.running.length + 1;
    const L = this.cost.layers;
    const full = this.cost.time(0, L, B, ctx + prompt + B, ctx + prompt + B, B);
    out.tpot_s = from === 0 && to === L ? full : this.cost.time(from, to, 1, prompt + 1, prompt + 1, to === L ? 1 : 0);
    out.wait_s = this.resident > 0 ? 0.5 * full : 0;
    let waitTok = this.waitTokens;
    for (let i = 0; i < this.prefilling.n; i++) waitTok += q.srvPrefill[this.prefilling.a[i]!]!;
    const pre = this.cost.time(from, to, prompt + waitTok, (prompt * (prompt + 1)) / 2 + (waitTok * (waitTok + 1)) / 2, prompt + waitTok, 1);
    out.ttft_s = (this.busy ? full : 0) + pre;
  }
}
