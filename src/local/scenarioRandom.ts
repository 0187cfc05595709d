// Deterministic test data for the local scenario: a seeded random source, ids and Graph / Intune time formats.

/** Graph's form: 7 fractional digits, the last four made up below the millisecond. */
export function graphTimestamp(ms: number, random: SeededRandom): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(random.int(0, 9999)).padStart(4, '0')}Z`;
}

/** US-locale text, as Intune writes dates inside modifiedProperties ("8/9/2024 6:29:00 PM"). */
export function usDate(ms: number): string {
  const d = new Date(ms);
  const hour = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${hour}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${time}`;
}

export interface SeededRandom {
  /** In [0, 1). */
  next(): number;
  /** In [min, max], both included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny and good enough for test data; Math.random would make scenarios unrepeatable. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)] };
}

export function hex(random: SeededRandom, length: number): string {
  let text = '';
  while (text.length < length) text += random.int(0, 15).toString(16);
  return text;
}

/** A version-4-looking GUID. */
export function guid(random: SeededRandom): string {
  const h = hex(random, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[random.int(0, 3)]!;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export function hashText(text: string): number {
  let hash = 2_166_136_261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16_777_619);
  return hash >>> 0;
}
