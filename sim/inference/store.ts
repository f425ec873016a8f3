/**
 * Per-request state of the inference domain in typed arrays indexed by a
 * recycled slot, so memory stays flat over long runs and the hot path
 * allocates nothing.
 */
const INT_FIELDS = [
  'user', 'server', 'group', 'model', 'mode', 'prompt', 'output', 'generated', 'cut', 'cut2',
  'srvFrom', 'srvTo', 'srvCtx', 'srvLeft', 'srvPrefill', 'srvItem', 'srvGamma', 'flags', 'rounds', 'roundTokens', 'xferDir', 'xferCell', 'priv',
] as const;
const FLOAT_FIELDS = [
  'seq', 'tArrival', 'tFirst', 'tEnd', 'tQueued', 'devEnergy', 'radioEnergy', 'xferStart', 'xferBytes', 'radioLastEnd', 'kvBytes', 'aux',
] as const;

type IntField = (typeof INT_FIELDS)[number];
type FloatField = (typeof FLOAT_FIELDS)[number];

export type RequestStore = { [K in IntField]: Int32Array } & { [K in FloatField]: Float64Array } & {
  alloc(): number;
  free(slot: number): void;
  readonly capacity: number;
  /** Slots in use: requests arrived and neither finished nor rejected. */
  readonly live: number;
};

export function createRequestStore(initial = 1024): RequestStore {
  let cap = initial;
  const freeList: number[] = [];
  let used = 0;
  const s = {} as Record<string, Int32Array | Float64Array>;
  for (const f of INT_FIELDS) s[f] = new Int32Array(cap);
  for (const f of FLOAT_FIELDS) s[f] = new Float64Array(cap);
  const grow = () => {
    cap *= 2;
    for (const f of INT_FIELDS) {
      const a = new Int32Array(cap);
      a.set(s[f] as Int32Array);
      s[f] = a;
    }
    for (const f of FLOAT_FIELDS) {
      const a = new Float64Array(cap);
      a.set(s[f] as Float64Array);
      s[f] = a;
    }
  };
  const store = s as unknown as RequestStore;
  Object.defineProperty(store, 'capacity', { get: () => cap });
  Object.defineProperty(store, 'live', { get: () => used - freeList.length });
  (store as { alloc: () => number }).alloc = () => {
    const f = freeList.pop();
    if (f !== undefined) return f;
    if (used === cap) grow();
    return used++;
  };
  (store as { free: (slot: number) => void }).free = (slot: number) => {
    freeList.push(slot);
  };
  return store;
}
