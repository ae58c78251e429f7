/** The durable release orchestrator and its activities. */
import * as df from 'durable-functions';
import { releaseActivities } from '../app/activities';
import { ORCHESTRATOR, releaseOrchestrator } from '../app/release-orchestrator';
import { appDeps } from './deps';

df.app.orchestration(ORCHESTRATOR, releaseOrchestrator);
for (const [name, handler] of Object.entries(releaseActivities(() => appDeps().ports))) df.app.activity(name, { handler });
