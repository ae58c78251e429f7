/**
 * A small Durable Task host for the local runtime: runs orchestrators registered with the real
 * `durable-functions` library by feeding them Durable Task history and executing the actions they return,
 * exactly as the Durable Functions extension does inside the Functions host (which cannot run here).
 *
 * Supported actions: CallActivity, CreateTimer (cancellable), WaitForExternalEvent, WhenAny/WhenAll of
 * those, ContinueAsNew. History and the inbox are persisted per instance (a JSON file in the state dir,
 * written atomically) before anything acts on them, so a killed host resumes every instance on restart:
 * activities that were scheduled but not completed run again (activities must be idempotent), pending
 * timers are re-armed, unprocessed events are replayed.
 */
import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DurableOrchestrationInput } from 'durable-functions/lib/src/util/testingUtils';
import type { HostClock } from './clock';

type Handler = (input: unknown, context: InvocationContext) => unknown;

/** History events as the Durable Task framework writes them (EventType numbers from HistoryEventType). */
interface StoredEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

const ET = { ExecutionStarted: 0, TaskScheduled: 4, TaskCompleted: 5, TaskFailed: 6, TimerCreated: 10, TimerFired: 11, OrchestratorStarted: 12, OrchestratorCompleted: 13, EventRaised: 15 } as const;
const AT = { CallActivity: 0, CallActivityWithRetry: 1, ContinueAsNew: 4, CreateTimer: 5, WaitForExternalEvent: 6, WhenAny: 11, WhenAll: 12 } as const;

interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  fireAt?: Date | string;
  isCanceled?: boolean;
  compoundActions?: Action[];
}

export type RuntimeStatus = 'Running' | 'Completed' | 'Failed' | 'Terminated';

export interface InstanceRecord {
  instanceId: string;
  name: string;
  input: unknown;
  status: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  /** Increments on every continue-as-new, so timers of an old generation never fire into a new one. */
  generation: number;
  history: StoredEvent[];
  /** Events received but not yet given to the orchestrator. */
  inbox: StoredEvent[];
  /** Flattened actions already acted on in this generation. */
  handledActions: number;
  pendingActivities: { id: number; name: string; input: unknown }[];
  pendingTimers: { id: number; fireAt: string }[];
  customStatus?: unknown;
  output?: unknown;
  error?: string;
  episodes: number;
}

export interface DurableHostOptions {
  stateDir?: string;
  clock: HostClock;
  log?: (message: string) => void;
}

export class DurableHost {
  private readonly orchestrators = new Map<string, Handler>();
  private readonly activities = new Map<string, Handler>();
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, () => void>();
  private readonly idle = new Set<() => void>();
  /** Records changed since the last write to `stateDir` (written behind, once per turn of the event loop). */
  private readonly dirty = new Set<InstanceRecord>();
  private flushing: NodeJS.Immediate | undefined;
  private running = 0;
  private closed = false;

