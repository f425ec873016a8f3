/**
 * Named, swappable implementations. Every pluggable concern (placement,
 * replacement, deliveryMode, inferenceMode, cutSelection, trainingScheme,
 * admission, ...) is one Registry; a scenario picks an implementation by name
 * and `mei-sim list policies` prints them all.
 */
import { z } from 'zod';
import { closest } from './errors.ts';

export interface RegistryEntry<T> {
  name: string;
  description: string;
  impl: T;
}

export class Registry<T> {
  private readonly entries = new Map<string, RegistryEntry<T>>();

  constructor(
    /** The concern, e.g. "placement". */
    readonly kind: string,
    /** The scenario key that selects it, e.g. "caching.placement". */
    readonly scenarioKey: string,
  ) {
    if (allRegistries.has(kind)) throw new Error(`a registry of kind "${kind}" already exists`);
    allRegistries.set(kind, this as Registry<unknown>);
  }

  register(name: string, description: string, impl: T): this {
    if (this.entries.has(name)) throw new Error(`${this.kind}: "${name}" is registered twice`);
    this.entries.set(name, { name, description, impl });
    return this;
  }

  /** The concern in words, for messages: "trainingScheme" -> "training scheme". */
  get label(): string {
    return this.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }

  /** The message for a name that is not registered, with the nearest registered one. */
  unknownMessage(name: string): string {
    const near = closest(name, this.names());
    return `unknown ${this.label} "${name}"${near !== undefined ? `; did you mean "${near}"?` : ''} (expected one of: ${this.names().join(', ')})`;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): T {
    const e = this.entries.get(name);
    if (e === undefined) {
      throw new Error(this.unknownMessage(name));
    }
    return e.impl;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): RegistryEntry<T>[] {
    return [...this.entries.values()];
  }
}

/** Every registry created, in creation order. */
export const allRegistries = new Map<string, Registry<unknown>>();

/**
 * A scenario key that names a registered implementation, defaulting to `def`
 * when given. The name is checked when the scenario is parsed, so a wrong one
 * is reported at its key (file:line:col), with the nearest registered name.
 * `reg` may be given by kind when the schema cannot import the registry's
 * module without an import loop; that module must then be loaded before parsing.
 */
export function policyName(reg: Registry<unknown> | string, def: string): z.ZodDefault<z.ZodString>;
export function policyName(reg: Registry<unknown> | string): z.ZodString;
export function policyName(reg: Registry<unknown> | string, def?: string): z.ZodDefault<z.ZodString> | z.ZodString {
  const registry = (): Registry<unknown> => {
    const r = typeof reg === 'string' ? allRegistries.get(reg) : reg;
    if (r === undefined) throw new Error(`registry "${String(reg)}" is not loaded: import its module before parsing a scenario`);
    return r;
  };
  const check = (n: string, ctx: z.RefinementCtx): void => {
    const r = registry();
    if (!r.has(n)) ctx.addIssue({ code: 'custom', message: r.unknownMessage(n) });
  };
  const base = def === undefined ? z.string().superRefine(check) : z.string().default(def).superRefine(check);
  if (typeof reg === 'string') return base;
  // names registered after this schema is made (modules load in import order) are left to `mei-sim list policies`
  const names = reg.names().length > 0 ? `: ${reg.names().join(', ')}` : '';
  return base.describe(`${reg.label} policy (see \`mei-sim list policies\`)${names}`);
}
