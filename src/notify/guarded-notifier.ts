/**
 * What every chat notifier shares: its URL is checked against the policy once; a refused URL is recorded and
 * never sent to; each attempt gets the guarded transport (policy, timeout, extra CA) and runs under the
 * delivery budget of `delivery.ts`. A channel supplies only how one attempt posts one notice.
 */
import { type AttemptOutcome, type Channel, deliver, type DeliveryOptions, refusedDelivery, type Notifier } from './delivery';
import type { TransportOptions } from './http-transport';
import type { Notice } from './notice';
import { checkWebhookUrl, type UrlPolicy } from './url-policy';

export interface GuardedOptions extends DeliveryOptions {
  route: string;
  policy: UrlPolicy;
  /** Extra CA (PEM) for a local HTTPS sink. */
  ca?: string;
}

/** `prepare(notice)` runs once per send (build the payload there); the function it returns runs once per attempt. */
export function guardedNotifier(
  channel: Channel,
  url: string,
  what: string,
  options: GuardedOptions,
  prepare: (notice: Notice) => (url: URL, transport: TransportOptions) => Promise<AttemptOutcome>,
): Notifier {
  const check = checkWebhookUrl(url, options.policy);
  return {
    route: options.route,
    channel,
    send(notice) {
      const meta = { route: options.route, channel, notice };
      if (!check.ok) return refusedDelivery(meta, `${what} refused: ${check.reason}`, options);
      const attempt = prepare(notice);
      return deliver(meta, (timeoutMs) => attempt(check.url, { policy: options.policy, timeoutMs, ...(options.ca !== undefined ? { ca: options.ca } : {}) }), options);
    },
  };
}
