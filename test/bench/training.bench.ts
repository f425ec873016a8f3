/**
 * Training scale benchmark: FedAvg with 1,000 clients (LoRA on a 1B model,
 * phones in 10 cells) for 100 rounds, every client participating, in the
 * event loop with the shared radio. Target (issue 7): under 30 s wall.
 *
 * Run directly (`node --import tsx test/bench/training.bench.ts`) it prints
 * one JSON line.
 */
import { peakRssBytes } from '../../sim/cli/output.ts';
import { runTraining } from '../training/world.ts';
import { runIfMain } from './harness.ts';

export async function run(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = runTraining(
    { area: '3 km', servers: { count: 10, device: 'l4' }, users: { count: 1000, device: 'snapdragon-8-gen-3' } },
    {
      scheme: 'fl',
      job: { model: 'llama-3.2-1b', peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] }, batch: 2, seq: 256, local_steps: 2 },
      max_rounds: 100,
      stop_at_target: false,
    },
  );
  const wall_s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    fl_1000x100: {
      clients: 1000,
      rounds: r.metrics.rounds_completed,
      events: r.world.engine.eventsProcessed,
      wall_s,
      cpu_s: (cpu.user + cpu.system) / 1e6,
      round_time_s: r.metrics.round_time_s,
      under_30_s: wall_s < 30,
    },
    peak_rss_bytes: peakRssBytes(),
  };
}

runIfMain(import.meta.url, run);
