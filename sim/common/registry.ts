/**
 * Named, swappable implementations. Every pluggable concern (placement,
 * replacement, deliveryMode, inferenceMode, cutSelection, trainingScheme,
 * admission, ...) is one Registry; a scenario picks an implementation by name
 * and `mei-sim list policies` prints them all.
 */
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

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): T {
    const e = this.entries.get(name);
    if (e === undefined) {
      throw new Error(`unknown ${this.kind} "${name}"; expected one of: ${this.names().join(', ')}`);
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
