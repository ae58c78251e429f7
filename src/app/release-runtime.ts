/**
 * Where releases run: a port over Durable Functions (the client binding in Azure, the local durable host
 * in `ringmaster serve`). Handlers talk to this port only.
 */
import type { ReleaseEvent } from '../core';
import type { ReleaseSummary } from './release-summary';

export interface ReleaseInstance {
  instanceId: string;
  status: 'Running' | 'Completed' | 'Failed' | 'Terminated' | 'Pending' | 'ContinuedAsNew' | 'Unknown';
  createdTime: string;
  lastUpdatedTime: string;
  summary?: ReleaseSummary;
}

export interface ReleaseRuntime {
  /** Starts the orchestration for a release; false when it already runs. */
  start(instanceId: string, input: unknown): Promise<boolean>;
  /** Raises a signal; false when no running instance has this id. */
  signal(instanceId: string, event: ReleaseEvent): Promise<boolean>;
  get(instanceId: string): Promise<ReleaseInstance | undefined>;
  /** Every release (the API); `{ active: true }`: running ones only (the watcher and the router, every minute). */
  list(filter?: { active?: boolean }): Promise<ReleaseInstance[]>;
  /**
   * Deletes the orchestration history of releases that ended (completed, failed, terminated) and were created
   * before `createdBefore`; returns how many. The ledger keeps their record. Running releases are never purged.
   */
  purge?(createdBefore: Date): Promise<number>;
}

/**
 * The durable instance id of a version's release: readable and deterministic, e.g.
 * `payments-api-1.7.0-3f9a21c4` for …/images/payments-api/versions/1.7.0 (the hash tells apart
 * equal names in different galleries). Azure instance ids may not contain / \ # ?.
 */
export function releaseIdOf(versionId: string): string {
  const lower = versionId.toLowerCase();
  const parts = lower.split('/');
  const version = parts.at(-1) ?? 'version';
  const image = parts.at(-3) ?? 'image';
  return `${image}-${version}-${fnv1a(lower)}`.replace(/[^a-z0-9.-]/g, '-');
}

/**
 * The image and version a release id names, read back from `releaseIdOf`'s shape: `payments-api-1.7.0-3f9a21c4` →
 * `{ image: 'payments-api', version: '1.7.0' }`. Exact for the version (gallery versions are Major.Minor.Patch
 * integers); the image name is as the id spells it (lower case, `_` turned to `-`). Undefined for another shape.
 */
export function releaseNamesOf(id: string): { image: string; version: string } | undefined {
  const m = /^(.+)-(\d+\.\d+\.\d+)-[0-9a-f]{8}$/.exec(id);
  return m ? { image: m[1]!, version: m[2]! } : undefined;
}

/** 32-bit FNV-1a as 8 hex digits: short, stable, no crypto needed for an id suffix. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
