import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../sim/common/errors.ts';
import { deepMerge, loadScenario } from '../../sim/scenario/load.ts';
import { scenarioReferenceMarkdown, scenarioJsonSchema } from '../../sim/scenario/reference.ts';
import { parseQuantity, quantity } from '../../sim/common/units.ts';
import { ROOT, tempDir } from '../helpers.ts';

describe('units', () => {
  it('converts the issue examples to SI', () => {
    expect(parseQuantity('20 MHz', 'frequency')).toBe(20e6);
    expect(parseQuantity('46 dBm', 'power')).toBeCloseTo(39.81, 2);
    expect(parseQuantity('64 GB', 'bytes')).toBe(64e9);
    expect(parseQuantity('100 ms', 'time')).toBeCloseTo(0.1, 12);
    expect(parseQuantity('1.2 Gbit/s', 'bitrate')).toBe(1.2e9);
    expect(parseQuantity('512 KiB', 'bytes')).toBe(524288);
    expect(parseQuantity('-174 dBm/Hz', 'noise-density')).toBeCloseTo(3.98e-21, 23);
    expect(parseQuantity(5, 'time')).toBe(5);
  });
  it('a quantity may accept keywords, which bypass its bounds; other words still get the unit message', () => {
    const q = quantity('distance', { gt: 0, keywords: { frozen: Number.POSITIVE_INFINITY } });
    expect(q.parse('frozen')).toBe(Number.POSITIVE_INFINITY);
    expect(q.parse('50 m')).toBe(50);
    const bad = q.safeParse('melted');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/expected a distance.*"melted".*"frozen" is also accepted/);
    expect(q.safeParse('0 m').success).toBe(false);
  });

  it('rejects unknown units and wrong dimensions', () => {
    expect(() => parseQuantity('20 MHz', 'time')).toThrow(/unknown unit "MHz" for a time/);
    expect(() => parseQuantity('fast', 'time')).toThrow(/expected a time/);
  });
});

