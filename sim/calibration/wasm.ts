/**
 * Loads the hand-written WAT kernels (kernels/wasm/*.wat), compiles them with the `wabt` npm
 * package (SIMD enabled) at run time and caches the binary: in memory per process and on disk
 * under the OS temp dir, keyed by the SHA-256 of the WAT text. No downloaded binaries.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

export const WASM_MODULES = ['stream', 'gemm', 'gemv'] as const;
export type WasmModuleName = (typeof WASM_MODULES)[number];

const WAT_DIR = fileURLToPath(new URL('./kernels/wasm/', import.meta.url));
const compiled = new Map<WasmModuleName, WebAssembly.Module>();

export function watSource(name: WasmModuleName): string {
  return readFileSync(join(WAT_DIR, `${name}.wat`), 'utf8');
}

/** WAT text -> wasm binary with wabt (SIMD on). */
export async function compileWat(name: string, text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(`${name}.wat`, text, { simd: true });
  try {
    mod.validate();
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

/** Compiled module for one kernel file, cached in memory and on disk. */
export async function wasmModule(name: WasmModuleName): Promise<WebAssembly.Module> {
  const hit = compiled.get(name);
  if (hit) return hit;
  const text = watSource(name);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'mei-sim-wasm');
  const file = join(dir, `${name}-${hash}.wasm`);
  let bin: Uint8Array<ArrayBuffer> | undefined;
  if (existsSync(file)) {
    try {
      bin = new Uint8Array(readFileSync(file));
      if (!WebAssembly.validate(bin)) bin = undefined;
    } catch {
      bin = undefined;
    }
  }
  if (!bin) {
    bin = new Uint8Array(await compileWat(name, text));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, bin);
    } catch {
      /* read-only temp dir: keep the in-memory copy only */
    }
  }
  // compile straight to the optimizing tier: with V8's baseline (Liftoff) first, the first
  // timed calls would run baseline code until the background tier-up finishes
  setFlagsFromString('--no-liftoff');
  const mod = new WebAssembly.Module(bin);
  compiled.set(name, mod);
  return mod;
}

/** An instance with its own linear memory and a bump allocator (16-byte aligned). */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private top = 64;
  constructor(
    readonly exports: Record<string, (...args: number[]) => number>,
    memory: WebAssembly.Memory,
  ) {
    this.memory = memory;
  }
  static async create(name: WasmModuleName, bytes: number): Promise<WasmArena> {
    const pages = Math.ceil((bytes + 64 * 64 + 65536) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages });
    const inst = new WebAssembly.Instance(await wasmModule(name), { env: { memory } });
    return new WasmArena(inst.exports as unknown as Record<string, (...args: number[]) => number>, memory);
  }
  /** Reserve `bytes` (rounded up to 64) and return the byte offset. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil(bytes / 64) * 64;
    if (this.top > this.memory.buffer.byteLength) {
      const need = Math.ceil((this.top - this.memory.buffer.byteLength) / 65536);
      this.memory.grow(need);
    }
    return at;
  }
  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }
  f64(at: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, n);
  }
  i8(at: number, n: number): Int8Array {
    return new Int8Array(this.memory.buffer, at, n);
  }
  u8(at: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, at, n);
  }
  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, n);
  }
}
