import { z } from 'zod';
import { cachingSchema } from '../caching/online/schema.ts';
import { deliverySchema } from '../delivery/schema.ts';
import { inferenceSchema } from '../inference/schema.ts';
import '../inference/modes/index.ts'; // inference.mode and its policy keys name these registrations
import { topologySchema } from '../network/schema.ts';
import { trainingSchema } from '../training/schema.ts';
import '../training/schemes.ts'; // training.scheme names these registrations
import { quantity } from '../common/units.ts';
import { loadProfile, loadRuntime } from '../hardware/profiles.ts';
import { getModel } from '../workload/catalog.ts';
import { storedWeightBits, unitCtx } from '../hardware/predict.ts';
import { RuntimeTargetError } from '../hardware/roofline.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import { pickUnit } from '../edge/site.ts';

/**
 * The root scenario schema. Each domain contributes its section; unknown keys
 * anywhere are errors.
 */
/** Sections a section cannot run without, and what they hold (the world's domains need their services). */
const NEEDS: Record<string, readonly string[]> = { caching: ['topology'], delivery: ['topology', 'caching'], inference: ['topology'], training: ['topology'] };
const HOLDS: Record<string, string> = { topology: 'base stations, edge servers and users', caching: 'the model catalog and what each server caches' };

export const scenarioSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-"')
    .describe('scenario name; default output folder is results/<name>-<seed>/'),
  description: z.string().optional(),
  extends: z.union([z.string(), z.array(z.string())]).optional().describe('file(s) this scenario overrides, relative to it'),
  seed: z.number().int().min(0).default(1).describe('master seed; every random stream derives from it'),
  duration: quantity('time', { gt: 0 }).describe('simulated horizon'),
  warmup: quantity('time', { min: 0 }).default(0).describe('statistics ignore what happens before it: inference requests that finish before it, model downloads that arrive before it, storage use before it (training counts every round)'),
  topology: topologySchema.optional().describe('base stations, edge servers and users'),
  caching: cachingSchema.optional().describe('edge model caching with parameter sharing: catalog, placement, replacement, demand'),
  delivery: deliverySchema.optional().describe('model downloads: unicast or multicast delivery (needs caching)'),
  inference: inferenceSchema.optional().describe('LLM inference requests served at the edge'),
  training: trainingSchema.optional().describe('LLM fine-tuning on devices and edge servers: centralized, fl, hfl, sl, sfl, psl, ushape'),
}).superRefine((sc, ctx) => {
  if (sc.warmup >= sc.duration) ctx.addIssue({ code: 'custom', path: ['warmup'], message: `expected a warm-up shorter than the duration (${sc.duration} s); with ${sc.warmup} s no result would count` });
  const present = sc as Record<string, unknown>;
  for (const [key, needs] of Object.entries(NEEDS)) {
    if (present[key] === undefined) continue;
    for (const n of needs) {
      if (present[n] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `needs a "${n}" section (${HOLDS[n]}), which this scenario lacks` });
    }
  }
  // Speculative decoding verifies the draft's tokens with the target: both need one tokenizer
  // (checked as the same vocabulary size).
  const inf = sc.inference;
  if (inf !== undefined && (inf.mode === 'speculative' || inf.mode === 'adaptive')) {
    const draft = getModel(inf.speculative.draft_model);
    for (const t of inf.models?.map((m) => m.model) ?? [inf.model]) {
      const target = getModel(t);
      if (target.vocab !== draft.vocab) {
        ctx.addIssue({ code: 'custom', path: ['inference', 'speculative', 'draft_model'], message: `the draft model ${draft.id} (vocabulary ${draft.vocab}) does not share the tokenizer of the target ${target.id} (vocabulary ${target.vocab}); pick a draft of the same family` });
        break;
      }
    }
  }
  // U-shaped split: the device keeps the head (at least one block) and the tail (at least one), the server at least one block.
  if (inf !== undefined && inf.split.u_shaped && inf.split.tail_layers < 1) {
    ctx.addIssue({ code: 'custom', path: ['inference', 'split', 'tail_layers'], message: 'expected at least 1 with u_shaped: true (the tail and the LM head stay on the phone); 0 would be a plain split' });
  }
  const tr = sc.training;
  if (tr !== undefined && tr.scheme === 'ushape') {
    const layers = getModel(tr.job.model).layers;
    if (tr.split.tail_layers > layers - 2) {
      ctx.addIssue({ code: 'custom', path: ['training', 'split', 'tail_layers'], message: `expected at most ${layers - 2} for ${tr.job.model} (${layers} blocks: at least one at the bottom on the device and one on the server); got ${tr.split.tail_layers}` });
    }
  }
  if (inf !== undefined && inf.split.u_shaped) {
    for (const t of inf.models?.map((m) => m.model) ?? [inf.model]) {
      const layers = getModel(t).layers;
      if (inf.split.tail_layers > layers - 2) {
        ctx.addIssue({ code: 'custom', path: ['inference', 'split', 'tail_layers'], message: `expected at most ${layers - 2} for ${t} (${layers} blocks: at least one stays at the head on the device and one runs on the server); got ${inf.split.tail_layers}` });
        break;
      }
    }
  }
  // Every unit that will run the model must have a datapath for its weights and run its runtime
  // (an int8-only DSP refuses 16-bit weights): checked here so validate and run agree, at the key's line.
  if (inf !== undefined && sc.topology !== undefined) {
    // A weight width the unit has no datapath for is reported at the bits' key; a runtime that does
    // not run there (unit, vendor, its weight widths) at the runtime's key.
    const check = (device: string, unit: UnitName, runtime: string | undefined, bits: number, bitsPath: (string | number)[], runtimePath: (string | number)[]) => {
      if (!knownRuntime(runtime)) return;
      try {
        unitCtx(device, unit, runtime, storedWeightBits(device, unit, bits));
      } catch (e) {
        if (!(e instanceof RangeError || e instanceof RuntimeTargetError)) throw e;
        ctx.addIssue({ code: 'custom', path: e instanceof RuntimeTargetError ? runtimePath : bitsPath, message: e.message.includes(device) ? e.message : `${device} ${unit}: ${e.message}` });
      }
    };
    // unknown ids are reported by their own fields; check only the devices and runtimes that exist
    const loads = (load: (id: string) => unknown) => (id: string | undefined) => {
      if (id === undefined) return true;
      try {
        load(id);
        return true;
      } catch {
        return false;
      }
    };
    const known = loads(loadProfile);
    const knownRuntime = loads(loadRuntime);
    if (inf.mode !== 'edge') {
      const deviceRuntime = ['inference', 'device', 'runtime'];
      const phones =
        inf.devices?.map((d, i) => ({ device: d.device, unit: d.unit ?? inf.device.unit, runtime: d.runtime ?? inf.device.runtime, runtimePath: d.runtime !== undefined ? ['inference', 'devices', i, 'runtime'] : deviceRuntime })) ??
        [{ device: sc.topology.users.device, unit: inf.device.unit, runtime: inf.device.runtime, runtimePath: deviceRuntime }];
      for (const p of phones) if (known(p.device)) check(p.device, pickUnit(p.device, p.unit), p.runtime, inf.device.weight_bits, ['inference', 'device', 'weight_bits'], p.runtimePath);
    }
    // An explicit server unit must exist on the server device (left out, the server takes its gpu, else npu, cpu, dsp).
    const sdev = sc.topology.servers.device;
    if (known(sdev)) {
      const sunit = inf.server.unit ?? pickUnit(sdev);
      const units = Object.keys(loadProfile(sdev).units);
      if (units.includes(sunit)) check(sdev, sunit, inf.server.runtime, inf.weight_bits, ['inference', 'weight_bits'], ['inference', 'server', 'runtime']);
      else ctx.addIssue({ code: 'custom', path: ['inference', 'server', 'unit'], message: `the edge server device "${sdev}" (topology.servers.device) has no unit "${sunit}"; it has: ${units.join(', ')}` });
    }
  }
});

export type Scenario = z.output<typeof scenarioSchema>;
