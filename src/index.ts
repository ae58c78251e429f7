/** The Functions app entry point: telemetry first, then every registration, each a few lines calling into src/app. */
import './functions/telemetry';
import './functions/events';
import './functions/alerts';
import './functions/timers';
import './functions/orchestration';
import './functions/api';
