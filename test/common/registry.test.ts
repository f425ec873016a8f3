import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { policyName, Registry } from '../../sim/common/registry.ts';

describe('registries and the scenario keys that name them', () => {
  const reg = new Registry<number>('testDeliveryMode', 'test.mode').register('unicast', 'one', 1).register('multicast', 'many', 2);

  it('names the concern in words and offers the nearest registered name', () => {
    expect(reg.label).toBe('test delivery mode');
    expect(() => reg.get('multicst')).toThrow('unknown test delivery mode "multicst"; did you mean "multicast"? (expected one of: unicast, multicast)');
    expect(reg.unknownMessage('zzzzzzzz')).toBe('unknown test delivery mode "zzzzzzzz" (expected one of: unicast, multicast)');
  });

  it('checks a name when parsing, by registry or by kind, with or without a default', () => {
    const s = z.object({ a: policyName(reg, 'unicast'), b: policyName('testDeliveryMode').optional() });
    expect(s.parse({})).toEqual({ a: 'unicast' });
    expect(s.parse({ b: 'multicast' })).toEqual({ a: 'unicast', b: 'multicast' });
    const r = s.safeParse({ a: 'unicst', b: 'broadcast' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['a', 'unknown test delivery mode "unicst"; did you mean "unicast"? (expected one of: unicast, multicast)'],
      ['b', 'unknown test delivery mode "broadcast" (expected one of: unicast, multicast)'],
    ]);
    // a kind that no module registered is a programming error, not bad input
    expect(() => policyName('neverRegistered', 'x').parse('x')).toThrow('registry "neverRegistered" is not loaded');
  });
});
