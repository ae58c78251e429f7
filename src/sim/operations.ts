// Long-running operations: each accepted PUT/PATCH/POST that takes simulated time gets an operation id whose status
// is served at .../locations/{loc}/operations/{id} (Azure-AsyncOperation) and .../operationResults/{id} (Location).
import type { SeededIds } from './prng';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface Operation {
  id: string;
  provider: 'Microsoft.Compute' | 'Microsoft.VirtualMachineImages';
  location: string;
  subscriptionId: string;
  status: OperationStatus;
  startTime: number;
  endTime: number | undefined;
  error: { code: string; message: string } | undefined;
  /** Resource whose body the Location URL returns once the operation is done (PUT/PATCH); undefined for actions. */
  resourceId: string | undefined;
}

export class OperationStore {
  private readonly ops = new Map<string, Operation>();
  constructor(
    private readonly ids: SeededIds,
    private readonly now: () => number,
  ) {}

  create(init: Pick<Operation, 'provider' | 'location' | 'subscriptionId' | 'resourceId'>): Operation {
    const op: Operation = { ...init, id: this.ids.uuid(), status: 'InProgress', startTime: this.now(), endTime: undefined, error: undefined };
    this.ops.set(op.id, op);
    return op;
  }

  finish(op: Operation, status: Exclude<OperationStatus, 'InProgress'>, error?: { code: string; message: string }): void {
    if (op.status !== 'InProgress') return;
    op.status = status;
    op.endTime = this.now();
    op.error = error;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id.toLowerCase()) ?? this.ops.get(id);
  }

  statusUrl(base: string, op: Operation, apiVersion: string): string {
    return `${base}/subscriptions/${op.subscriptionId}/providers/${op.provider}/locations/${op.location}/operations/${op.id}?api-version=${apiVersion}`;
  }
  resultUrl(base: string, op: Operation, apiVersion: string): string {
    return `${base}/subscriptions/${op.subscriptionId}/providers/${op.provider}/locations/${op.location}/operationResults/${op.id}?api-version=${apiVersion}`;
  }
}
