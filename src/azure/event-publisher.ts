/**
 * Publishes Ringmaster's own CloudEvents to a custom Event Grid topic with `EventGridPublisherClient`.
 * Data is validated against the same zod schemas the receiver uses, so nothing is published that
 * `parseEvent` would reject. Key auth (`AzureKeyCredential`) when a topic key is configured, Entra ID otherwise
 * (role "EventGrid Data Sender", data action `Microsoft.EventGrid/events/send/action`).
 */
import { randomUUID } from 'node:crypto';
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import type { TokenCredential } from '@azure/identity';
import { trustedCas } from './credentials';
import { Fatal } from './errors';
import { RINGMASTER_EVENT_SCHEMAS, type RingmasterEventData, type RingmasterEventType } from './event-schemas';
import { formatIssues } from './event-parsing';
import { type CallOptions, callArm, type PortRuntime } from './port-runtime';

export interface PublishOptions extends CallOptions {
  /** Default: a random UUID. Set it to make re-publication idempotent for subscribers that dedupe by id. */
  id?: string;
  /** Default: now. */
  time?: Date;
  subject?: string;
}

export interface EventPublisher {
  publish<T extends RingmasterEventType>(type: T, data: RingmasterEventData<T>, options?: PublishOptions): Promise<void>;
}

export interface EventPublisherSettings {
  topicEndpoint: string;
  /** Topic access key; absent → `credential` (Entra ID). */
  topicKey?: string;
  credential?: TokenCredential;
  /** CloudEvent `source`, e.g. `/ringmaster/watcher`. */
  source: string;
  /** Extra CA (PEM) for the simulator's topic endpoint. */
  caPem?: string;
}

export function createEventPublisher(settings: EventPublisherSettings, runtime: PortRuntime = {}): EventPublisher {
  const credential = settings.topicKey !== undefined ? new AzureKeyCredential(settings.topicKey) : settings.credential;
  if (!credential) throw new Fatal('event publisher: neither a topic key nor a credential was given');
  const ca = trustedCas(settings.caPem, settings.topicEndpoint);
  const client = new EventGridPublisherClient(settings.topicEndpoint, 'CloudEvent', credential, {
    retryOptions: { maxRetries: 0 },
    ...(ca ? { tlsOptions: { ca } } : {}),
  });
  return {
    async publish(type, data, options) {
      const checked = RINGMASTER_EVENT_SCHEMAS[type].safeParse(data);
      if (!checked.success) {
        throw new Fatal(`event publisher: ${formatIssues(checked.error.issues, `${type}.data`).join('; ')}`);
      }
      const event = {
        type,
        source: settings.source,
        id: options?.id ?? randomUUID(),
        time: options?.time ?? new Date(),
        data: checked.data,
        datacontenttype: 'application/json',
        ...(options?.subject ? { subject: options.subject } : {}),
      };
      await callArm(
        'events.publish',
        () => client.send([event], options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
        runtime,
        options,
      );
    },
  };
}