describe('scenario loading', () => {
  it('loads the embedded default and converts units', () => {
    const { scenario, hash } = loadScenario(undefined);
    expect(scenario.name).toBe('quickstart');
    expect(scenario.duration).toBe(1800);
    expect(scenario.topology!.servers.bandwidth).toBe(20e6);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('extends another file, overrides fields, and applies --set last', () => {
    const d = tempDir();
    writeFileSync(join(d, 'base.yaml'), 'name: base\nduration: 10 min\ntopology:\n  servers: { count: 4, device: l4 }\n  users: { count: 5 }\n');
    writeFileSync(join(d, 'child.yaml'), 'extends: base.yaml\nname: child\ntopology:\n  servers: { count: 9 }\n');
    const { scenario, files } = loadScenario(join(d, 'child.yaml'), { set: ['topology.users.count=7', 'duration=2 h'] });
    expect(scenario.name).toBe('child');
    expect(scenario.topology!.servers.count).toBe(9);
    expect(scenario.topology!.servers.device).toBe('l4');
    expect(scenario.topology!.users.count).toBe(7);
    expect(scenario.duration).toBe(7200);
    expect(files).toHaveLength(2);
  });

  it('points an error at the file that defined the bad value', () => {
    const d = tempDir();
    writeFileSync(join(d, 'base.yaml'), 'name: base\nduration: 10 min\ntopology:\n  servers:\n    count: 0\n');
    writeFileSync(join(d, 'child.yaml'), 'extends: base.yaml\nname: child\n');
    expect(() => loadScenario(join(d, 'child.yaml'))).toThrow(/base\.yaml:5:12: topology\.servers\.count/);
  });

  it('detects extends cycles', () => {
    const d = tempDir();
    writeFileSync(join(d, 'a.yaml'), 'extends: b.yaml\nname: a\n');
    writeFileSync(join(d, 'b.yaml'), 'extends: a.yaml\nname: b\n');
    expect(() => loadScenario(join(d, 'a.yaml'))).toThrow(InputError);
  });

  it('hash ignores the seed and key order but not values', () => {
    const a = loadScenario(undefined, { seed: 3 }).hash;
    const b = loadScenario(undefined, { seed: 4 }).hash;
    const c = loadScenario(undefined, { set: ['inference.server.slots=5'] }).hash;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('checks at load time what a run would otherwise fail on, at the line and path', () => {
    const d = tempDir();
    const bad = (name: string, yaml: string, opts = {}) => {
      writeFileSync(join(d, `${name}.yaml`), yaml);
      return () => loadScenario(join(d, `${name}.yaml`), opts);
    };
    // a section without the sections it needs
    expect(bad('a', 'name: a\nduration: 1 min\ninference: { mode: edge }\n')).toThrow(/a\.yaml:3:12: inference: needs a "topology" section/);
    expect(bad('b', 'name: b\nduration: 1 min\ntopology: {}\ndelivery: { mode: unicast }\n')).toThrow(/b\.yaml:4:11: delivery: needs a "caching" section/);
    // a server unit the server device lacks (the L4 has only a GPU); left out, the server takes its own
    const unit = bad('c', 'name: c\nduration: 1 min\ntopology: { servers: { device: l4 } }\ninference:\n  server: { unit: npu }\n');
    expect(unit).toThrow(/c\.yaml:5:19: inference\.server\.unit: the edge server device "l4" \(topology\.servers\.device\) has no unit "npu"; it has: gpu/);
    expect(bad('c2', 'name: c\nduration: 1 min\ntopology: { servers: { device: l4 } }\ninference: {}\n')().scenario.inference!.server.unit).toBeUndefined();
    // an unknown server runtime is bad input at its key (the unit check beside it had thrown an internal error, exit 1)
    expect(bad('c3', 'name: c\nduration: 1 min\ntopology: { servers: { device: l4 } }\ninference:\n  server: { runtime: vllm }\n')).toThrow(/^\S*c3\.yaml:5:22: inference\.server\.runtime: unknown runtime profile "vllm"/);
    // a missing or non-finite quantity says what is expected
    expect(bad('e', 'name: e\n')).toThrow(/duration: required: a time, as a number in s or a string with a unit/);
    expect(bad('f', 'name: f\nduration: .inf\n')).toThrow(/f\.yaml:2:11: duration: expected a time: a finite number in s .*; got number Infinity/);
    // absurd sizes stop at the schema, not in a typed-array allocation
    expect(bad('g', 'name: g\nduration: 1 min\ntopology: { users: { count: 1e12 } }\n')).toThrow(/topology\.users\.count: Too big/);
    // a list layout takes its count from its positions; positions or density another layout would ignore are refused
    const list = bad('h', 'name: h\nduration: 1 min\ntopology:\n  servers: { layout: grid, positions: [[0, 0]], density: 1e-6 }\n  users: { count: 3, placement: list, positions: [[1, 2], [3, 4]] }\n');
    expect(list).toThrow(/h\.yaml:4:39: topology\.servers\.positions: positions apply to layout: list only/);
    expect(list).toThrow(/h\.yaml:4:58: topology\.servers\.density: density applies to layout: ppp; this layout is grid/);
    expect(list).toThrow(/h\.yaml:5:19: topology\.users\.count: count 3 does not match the 2 position\(s\) of placement: list/);
    expect(bad('i', 'name: i\nduration: 1 min\ntopology: { users: { placement: list } }\n')).toThrow(/topology\.users\.positions: placement: list needs positions/);
    expect(bad('j', 'name: j\nduration: 1 min\ntopology: { users: { placement: list, positions: [[1, 2], [3, 4]] } }\n')().scenario.topology!.users.count).toBeUndefined();
    // a U-shaped split keeps a head block on the device and a block on the server
    expect(() => loadScenario(join(ROOT, 'scenarios/split-inference.yaml'), { set: ['inference.split.u_shaped=true', 'inference.split.tail_layers=31'] })).toThrow(
      /inference\.split\.tail_layers: expected at most 30 for llama-2-7b \(32 blocks/,
    );
    // U-shaped tails: at least one block on the phone (inference), at most layers - 2 (training too)
    expect(() => loadScenario(join(ROOT, 'scenarios/split-inference.yaml'), { set: ['inference.split.u_shaped=true', 'inference.split.tail_layers=0'] })).toThrow(/tail_layers: expected at least 1 with u_shaped: true/);
    expect(() => loadScenario(join(ROOT, 'scenarios/training-schemes.yaml'), { set: ['training.scheme=ushape', 'training.split.tail_layers=31'] })).toThrow(/training\.split\.tail_layers: expected at most 30 for llama-2-7b/);
    // random waypoint with a zero minimum speed decays (Yoon et al. 2003)
    expect(() => loadScenario(undefined, { set: ['topology.users.mobility={model: random-waypoint, speed: [0, 2]}'] })).toThrow(/mobility\.speed\[0\]: expected a minimum speed > 0/);
    // a bad --seed is blamed on the flag, not on the file
    expect(() => loadScenario(undefined, { seed: 1.5 })).toThrow(/^--seed 1\.5: seed: expected int/);
  });

  it('refuses overflowing quantities, a warm-up as long as the run, and min > max; extends can switch a distribution', () => {
    const d = tempDir();
    expect(() => loadScenario(undefined, { set: ['duration=1e400 s'] })).toThrow(/--set duration=1e400 s: duration: expected a finite time/);
    expect(() => loadScenario(undefined, { set: ['duration=10 min', 'warmup=10 min'] })).toThrow(/warmup: expected a warm-up shorter than the duration/);
    expect(() => loadScenario(undefined, { set: ['inference.requests.prompt_tokens={dist: uniform, min: 100, max: 10}'] })).toThrow(/prompt_tokens\.max: expected min <= max/);
    writeFileSync(join(d, 'child.yaml'), `extends: ${join(ROOT, 'scenarios/quickstart.yaml')}\ninference:\n  requests:\n    prompt_tokens: { dist: fixed, value: 5 }\n`);
    expect(loadScenario(join(d, 'child.yaml')).scenario.inference!.requests.prompt_tokens).toEqual({ dist: 'fixed', value: 5 });
    const rq = (prompt: unknown) => ({ inference: { requests: { prompt_tokens: prompt } } });
    expect(deepMerge(rq({ dist: 'lognormal', mean: 1, cv: 1 }), rq({ dist: 'fixed', value: 5 }))).toEqual(rq({ dist: 'fixed', value: 5 }));
  });

  it('only a schema union switches variant: overriding inference.model keeps the section; --set of a discriminator starts the object afresh', () => {
    const d = tempDir();
    writeFileSync(join(d, 'child.yaml'), `extends: ${join(ROOT, 'scenarios/inference-modes.yaml')}\ninference:\n  model: llama-3.2-1b\n`);
    const child = loadScenario(join(d, 'child.yaml')).scenario.inference!;
    expect(child.model).toBe('llama-3.2-1b');
    expect(child.mode).toBe('adaptive'); // the parent's, not the default ('edge'): the section was replaced whole before
    expect(child.requests.private_share).toBe(0.25);
    expect(loadScenario(join(ROOT, 'scenarios/training-schemes.yaml'), { set: ['training.split.cut.mode=min-latency'] }).scenario.training!.split.cut).toEqual({ mode: 'min-latency' });
    // a plain `model` key is not a variant key: the merge goes key by key
    expect(deepMerge({ inference: { model: 'a', mode: 'split' } }, { inference: { model: 'b' } })).toEqual({ inference: { model: 'b', mode: 'split' } });
  });

  it('a speculative draft must share the target\'s tokenizer; extends cannot come from --set', () => {
    expect(() => loadScenario(join(ROOT, 'scenarios/inference-modes.yaml'), { set: ['inference.mode=speculative', 'inference.speculative.draft_model=qwen2.5-0.5b'] })).toThrow(
      /inference\.speculative\.draft_model: the draft model qwen2\.5-0\.5b \(vocabulary 151936\) does not share the tokenizer of the target llama-3\.2-3b/,
    );
    expect(() => loadScenario(undefined, { set: ['extends=other.yaml'] })).toThrow(/--set extends=other\.yaml: extends is read from the scenario file/);
  });

  it('new input checks: variant keys, --set order and null, density, solver and search bounds, weight widths a unit cannot run', () => {
    const d = tempDir();
    const write = (name: string, yaml: string) => {
      writeFileSync(join(d, `${name}.yaml`), yaml);
      return join(d, `${name}.yaml`);
    };
    // a key of another variant says so (it said: unknown key "layer"; did you mean "layer"?)
    const layer = write('layer', `extends: ${join(ROOT, 'scenarios/training-schemes.yaml')}\ntraining:\n  split:\n    cut: { mode: min-latency, layer: 3 }\n`);
    expect(() => loadScenario(layer)).toThrow(/training\.split\.cut\.layer: "layer" belongs to another mode than "min-latency"; drop it or change mode/);
    // a variant's field set onto a defaulted union names the discriminator and the variant that has
    // the field, at the --set (it said "Invalid discriminator value" at the file's topology line)
    expect(() => loadScenario(join(ROOT, 'scenarios/trimcaching-small.yaml'), { set: ['topology.channel.pathloss.los=random'] })).toThrow(
      /^--set topology\.channel\.pathloss\.los=random: topology\.channel\.pathloss\.model: required when topology\.channel\.pathloss is given: one of "urban-macro", "log-distance", "3gpp-uma"; "los" is a field of model "3gpp-uma"$/,
    );
    expect(() => loadScenario(undefined, { set: ['topology.channel.pathloss.model=log-distanc'] })).toThrow(/pathloss\.model: expected one of: .*got "log-distanc"; did you mean "log-distance"\?/);
    // a field the --set's variant requires points at the --set, not at the file's deepest ancestor
    expect(() => loadScenario(join(ROOT, 'scenarios/trimcaching-small.yaml'), { set: ['topology.channel.pathloss.model=log-distance', 'topology.channel.pathloss.exponent=3'] })).toThrow(
      /^--set topology\.channel\.pathloss\.exponent=3: topology\.channel\.pathloss\.pl0: required/,
    );
    // a discriminator --set lands first, whatever the order
    const pl = ['topology.channel.pathloss.pl0=40', 'topology.channel.pathloss.exponent=3', 'topology.channel.pathloss.model=log-distance'];
    expect(loadScenario(undefined, { set: pl }).scenario.topology!.channel.pathloss).toMatchObject({ model: 'log-distance', pl0: 40, exponent: 3 });
    // =null removes a field
    const listed = loadScenario(undefined, { set: ['topology.servers.count=null', 'topology.servers.layout=list', 'topology.servers.positions=[[0, 0], [100, 100]]'] });
    expect(listed.scenario.topology!.servers.count).toBeUndefined();
    // density is per m², a plain number, not both with count, and bounded
    expect(() => loadScenario(undefined, { set: ['topology.servers={layout: ppp, density: 1 /min}'] })).toThrow(/density: expected number/);
    expect(() => loadScenario(undefined, { set: ['topology.servers={layout: ppp, density: 1}'] })).toThrow(/at most 100 000 servers on average/);
    expect(() => loadScenario(undefined, { set: ['topology.servers={layout: ppp, density: 1e-6, count: 5}'] })).toThrow(/give count .* or density, not both/);
    // solver and search bounds (node_limit above 2^31 - 1 was an opaque HiGHS error; 30 exact groups hung)
    const small = join(ROOT, 'scenarios/trimcaching-small.yaml');
    expect(() => loadScenario(small, { set: ['caching.placement_options.node_limit=3000000000'] })).toThrow(/node_limit: Too big/);
    expect(() => loadScenario(small, { set: ['caching.placement_options.local_search_exact_groups=30'] })).toThrow(/local_search_exact_groups: Too big/);
    // an option of the greedy given to another policy is refused, not ignored
    expect(() => loadScenario(small, { set: ['caching.placement=optimal', 'caching.placement_options.lookahead=true'] })).toThrow(/placement_options\.lookahead: applies to trimcaching-gen, trimcaching-gen-plus, independent; placement optimal would ignore it/);
    // 16-bit weights on an int8-only phone unit: refused at load time at its line (validate said ok, run exited 1)
    const dsp = write('dsp', `extends: ${join(ROOT, 'scenarios/quickstart.yaml')}\ninference:\n  mode: on-device\n  model: llama-3.2-1b\n  device: { unit: dsp, weight_bits: 16 }\ntopology:\n  users: { device: snapdragon-865 }\n`);
    expect(() => loadScenario(dsp)).toThrow(/dsp\.yaml:5:.*inference\.device\.weight_bits: snapdragon-865 dsp has no float datapath/);
  });

  it('deep-merges mappings and replaces lists', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });
});

describe('generated docs', () => {
  it('docs/scenario-reference.md is current (run `npm run docs` to regenerate)', () => {
    expect(readFileSync(join(ROOT, 'docs/scenario-reference.md'), 'utf8')).toBe(scenarioReferenceMarkdown());
  });
  it('docs/scenario.schema.json is current', () => {
    expect(readFileSync(join(ROOT, 'docs/scenario.schema.json'), 'utf8')).toBe(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
  });
  it('every scenario example validates', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(() => loadScenario(join(ROOT, 'scenarios', f)), f).not.toThrow();
  });
});
