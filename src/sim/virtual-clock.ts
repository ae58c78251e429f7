// The simulator's clock. Simulated events sit in a priority queue ordered by (time, insertion order);
// advance(ms) runs every event due up to now+ms in that order, so a run is deterministic for a seed.
// In real-time mode a timer advances the clock by elapsed wall time × speed.

export interface ScheduledHandle {
  readonly at: number;
  cancel(): void;
}

interface Entry {
  at: number;
  seq: number;
  label: string;
  run: () => void;
  cancelled: boolean;
}

export class VirtualClock {
  private t: number;
  private seq = 0;
  private heap: Entry[] = [];
  private speed: number;
  private manual: boolean;
  private timer: NodeJS.Timeout | undefined;
  private lastReal = 0;
  private running = false;
  processed = 0;
  /** Called after the clock moved (from advance or the real-time driver). */
  onAdvanced: (() => void) | undefined;

  constructor(start: Date | number, opts: { speed?: number; manual?: boolean } = {}) {
    this.t = typeof start === 'number' ? start : start.getTime();
    this.speed = opts.speed ?? 1;
    this.manual = opts.manual ?? false;
    if (!this.manual) this.startDriver();
  }

  now(): Date {
    return new Date(this.t);
  }
  nowMs(): number {
    return this.t;
  }
  getSpeed(): number {
    return this.speed;
  }
  isManual(): boolean {
    return this.manual;
  }
  pending(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }
  nextEventAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  schedule(at: number, label: string, run: () => void): ScheduledHandle {
    const entry: Entry = { at: Math.max(at, this.t), seq: this.seq++, label, run, cancelled: false };
    this.push(entry);
    return {
      at: entry.at,
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }
  after(ms: number, label: string, run: () => void): ScheduledHandle {
    return this.schedule(this.t + Math.max(0, ms), label, run);
  }

  /** Moves the clock forward by ms, running each due event at its own time. Returns the number of events run. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance by ${ms}`);
    return this.advanceTo(this.t + ms);
  }

  advanceTo(target: number): number {
    if (this.running) throw new Error('clock.advance called from inside a scheduled event');
    this.running = true;
    let count = 0;
    try {
      for (;;) {
        this.dropCancelledTop();
        const top = this.heap[0];
        if (!top || top.at > target) break;
        this.pop();
        this.t = Math.max(this.t, top.at);
        count++;
        top.run();
      }
      this.t = Math.max(this.t, target);
    } finally {
      this.running = false;
    }
    this.processed += count;
    this.onAdvanced?.();
    return count;
  }

  /** Runs events until the queue is empty or the limit of simulated time is reached. */
  runUntilIdle(limitMs: number): number {
    const end = this.t + limitMs;
    let count = 0;
    for (;;) {
      const next = this.nextEventAt();
      if (next === undefined || next > end) break;
      count += this.advanceTo(next);
    }
    return count;
  }

  setSpeed(speed: number): void {
    if (!Number.isFinite(speed) || speed < 0) throw new RangeError(`invalid speed ${speed}`);
    this.tick();
    this.speed = speed;
  }
  setManual(manual: boolean): void {
    if (manual === this.manual) return;
    this.manual = manual;
    if (manual) this.stopDriver();
    else this.startDriver();
  }

  stop(): void {
    this.stopDriver();
  }

  private startDriver(): void {
    this.lastReal = performance.now();
    this.timer = setInterval(() => this.tick(), 20);
    this.timer.unref();
  }
  private stopDriver(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
  private tick(): void {
    if (this.manual || this.running) return;
    const real = performance.now();
    const delta = (real - this.lastReal) * this.speed;
    this.lastReal = real;
    if (delta > 0) this.advance(delta);
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]?.cancelled) this.pop();
  }
  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p] as Entry;
      if (!this.less(e, pe)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = e;
  }
  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let me = last;
      const le = h[l];
      const re = h[r];
      if (le && this.less(le, me)) {
        m = l;
        me = le;
      }
      if (re && this.less(re, me)) {
        m = r;
        me = re;
      }
      if (m === i) break;
      h[i] = me;
      i = m;
    }
    h[i] = last;
    return top;
  }
}
