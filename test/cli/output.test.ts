import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, formatError } from '../../sim/cli/errors.ts';
import { AtomicDir } from '../../sim/cli/output.ts';
import { assertReplaceable, OUTPUT_MARKER } from '../../sim/common/output-folder.ts';
import { cli, tempDir } from '../helpers.ts';

const QS = 'scenarios/quickstart.yaml';
const tiny = ['--set', 'duration=5 s', '--set', 'warmup=0 s', '--no-plot'];

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

describe('output folders (--out)', () => {
  it('never replaces a folder that mei-sim did not write', () => {
    const d = tempDir();
    const precious = join(d, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'thesis.tex'), 'keep me');
    const r = cli(['run', QS, '--out', precious, ...tiny]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a mei-sim output/);
    expect(readdirSync(precious)).toEqual(['thesis.tex']);
    expect(readdirSync(d)).toEqual(['precious']); // no temporary folder left behind
  });

  it('refuses an empty path, the current folder, a folder above it and a file', () => {
    const d = tempDir();
    writeFileSync(join(d, 'afile'), 'x');
    expect(() => assertReplaceable('')).toThrow(/expected a folder path, got an empty string/);
    for (const p of ['.', '..', '../..']) expect(() => assertReplaceable(p)).toThrow(/current folder or contains it/);
    expect(() => assertReplaceable(join(d, 'afile'))).toThrow(/is not a folder/);
    // Only reached when the checks above hold, so this cannot touch the working tree.
    const r = cli(['run', QS, '--out', '', ...tiny]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out: expected a path, got an empty string/);
    expect(existsSync('package.json')).toBe(true);
    expect(readFileSync(join(d, 'afile'), 'utf8')).toBe('x');
  });

  it('replaces its own earlier output, marked or from an earlier version, and an empty folder', () => {
    const d = tempDir();
    const out = join(d, 'o');
    expect(cli(['run', QS, '--out', out, ...tiny]).code).toBe(0);
    expect(existsSync(join(out, OUTPUT_MARKER))).toBe(true);
    writeFileSync(join(out, 'stale.txt'), 'from before');
    expect(cli(['run', QS, '--out', out, ...tiny]).code).toBe(0);
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
    const legacy = join(d, 'legacy');
    mkdirSync(legacy);
    writeFileSync(join(legacy, 'summary.json'), JSON.stringify({ metrics: {}, manifest: { mei_sim_version: '0.1.0' } }));
    expect(() => assertReplaceable(legacy)).not.toThrow();
    mkdirSync(join(d, 'empty'));
    expect(() => assertReplaceable(join(d, 'empty'))).not.toThrow();
    expect(readdirSync(d).filter((e) => e.startsWith('.mei-sim-'))).toEqual([]);
  });

  it("removes a killed run's temporary folder on the next run into the same place", () => {
    const d = tempDir();
    const left = join(d, `.mei-sim-tmp-o-${deadPid()}`);
    mkdirSync(left);
    writeFileSync(join(left, 'requests.csv'), 'half');
    const keep = join(d, `.mei-sim-tmp-other-${deadPid()}`);
    mkdirSync(keep);
    const a = new AtomicDir(join(d, 'o'));
    expect(existsSync(left)).toBe(false);
    expect(existsSync(keep)).toBe(true); // another destination's: not ours to remove
    a.commit();
    expect(existsSync(join(d, 'o', OUTPUT_MARKER))).toBe(true);
  });

  it('reports file-system errors on a named path as bad input (exit 2), not internal errors', () => {
    const d = tempDir();
    const r = cli(['schema', '--out', join(d, 'no', 'such', 'dir', 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot open .*x\.json: no such file or folder \(ENOENT\)/);
    const e = Object.assign(new Error('EISDIR'), { code: 'EISDIR', syscall: 'open', path: d });
    expect(exitCodeFor(e)).toBe(2);
    expect(formatError(e, false)).toBe(`mei-sim: cannot open ${d}: is a folder, expected a file (EISDIR)\n`);
    expect(exitCodeFor(Object.assign(new Error('x'), { code: 'ENOMEM' }))).toBe(1);
  });
});

describe('scenario errors found while building, and folders that only look like outputs', () => {
  it('validate builds the world: what a domain rejects is exit 2 naming the file, in validate as in run', () => {
    const v = cli(['validate', 'scenarios/training-schemes.yaml', '--set', 'training.server.site=99']);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/scenarios\/training-schemes\.yaml: training: the scenario cannot be built: training\.server\.site 99 does not exist \(3 edge servers\)/);
    // a registry name is checked when parsing, at its key, with the nearest name (it was a build error naming only the section)
    const s = cli(['validate', 'scenarios/training-schemes.yaml', '--set', 'training.scheme=sfll']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--set training\.scheme=sfll: training\.scheme: unknown training scheme "sfll"; did you mean "sfl"\? \(expected one of: centralized, fl, hfl, sl, sfl, psl, ushape\)/);
    const r = cli(['validate', QS, '--set', 'inference.server.runtime=rkllm']);
    expect(r.code).toBe(2);
    // at the runtime's key (it was reported at inference.weight_bits)
    expect(r.stderr).toMatch(/--set inference\.server\.runtime=rkllm: inference\.server\.runtime: l4 gpu: runtime rkllm does not run on a gpu unit/);
  });

  it('a copied summary.json beside your own notes does not make a folder replaceable', () => {
    const d = tempDir();
    const mine = join(d, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'summary.json'), JSON.stringify({ metrics: {}, manifest: { mei_sim_version: '0.1.0' } }));
    writeFileSync(join(mine, 'notes.md'), 'my notes');
    expect(() => assertReplaceable(mine)).toThrow(/is not a mei-sim output/);
  });
});
