/** Telemetry first (src/index.ts imports this before any registration): Application Insights in Azure, nothing locally. */
import { startTelemetry } from '../app/azure-monitor';

startTelemetry(process.env);
