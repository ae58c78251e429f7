// Seeded pseudo-random numbers. The simulator never calls Math.random: every choice derives from the seed,
// either from a sequential generator (mulberry32) or from a stable hash of a key (so that the answer for
// "is instance 3 of vmss-a healthy on 1.7.0" does not depend on the order in which questions are asked).

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A number in [0, 1) fixed by the seed and the key. */
export function keyedRandom(seed: number, key: string): number {
  return mulberry32(hashString(`${seed}:${key}`))();
}

export class SeededIds {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(hashString(`ids:${seed}`));
  }
  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }
  /** A GUID-shaped id (version-4 layout), deterministic for the seed. */
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${(8 + Math.floor(this.next() * 4)).toString(16)}${this.hex(3)}-${this.hex(12)}`;
  }
}
