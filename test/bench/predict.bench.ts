/**
 * 100 device x model predictions (prefill + decode over 128 tokens each),
 * cold (profiles loaded and op lists built) and warm (caches filled).
 */
import { pathToFileURL } from 'node:url';
import { clearPredictCache, predict } from '../../sim/hardware/predict.ts';
import { listProfiles } from '../../sim/hardware/profiles.ts';
import { listModels } from '../../sim/workload/catalog.ts';
import type { UnitName } from '../../sim/hardware/profile-schema.ts';

export async function run(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const devices = listProfiles().map((p) => ({ id: p.id, unit: (p.units.includes('gpu') ? 'gpu' : p.units[0]) as UnitName }));
  const t1 = performance.now();
  const models = listModels();
  const pairs: { device: string; unit: UnitName; model: string }[] = [];
  for (let i = 0; pairs.length < 100; i++) {
    const d = devices[i % devices.length]!;
    pairs.push({ device: d.id, unit: d.unit, model: models[(i * 7) % models.length]! });
  }
  const once = () => {
    let ok = 0;
    let failed = 0;
    for (const p of pairs) {
      try {
        predict({ ...p, weight_bits: 4, prompt: 128, gen: 128 });
        ok++;
      } catch {
        failed++; // model does not fit the device: still a full evaluation up to the fit check
      }
    }
    return { ok, failed };
  };
  clearPredictCache();
  const t2 = performance.now();
  const cold = once();
  const t3 = performance.now();
  once();
  const t4 = performance.now();
  return {
    pairs: pairs.length,
    predicted: cold.ok,
    did_not_fit: cold.failed,
    profile_load_s: (t1 - t0) / 1000,
    predict_100_cold_s: (t3 - t2) / 1000,
    predict_100_warm_s: (t4 - t3) / 1000,
    predict_100_total_s: (t3 - t0) / 1000,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (r) => console.log(JSON.stringify(r)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
