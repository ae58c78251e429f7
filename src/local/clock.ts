/**
 * The local runtime's clock. In Azure, time is wall time. In a rehearsal it follows the simulator's
 * virtual clock, which runs many times faster than real time: a timer for a simulated instant is armed
 * with the real delay (instant - simulated now) / speed, and re-checked when it fires.
 */
export interface HostClock {
  now(): Date;
  /** Calls `fn` once at or after `at`; returns a cancel function. */
  setTimer(at: Date, fn: () => void): () => void;
}

/** Node fires a setTimeout longer than ~24.8 days at once; long timers wait in chunks and re-check. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export const wallClock: HostClock = {
  now: () => new Date(),
  setTimer(at, fn) {
    let handle: NodeJS.Timeout | undefined;
    const wait = () => {
      const remaining = at.getTime() - Date.now();
      handle = remaining > MAX_TIMEOUT_MS ? setTimeout(wait, MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, remaining));
    };
    wait();
    return () => {
      if (handle) clearTimeout(handle);
    };
  },
};

/** A clock that follows another (e.g. the simulator's virtual clock) running at `speed()` × real time. */
export function followingClock(now: () => Date, speed: () => number): HostClock {
  return {
    now,
    setTimer(at, fn) {
      let handle: NodeJS.Timeout | undefined;
      let cancelled = false;
      const check = () => {
        if (cancelled) return;
        const remaining = at.getTime() - now().getTime();
        if (remaining <= 0) {
          fn();
          return;
        }
        // At most one real second per check, so a change of speed is picked up.
        handle = setTimeout(check, Math.min(1000, Math.max(1, remaining / Math.max(speed(), 1e-6))));
      };
      handle = setTimeout(check, 0);
      return () => {
        cancelled = true;
        if (handle) clearTimeout(handle);
      };
    },
  };
}

/**
 * A clock stepped by its owner (the rehearsal's lockstep loop): now() follows the simulator, and timers
 * fire only when `fireDue()` is called after the simulator moved, so a rehearsal is deterministic and
 * runs as fast as the machine allows.
 */
export class SteppedClock implements HostClock {
  private timers: { at: number; fn: () => void; live: boolean }[] = [];

  constructor(private readonly source: () => Date) {}

  now(): Date {
    return this.source();
  }

  setTimer(at: Date, fn: () => void): () => void {
    const t = { at: at.getTime(), fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }

  /** Fires every timer due at the current time, earliest first; returns how many fired. */
  fireDue(): number {
    const now = this.source().getTime();
    const due = this.timers.filter((t) => t.live && t.at <= now).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.live && t.at > now);
    for (const t of due) {
      t.live = false;
      t.fn();
    }
    return due.length;
  }

  /** The earliest pending timer, if any. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (t.live && (next === undefined || t.at < next)) next = t.at;
    return next;
  }
}
