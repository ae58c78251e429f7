/**
 * Builds every Azure port from settings: one place that decides credential, endpoint, TLS trust and clients.
 *
 * ```ts
 * const settings = readAzureSettings(process.env);
 * const azure = createAzureAdapters(settings);           // DefaultAzureCredential, or the static token on loopback
 * await azure.gallery.demote(versionId);
 * ```
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { ImageBuilderClient } from '@azure/arm-imagebuilder';
import type { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/identity';
import { type ArmConnection, computeClient, imageBuilderClient, monitorClient, resourceGraphClient } from './client-options';
import { createArmCredential, isLoopbackHost, loopbackTokenCredential, readCaFile } from './credentials';
import { createEventPublisher, type EventPublisher } from './event-publisher';
import { createFleetPort, type FleetPort } from './fleet-port';
import { createGalleryPort, type GalleryPort, type GalleryPortOptions } from './gallery-port';
import { createImageBuilderPort, type ImageBuilderPort } from './image-builder-port';
import { createMonitorPort, type MonitorPort } from './monitor-port';
import type { PortRuntime } from './port-runtime';
import type { AzureSettings } from './settings';

export interface AzureAdapters {
  gallery: GalleryPort;
  fleet: FleetPort;
  imageBuilder: ImageBuilderPort;
  monitor: MonitorPort;
  /** Absent when no topic endpoint is configured. */
  events: EventPublisher | undefined;
}

export interface AdapterOverrides {
  credential?: TokenCredential;
  /** PEM of an extra CA; default: the file named by `RINGMASTER_ARM_CA_FILE`. */
  caPem?: string;
  runtime?: GalleryPortOptions;
  /** CloudEvent source of published events (default `/ringmaster`). */
  eventSource?: string;
}

function cached<T>(make: (subscriptionId: string) => T): (subscriptionId: string) => T {
  const clients = new Map<string, T>();
  return (s) => {
    const key = s.toLowerCase();
    let c = clients.get(key);
    if (!c) {
      c = make(s);
      clients.set(key, c);
    }
    return c;
  };
}

export function createAzureAdapters(settings: AzureSettings, overrides: AdapterOverrides = {}): AzureAdapters {
  const caPem = overrides.caPem ?? readCaFile(settings.armCaFile);
  const credential = overrides.credential ?? createArmCredential(settings.armEndpoint);
  const connection: ArmConnection = { credential, endpoint: settings.armEndpoint, ...(caPem ? { caPem } : {}) };
  const runtime: PortRuntime & GalleryPortOptions = overrides.runtime ?? {};
  const compute = cached<ComputeManagementClient>((s) => computeClient(connection, s));
  const builder = cached<ImageBuilderClient>((s) => imageBuilderClient(connection, s));
  const monitor = cached<MonitorClient>((s) => monitorClient(connection, s));
  let events: EventPublisher | undefined;
  if (settings.eventGridTopicEndpoint) {
    const topicHost = new URL(settings.eventGridTopicEndpoint).hostname;
    const topicCredential =
      settings.eventGridTopicKey !== undefined
        ? undefined
        : isLoopbackHost(topicHost)
          ? loopbackTokenCredential(settings.eventGridTopicEndpoint)
          : credential;
    events = createEventPublisher(
      {
        topicEndpoint: settings.eventGridTopicEndpoint,
        source: overrides.eventSource ?? '/ringmaster',
        ...(settings.eventGridTopicKey !== undefined ? { topicKey: settings.eventGridTopicKey } : {}),
        ...(topicCredential ? { credential: topicCredential } : {}),
        ...(caPem ? { caPem } : {}),
      },
      runtime,
    );
  }
  return {
    gallery: createGalleryPort(compute, runtime),
    fleet: createFleetPort(resourceGraphClient(connection), compute, { ...runtime, subscriptionIds: settings.subscriptionIds }),
    imageBuilder: createImageBuilderPort(builder, runtime),
    monitor: createMonitorPort(monitor, runtime),
    events,
  };
}
