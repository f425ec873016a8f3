/**
 * JSON that keeps NaN, Infinity and -Infinity (metrics and scenarios carry
 * them), for payloads that travel as JSON (BullMQ job data and results).
 */
const TAG = '\u0000num:';

export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `${TAG}${String(v)}` : v));
}

export function decode<T>(text: string): T {
  return JSON.parse(text, (_k, v) => (typeof v === 'string' && v.startsWith(TAG) ? Number(v.slice(TAG.length)) : v)) as T;
}
