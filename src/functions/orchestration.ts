/** The durable release orchestrator and its activities. */
import * as df from 'durable-functions';
import { executeCommand, observeRelease, recordLedger, type ExecuteInput, type ObserveInput } from '../app/activities';
import { ACTIVITY, ORCHESTRATOR, releaseOrchestrator } from '../app/release-orchestrator';
import type { LedgerEntry } from '../ledger/ledger';
import { appDeps } from './deps';

df.app.orchestration(ORCHESTRATOR, releaseOrchestrator);
df.app.activity(ACTIVITY.observe, { handler: (input: ObserveInput) => observeRelease(input, appDeps().ports) });
df.app.activity(ACTIVITY.execute, { handler: (input: ExecuteInput) => executeCommand(input, appDeps().ports) });
df.app.activity(ACTIVITY.record, { handler: (input: LedgerEntry[]) => recordLedger(input, appDeps().ports) });
