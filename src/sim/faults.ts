// Fault injection, set through the admin API or a scenario's timeline (armFault, eventFault, with a window): per
// ARM operation (429 with Retry-After, 500, latency) and on event delivery (drop, duplicate, reorder).
// Probabilities draw from a seeded generator.
import { z } from 'zod';
import { mulberry32, hashString } from './prng';

export const armFaultSpec = z.strictObject({
  operation: z.string().default('*'),
  kind: z.enum(['throttle', 'error', 'latency']),
  status: z.number().int().min(400).max(599).optional(),
  code: z.string().optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  count: z.number().int().min(1).optional(),
  probability: z.number().min(0).max(1).optional(),
});
export const eventFaultSpec = z.strictObject({
  eventType: z.string().optional(),
  kind: z.enum(['drop', 'duplicate', 'reorder']),
  /** How late a reordered event is delivered (simulated seconds; default 60). */
  delaySeconds: z.number().int().min(1).max(86_400).optional(),
  count: z.number().int().min(1).optional(),
  probability: z.number().min(0).max(1).optional(),
});
export type ArmFaultSpec = z.infer<typeof armFaultSpec>;
export type EventFaultSpec = z.infer<typeof eventFaultSpec>;
export type ArmFault = ArmFaultSpec & { id: string; hits: number };
export type EventFault = EventFaultSpec & { id: string; hits: number };

export class Faults {
  arm: ArmFault[] = [];
  events: EventFault[] = [];
  private nextId = 1;
  private readonly rand: () => number;
  constructor(seed: number) {
    this.rand = mulberry32(hashString(`faults:${seed}`));
  }

  addArm(spec: z.infer<typeof armFaultSpec>): ArmFault {
    const f: ArmFault = { ...spec, id: `f${this.nextId++}`, hits: 0 };
    this.arm.push(f);
    return f;
  }
  addEvent(spec: z.infer<typeof eventFaultSpec>): EventFault {
    const f: EventFault = { ...spec, id: `f${this.nextId++}`, hits: 0 };
    this.events.push(f);
    return f;
  }
  remove(id: string): boolean {
    const before = this.arm.length + this.events.length;
    this.arm = this.arm.filter((f) => f.id !== id);
    this.events = this.events.filter((f) => f.id !== id);
    return this.arm.length + this.events.length < before;
  }
  clear(): void {
    this.arm = [];
    this.events = [];
  }

  private fires<T extends { count?: number | undefined; probability?: number | undefined; hits: number }>(f: T): boolean {
    if (f.count !== undefined && f.hits >= f.count) return false;
    if (f.probability !== undefined && this.rand() >= f.probability) return false;
    f.hits++;
    return true;
  }

  /** The faults that apply to this ARM operation now (latency first, then at most one failure). */
  forOperation(op: string): { latencyMs: number; failure: ArmFault | undefined } {
    let latencyMs = 0;
    let failure: ArmFault | undefined;
    for (const f of this.arm) {
      if (f.operation !== '*' && f.operation.toLowerCase() !== op.toLowerCase()) continue;
      if (f.kind === 'latency') {
        if (this.fires(f)) latencyMs += f.latencyMs ?? 1000;
      } else if (!failure && this.fires(f)) failure = f;
    }
    return { latencyMs, failure };
  }

  forEvent(eventType: string): EventFault | undefined {
    for (const f of this.events) {
      if (f.eventType !== undefined && f.eventType.toLowerCase() !== eventType.toLowerCase()) continue;
      if (this.fires(f)) return f;
    }
    return undefined;
  }
}
