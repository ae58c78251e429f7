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

export const wallClock: HostClock = {
  now: () => new Date(),
  setTimer(at, fn) {
    const t = setTimeout(fn, Math.max(0, at.getTime() - Date.now()));
    return () => clearTimeout(t);
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
