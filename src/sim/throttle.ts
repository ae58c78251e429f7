// ARM throttling on the virtual clock: token buckets per subscription (reads, writes) and for rolling-upgrade
// status reads per scale set (about 12 a minute, burst 36). Remaining budgets go out in x-ms-ratelimit-* headers.

export interface BucketConfig {
  capacity: number;
  perMinute: number;
}

export interface ThrottleConfig {
  subscriptionReads: BucketConfig;
  subscriptionWrites: BucketConfig;
  rollingUpgradeStatusReads: BucketConfig;
  enabled: boolean;
}

export const DEFAULT_THROTTLE: ThrottleConfig = {
  subscriptionReads: { capacity: 12_000, perMinute: 200 },
  subscriptionWrites: { capacity: 1_200, perMinute: 20 },
  rollingUpgradeStatusReads: { capacity: 36, perMinute: 12 },
  enabled: true,
};

class Bucket {
  tokens: number;
  constructor(
    public cfg: BucketConfig,
    private last: number,
  ) {
    this.tokens = cfg.capacity;
  }
  refill(now: number): void {
    const add = ((now - this.last) * this.cfg.perMinute) / 60_000;
    this.tokens = Math.min(this.cfg.capacity, this.tokens + Math.max(0, add));
    this.last = now;
  }
  /** Takes one token; returns the simulated ms to wait when none is left. */
  take(now: number): { ok: true; remaining: number } | { ok: false; waitMs: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    const waitMs = this.cfg.perMinute > 0 ? ((1 - this.tokens) * 60_000) / this.cfg.perMinute : 3_600_000;
    return { ok: false, waitMs };
  }
}

export type ThrottleResult = { ok: true; headers: Record<string, string> } | { ok: false; retryAfterSeconds: number; headers: Record<string, string> };

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();
  /** Requests refused with 429 by the throttle model (not injected faults). */
  refused = 0;
  constructor(
    public config: ThrottleConfig,
    private readonly now: () => number,
  ) {}

  private bucket(name: string, cfg: BucketConfig): Bucket {
    let b = this.buckets.get(name);
    if (!b) {
      b = new Bucket(cfg, this.now());
      this.buckets.set(name, b);
    }
    b.cfg = cfg;
    return b;
  }

  reset(): void {
    this.buckets.clear();
    this.refused = 0;
  }

  check(subscriptionId: string, kind: 'read' | 'write', rollingStatusFor?: string): ThrottleResult {
    const now = this.now();
    const headers: Record<string, string> = {};
    if (!this.config.enabled) return { ok: true, headers };
    const sub = kind === 'read' ? this.bucket(`r:${subscriptionId}`, this.config.subscriptionReads) : this.bucket(`w:${subscriptionId}`, this.config.subscriptionWrites);
    const header = kind === 'read' ? 'x-ms-ratelimit-remaining-subscription-reads' : 'x-ms-ratelimit-remaining-subscription-writes';
    if (rollingStatusFor) {
      const r = this.bucket(`ru:${rollingStatusFor.toLowerCase()}`, this.config.rollingUpgradeStatusReads).take(now);
      if (!r.ok) this.refused++;
      if (!r.ok) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(r.waitMs / 1000)), headers: { 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/GetRollingUpgradeStatus;0' } };
      headers['x-ms-ratelimit-remaining-resource'] = `Microsoft.Compute/GetRollingUpgradeStatus;${r.remaining}`;
    }
    const s = sub.take(now);
    if (!s.ok) this.refused++;
    if (!s.ok) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(s.waitMs / 1000)), headers: { [header]: '0' } };
    headers[header] = String(s.remaining);
    return { ok: true, headers };
  }
}
