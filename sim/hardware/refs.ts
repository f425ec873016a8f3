import { z } from 'zod';
import { listProfiles, listRuntimes } from './profiles.ts';
import { listModels } from '../workload/index.ts';
import { closest } from '../common/errors.ts';

/**
 * Scenario fields that name a hardware profile, a runtime profile or a model
 * are checked when the scenario is loaded, so a missing profile is a bad-input
 * error at its line (exit 2), not a failure in the middle of a run.
 */
function idOf(kind: string, listCmd: string, known: () => string[]) {
  let cache: Set<string> | null = null;
  return () =>
    z.string().superRefine((id, ctx) => {
      cache ??= new Set(known());
      if (cache.has(id)) return;
      const hint = closest(id, cache);
      ctx.addIssue({ code: 'custom', message: `unknown ${kind} "${id}"${hint ? `; did you mean "${hint}"?` : ''} (see \`mei-sim list ${listCmd}\`)` });
    });
}

export const deviceId = idOf('hardware profile', 'profiles', () => listProfiles().map((p) => p.id));
export const runtimeId = idOf('runtime profile', 'runtimes', () => listRuntimes().map((r) => r.id));
export const modelId = idOf('model', 'models', () => listModels());
