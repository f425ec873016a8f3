/** Host facts for the report and the profile: CPU model, cores, caches, SIMD, memory, Node. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { InputError } from '../common/errors.ts';

export interface HostInfo {
  hostname: string;
  cpu_model: string;
  cores: number;
  arch: string;
  platform: string;
  node: string;
  total_memory_bytes: number;
  /** data/unified cache capacities per level, innermost first (bytes), when the OS exposes them */
  caches_bytes?: number[];
  cache_source?: string;
  freq_hz?: number;
  freq_source?: string;
  /** widest SIMD of the CPU (bits) and the flags it was read from */
  simd_bits: number;
  dotprod: boolean;
  i8mm: boolean;
  flags_source: string;
  date: string;
  /** os.loadavg() when the run started: other load on the machine skews the timings */
  loadavg: number[];
}

function parseSize(s: string): number {
  const m = /^(\d+)\s*([KMG]?)/i.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

function readCaches(): number[] | undefined {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  if (!existsSync(dir)) return undefined;
  try {
    const byLevel = new Map<number, number>();
    for (const d of readdirSync(dir).filter((x) => x.startsWith('index'))) {
      const type = readFileSync(`${dir}/${d}/type`, 'utf8').trim();
      if (type === 'Instruction') continue;
      const level = Number(readFileSync(`${dir}/${d}/level`, 'utf8'));
      const size = parseSize(readFileSync(`${dir}/${d}/size`, 'utf8'));
      if (Number.isFinite(size)) byLevel.set(level, size);
    }
    const out = [...byLevel].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    return out.length ? out : undefined;
  } catch {
    return undefined;
  }
}

export function hostInfo(): HostInfo {
  const cpus = os.cpus();
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    /* not Linux */
  }
  const model = cpus[0]?.model?.trim() || /(?:model name|Hardware|Model)\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() || os.arch();
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(cpuinfo)?.[1] ?? NaN);
  let freq_hz: number | undefined;
  let freq_source: string | undefined;
  if (Number.isFinite(mhz) && mhz > 0) (freq_hz = mhz * 1e6), (freq_source = '/proc/cpuinfo "cpu MHz"');
  else if (cpus[0] && cpus[0].speed > 0) (freq_hz = cpus[0].speed * 1e6), (freq_source = 'os.cpus()[0].speed');
  else {
    try {
      const khz = Number(readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq', 'utf8'));
      if (khz > 0) (freq_hz = khz * 1e3), (freq_source = '/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq');
    } catch {
      /* unknown */
    }
  }
  const flags = new Set((/(?:flags|Features)\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  const simd_bits = flags.has('avx512f') ? 512 : flags.has('avx2') || flags.has('avx') ? 256 : flags.has('sve') ? 128 : 128;
  const caches = readCaches();
  return {
    hostname: os.hostname(),
    cpu_model: model,
    cores: cpus.length,
    arch: os.arch(),
    platform: os.platform(),
    node: process.version,
    total_memory_bytes: os.totalmem(),
    caches_bytes: caches,
    cache_source: caches ? '/sys/devices/system/cpu/cpu0/cache' : undefined,
    freq_hz,
    freq_source,
    simd_bits,
    dotprod: flags.has('asimddp') || flags.has('avx_vnni') || flags.has('avx512_vnni'),
    i8mm: flags.has('i8mm') || flags.has('amx_int8'),
    flags_source: flags.size > 1 ? '/proc/cpuinfo flags' : 'unknown (no /proc/cpuinfo flags); assumed 128-bit SIMD',
    date: new Date().toISOString(),
    loadavg: os.loadavg(),
  };
}

export function slug(s: string): string {
  return s
    // accents off first (Ü -> u), so a name in a Latin script keeps its letters
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\(r\)|\(tm\)/g, '')
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/-+/g, '-');
}

/** Longest profile id `--host-id` may give (the default id is cut to 60 characters). */
export const HOST_ID_MAX = 64;

export function defaultHostId(h: HostInfo): string {
  return slug(`${h.hostname}-${h.cpu_model}`).slice(0, 60) || 'host';
}

/**
 * The profile id (and file name) for `--host-id`: the slug of the text (lower case, accents off,
 * every other run of characters a '-'). Refused with an InputError, before anything is measured,
 * when nothing of it is left (`___`, a name in a non-Latin script) or it is longer than
 * HOST_ID_MAX; `note` is told the id when it differs from the text given.
 */
export function hostIdFrom(given: string, note: (m: string) => void = () => {}): string {
  const id = slug(given);
  if (id === '') {
    throw new InputError(`calibrate: --host-id ${JSON.stringify(given)} has no letter or digit a profile id can use (ids are a-z, 0-9, '.' and '-'); give e.g. --host-id my-laptop`);
  }
  if (id.length > HOST_ID_MAX) {
    throw new InputError(`calibrate: --host-id is ${id.length} characters as a profile id ("${id.slice(0, 24)}..."); give at most ${HOST_ID_MAX}`);
  }
  if (id !== given) note(`note: --host-id ${JSON.stringify(given)} is written as the profile id "${id}" (${id}.yaml)`);
  return id;
}
