/**
 * What the release activities need from the outside world: the Azure world in the engine's words
 * (`src/azure/release-world.ts`: observe → events, execute a command), the notifier and the ledger.
 * `src/app/wiring.ts` builds them over the real SDK clients; tests build the same world over `MemoryAzure`.
 */
import type { Command } from '../core';
import type { ReleaseWorld } from '../azure/release-world';
import type { Ledger } from '../ledger/ledger';

export interface ReleasePorts extends ReleaseWorld {
  notify(command: Extract<Command, { kind: 'notify' }>, release: string): Promise<NotifyResult>;
  /** Retries absorbed by the adapters since the last call (for the ledger); optional for in-memory ports. */
  drainRetries?(): string[];
  ledger: Ledger;
}

export interface NotifyResult {
  delivered: boolean;
  attempts: number;
  error?: string;
}