  constructor(private readonly options: DurableHostOptions) {
    if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });
  }

  registerOrchestrator(name: string, handler: Handler): void {
    this.orchestrators.set(name, handler);
  }

  registerActivity(name: string, handler: Handler): void {
    this.activities.set(name, handler);
  }

  /** Loads persisted instances and resumes the ones still running. */
  resume(): number {
    if (!this.options.stateDir) return 0;
    let resumed = 0;
    for (const file of readdirSync(this.options.stateDir).filter((f) => f.endsWith('.json'))) {
      const rec = JSON.parse(readFileSync(join(this.options.stateDir, file), 'utf8')) as InstanceRecord;
      this.instances.set(rec.instanceId, rec);
      if (rec.status !== 'Running') continue;
      resumed++;
      for (const a of rec.pendingActivities) this.runActivity(rec, a.id, a.name, a.input, rec.generation);
      for (const t of rec.pendingTimers) this.armTimer(rec, t.id, t.fireAt, rec.generation);
      this.kick(rec.instanceId);
    }
    return resumed;
  }

  /** Starts an orchestration; a second start of a running instance id is refused (returns false). */
  start(name: string, instanceId: string, input: unknown): boolean {
    const existing = this.instances.get(instanceId);
    if (existing && existing.status === 'Running') return false;
    if (!this.orchestrators.has(name)) throw new Error(`no orchestrator named ${name} is registered`);
    const now = this.options.clock.now().toISOString();
    const rec: InstanceRecord = {
      instanceId, name, input, status: 'Running', createdTime: now, lastUpdatedTime: now, generation: 0,
      history: [], inbox: [], handledActions: 0, pendingActivities: [], pendingTimers: [], episodes: 0,
    };
    rec.inbox.push(event(ET.ExecutionStarted, -1, now, { Name: name, Input: JSON.stringify(input) }));
    this.instances.set(instanceId, rec);
    this.save(rec);
    this.kick(instanceId);
    return true;
  }

  /** Raises an external event; the inbox is persisted before this returns. */
  raiseEvent(instanceId: string, name: string, data: unknown): boolean {
    const rec = this.instances.get(instanceId);
    if (!rec || rec.status !== 'Running') return false;
    rec.inbox.push(event(ET.EventRaised, -1, this.options.clock.now().toISOString(), { Name: name, Input: JSON.stringify(data) }));
    this.save(rec);
    this.kick(instanceId);
    return true;
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  list(): InstanceRecord[] {
    return [...this.instances.values()];
  }

  /** Resolves when no episode or activity is running and no event waits in any inbox. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  /** Deletes ended instances (not Running) created before `createdBefore`, with their files; returns how many. */
  purge(createdBefore: Date): number {
    this.flush();
    let n = 0;
    for (const rec of [...this.instances.values()]) {
      if (rec.status === 'Running' || Date.parse(rec.createdTime) >= createdBefore.getTime()) continue;
      this.instances.delete(rec.instanceId);
      this.dirty.delete(rec);
      if (this.options.stateDir) rmSync(join(this.options.stateDir, `${encodeURIComponent(rec.instanceId)}.json`), { force: true });
      n++;
    }
    return n;
  }

  close(): void {
    this.flush();
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  // ------------------------------------------------------------------------------------------ internals

  private isIdle(): boolean {
    return this.running === 0 && [...this.instances.values()].every((r) => r.status !== 'Running' || r.inbox.length === 0);
  }

  private settle(): void {
    if (!this.isIdle()) return;
    for (const resolve of [...this.idle]) resolve();
    this.idle.clear();
  }

  /** Serialises episodes per instance. */
  private kick(instanceId: string): void {
    const previous = this.queues.get(instanceId) ?? Promise.resolve();
    this.running++;
    const next = previous
      .then(() => this.episode(instanceId))
      .catch((err: unknown) => this.options.log?.(`durable host: ${instanceId}: ${String(err)}`))
      .finally(() => {
        this.running--;
        this.settle();
      });
    this.queues.set(instanceId, next);
  }

  private async episode(instanceId: string): Promise<void> {
    const rec = this.instances.get(instanceId);
    if (!rec || rec.status !== 'Running' || rec.inbox.length === 0 || this.closed) return;
    const handler = this.orchestrators.get(rec.name);
    if (!handler) throw new Error(`no orchestrator named ${rec.name}`);
    const now = this.options.clock.now().toISOString();
    // A copy: events that arrive while the orchestrator runs belong to the next episode, not to this one.
    const arriving = [...rec.inbox];
    const history = [...rec.history, event(ET.OrchestratorStarted, -1, now), ...arriving];
    const binding = new DurableOrchestrationInput(instanceId, revive(history), rec.input);
    const context = new InvocationContext({ functionName: rec.name, invocationId: randomUUID(), logHandler: () => {} });
    let result: { isDone?: boolean; actions?: Action[][]; output?: unknown; customStatus?: unknown };
    try {
      result = (await handler(binding, context)) as typeof result;
    } catch (err) {
      const state = (err as { state?: { customStatus?: unknown } }).state;
      rec.status = 'Failed';
      rec.error = err instanceof Error ? err.message : String(err);
      rec.customStatus = state?.customStatus ?? rec.customStatus;
      rec.history = [...history, event(ET.OrchestratorCompleted, -1, now)];
      rec.inbox = [];
      this.save(rec);
      this.options.log?.(`orchestration ${instanceId} failed: ${rec.error}`);
      return;
    }
    const statusBytes = utf16Bytes(result.customStatus);
    if (statusBytes > MAX_CUSTOM_STATUS_BYTES) {
      // The Durable extension refuses a custom status over 16 KB of UTF-16 JSON and fails the orchestration.
      rec.status = 'Failed';
      rec.error = `custom status is ${statusBytes} bytes of UTF-16 JSON, over the Durable extension's limit of ${MAX_CUSTOM_STATUS_BYTES}`;
      rec.history = [...history, event(ET.OrchestratorCompleted, -1, now)];
      rec.inbox = [];
      this.save(rec);
      this.options.log?.(`orchestration ${instanceId} failed: ${rec.error}`);
      return;
    }
    rec.episodes++;
    rec.history = [...history, event(ET.OrchestratorCompleted, -1, now)];
    rec.inbox = rec.inbox.slice(arriving.length);
    rec.customStatus = result.customStatus;
    rec.lastUpdatedTime = now;
    const flat = flatten((result.actions ?? []).flat());
    let continued: Action | undefined;
    for (let i = 0; i < flat.length; i++) {
      const { action, id } = flat[i]!;
      if (action.actionType === AT.CreateTimer && action.isCanceled) this.cancelTimer(rec, id);
      if (i < rec.handledActions) continue;
      switch (action.actionType) {
        case AT.CallActivity:
        case AT.CallActivityWithRetry:
          rec.history.push(event(ET.TaskScheduled, id, now, { Name: action.functionName }));
          rec.pendingActivities.push({ id, name: action.functionName!, input: action.input });
          this.runActivity(rec, id, action.functionName!, action.input, rec.generation);
          break;
        case AT.CreateTimer: {
          const fireAt = new Date(action.fireAt as Date).toISOString();
          rec.history.push(event(ET.TimerCreated, id, now, { FireAt: fireAt }));
          if (!action.isCanceled) {
            rec.pendingTimers.push({ id, fireAt });
            this.armTimer(rec, id, fireAt, rec.generation);
          }
          break;
        }
        case AT.ContinueAsNew:
          continued = action;
          break;
        default:
          break;
      }
    }
    rec.handledActions = flat.length;
    if (continued) {
      for (const t of rec.pendingTimers) this.cancelTimer(rec, t.id);
      rec.generation++;
      rec.input = continued.input;
      rec.history = [];
      rec.handledActions = 0;
      rec.pendingActivities = [];
      rec.pendingTimers = [];
      rec.inbox.unshift(event(ET.ExecutionStarted, -1, now, { Name: rec.name, Input: JSON.stringify(continued.input) }));
    } else if (result.isDone) {
      rec.status = 'Completed';
      rec.output = result.output;
      for (const t of rec.pendingTimers) this.cancelTimer(rec, t.id);
      rec.pendingTimers = [];
    }
    this.save(rec);
    if (rec.status === 'Running' && rec.inbox.length > 0) this.kick(instanceId);
  }

  private runActivity(rec: InstanceRecord, id: number, name: string, input: unknown, generation: number): void {
    const handler = this.activities.get(name);
    this.running++;
    const context = new InvocationContext({ functionName: name, invocationId: randomUUID(), logHandler: () => {} });
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no activity named ${name} is registered`);
        return handler(input, context);
      })
      .then(
        (value) => this.complete(rec, id, generation, event(ET.TaskCompleted, -1, this.options.clock.now().toISOString(), { TaskScheduledId: id, Result: JSON.stringify(value ?? null) })),
        (err: unknown) => this.complete(rec, id, generation, event(ET.TaskFailed, -1, this.options.clock.now().toISOString(), { TaskScheduledId: id, Reason: err instanceof Error ? err.message : String(err), Details: err instanceof Error ? (err.stack ?? '') : '' })),
      )
      .finally(() => {
        this.running--;
        this.settle();
      });
  }

  private complete(rec: InstanceRecord, id: number, generation: number, e: StoredEvent): void {
    if (this.closed || rec.generation !== generation || rec.status !== 'Running') return;
    rec.pendingActivities = rec.pendingActivities.filter((a) => a.id !== id);
    rec.inbox.push(e);
    this.save(rec);
    this.kick(rec.instanceId);
  }

  private armTimer(rec: InstanceRecord, id: number, fireAt: string, generation: number): void {
    const key = `${rec.instanceId}#${generation}#${id}`;
    if (this.timers.has(key) || this.closed) return;
    const cancel = this.options.clock.setTimer(new Date(fireAt), () => {
      this.timers.delete(key);
      if (rec.generation !== generation || rec.status !== 'Running') return;
      rec.pendingTimers = rec.pendingTimers.filter((t) => t.id !== id);
      rec.inbox.push(event(ET.TimerFired, -1, this.options.clock.now().toISOString(), { TimerId: id, FireAt: fireAt }));
      this.save(rec);
      this.kick(rec.instanceId);
    });
    this.timers.set(key, cancel);
  }

  private cancelTimer(rec: InstanceRecord, id: number): void {
    const key = `${rec.instanceId}#${rec.generation}#${id}`;
    this.timers.get(key)?.();
    this.timers.delete(key);
    rec.pendingTimers = rec.pendingTimers.filter((t) => t.id !== id);
  }

  /**
   * Marks `rec` for writing. Writes go behind, once per turn of the event loop: a ring's hundreds of activity
   * results arriving together cost one write of the record, not hundreds (and `close` writes what is left).
   */
  private save(rec: InstanceRecord): void {
    if (!this.options.stateDir || this.closed) return;
    this.dirty.add(rec);
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (!this.options.stateDir) return;
    for (const rec of this.dirty) {
      const file = join(this.options.stateDir, `${encodeURIComponent(rec.instanceId)}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(rec));
      renameSync(`${file}.tmp`, file);
    }
    this.dirty.clear();
  }
}

/** Durable Functions caps custom status at 16 KB of UTF-16 JSON (docs: "Custom orchestration status"). */
export const MAX_CUSTOM_STATUS_BYTES = 16 * 1024;

export function utf16Bytes(value: unknown): number {
  return value === undefined ? 0 : JSON.stringify(value).length * 2;
}

function event(type: number, id: number, at: string, fields: Record<string, unknown> = {}): StoredEvent {
  return { EventType: type, EventId: id, IsPlayed: false, Timestamp: at, ...fields };
}

/** The library compares Timestamps with Dates, so give it Dates (JSON gave us strings). */
function revive(history: StoredEvent[]): unknown[] {
  return history.map((e) => ({ ...e, Timestamp: new Date(e.Timestamp) }));
}

/**
 * Flattens actions as the library numbers its tasks: compound actions contribute their children in order;
 * activities and timers take the next sequence number, external-event waits take none.
 */
function flatten(actions: Action[]): { action: Action; id: number }[] {
  const out: { action: Action; id: number }[] = [];
  let seq = 0;
  const visit = (a: Action) => {
    if (a.actionType === AT.WhenAny || a.actionType === AT.WhenAll) {
      for (const c of a.compoundActions ?? []) visit(c);
      return;
    }
    const consumes = a.actionType === AT.CallActivity || a.actionType === AT.CallActivityWithRetry || a.actionType === AT.CreateTimer;
    out.push({ action: a, id: consumes ? seq++ : -1 });
  };
  actions.forEach(visit);
  return out;
}
