/**
 * The BullMQ backend against a real Redis: Debian's redis-server on
 * loopback, two `mei-sim worker` processes, and `mei-sim sweep --backend
 * bullmq` must give exactly the runs.csv of the local sweep. Skipped, with a
 * message, only where redis-server is not installed (apt-get install
 * redis-server; .ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineExecutor } from '../../analysis/sweep/executor.ts';
import { expandGrid } from '../../analysis/sweep/grid.ts';
import { runSweep } from '../../analysis/sweep/runner.ts';
import { loadSweep } from '../../analysis/sweep/spec.ts';
import { ROOT, tempDir } from '../helpers.ts';
import { ENTRY, ENV } from './sweep-fixture.ts';

const REDIS = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
if (!REDIS) console.warn('redis.test.ts: SKIPPED: redis-server is not installed (apt-get install redis-server); the BullMQ backend is not tested');

const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children.reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Start a process and wait until its output matches `ready`. */
function start(cmd: string, args: string[], ready: RegExp): Promise<{ proc: ChildProcess; output: () => string }> {
  const proc = spawn(cmd, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not get ready: ${out}`)), 30_000);
    const on = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ proc, output: () => out });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (proc.exitCode !== null) return r();
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

describe.skipIf(!REDIS)('BullMQ backend on a real redis-server', () => {
  it('two worker processes reproduce the local sweep exactly', async () => {
    const d = tempDir();
    const port = await freePort();
    const redis = await start(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', d], /Ready to accept connections/);
    const url = `redis://127.0.0.1:${port}`;
    const queue = `test-${process.pid}`;
    const f = join(d, 's.yaml');
    writeFileSync(
      f,
      [
        `scenario: ${join(ROOT, 'scenarios/quickstart.yaml')}`,
        'set: { duration: 3 min, warmup: 0 s, topology.users.count: 20 }',
        'parameters:',
        '  inference.server.slots: [1, 3]',
        '  inference.requests.rate_per_user: [1 /min, 3 /min, 6 /min]',
        'replications: 3',
      ].join('\n'),
    );
    const workers = await Promise.all([0, 1].map(() => start(process.execPath, ['--import', 'tsx', ENTRY, 'worker', '--redis', url, '--queue', queue], /ready on queue/)));

    const local = join(d, 'local');
    await runSweep(expandGrid(loadSweep(f)), { out: local, executor: inlineExecutor() });

    const remote = join(d, 'remote');
    const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'sweep', f, '--backend', 'bullmq', '--redis', url, '--queue', queue, '--out', remote], { cwd: ROOT, encoding: 'utf8', env: ENV });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/18 to run on bullmq/);
    expect(readFileSync(join(remote, 'runs.csv'), 'utf8')).toBe(readFileSync(join(local, 'runs.csv'), 'utf8'));
    expect(JSON.parse(readFileSync(join(remote, 'manifest.json'), 'utf8')).backend).toBe('bullmq');

    await Promise.all(workers.map((w) => stop(w.proc)));
    const done = workers.map((w) => Number(/stopping after (\d+) run/.exec(w.output())?.[1] ?? -1));
    expect(done[0]! + done[1]!).toBe(18);
    expect(Math.min(...done)).toBeGreaterThan(0); // both processes took work
    await stop(redis.proc);
  });
});
