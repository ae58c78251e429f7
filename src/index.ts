/** The Functions app entry point: every registration, each a few lines calling into src/app. */
import './functions/events';
import './functions/alerts';
import './functions/timers';
import './functions/orchestration';
import './functions/api';
