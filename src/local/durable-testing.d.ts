// The durable-functions package ships this module without declarations; we use only its binding class.
declare module 'durable-functions/lib/src/util/testingUtils' {
  export class DurableOrchestrationInput {
    constructor(instanceId?: string, history?: unknown[], input?: unknown);
  }
}
declare module 'durable-functions/lib/src/util/testingUtils' {
  export function createOrchestrator(fn: (context: import('durable-functions').OrchestrationContext) => Generator<unknown, unknown, unknown>): (trigger: unknown, context: unknown) => Promise<unknown>;
}
