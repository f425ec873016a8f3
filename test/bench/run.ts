/**
 * `npm run bench [filter]`: runs every test/bench/*.bench.ts in its own
 * child process (`node --import tsx <file>`), so peak RSS is per benchmark,
 * and prints one JSON object keyed by benchmark name (the file name without
 * `.bench.ts`). An optional argument keeps only benchmarks whose name
 * contains it. Each bench file, run directly, prints its figures as one JSON
 * line on stdout (the last line that parses as JSON is taken).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => f.slice(0, -'.bench.ts'.length).includes(filter));

if (files.length === 0) {
  console.error(`no benchmark matches "${filter}" in ${dir}`);
  process.exit(2);
}

function lastJsonLine(out: string): unknown {
  const lines = out.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}

const results: Record<string, unknown> = {};
let failed = false;
for (const f of files) {
  const name = f.slice(0, -'.bench.ts'.length);
  process.stderr.write(`bench ${name} ...\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const parsed = r.status === 0 ? lastJsonLine(r.stdout) : undefined;
  if (parsed === undefined) {
    failed = true;
    results[name] = { error: `exit ${r.status ?? r.signal}`, stdout_tail: r.stdout.slice(-2000) };
  } else results[name] = parsed;
}
console.log(JSON.stringify(results, null, 2));
if (failed) process.exitCode = 1;
