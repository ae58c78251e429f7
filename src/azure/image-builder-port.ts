/**
 * Azure Image Builder: start a template run (the monthly rebake) and read its last run status.
 * A build takes tens of minutes, longer than a Function should wait, so `runTemplate` returns once ARM has accepted
 * the run (202) unless `waitForCompletion` is set; the watcher then polls `getLastRunStatus`.
 * See https://learn.microsoft.com/azure/virtual-machines/image-builder-api-update-release-notes
 */
import type { ImageBuilderClient } from '@azure/arm-imagebuilder';
import { NotFound } from './errors';
import { type CallOptions, callArm, callLro, type LroCallOptions, type PortRuntime } from './port-runtime';
import { parseImageTemplateId } from './resource-ids';
import type { ImageBuilderRunStatus } from './types';

/** `waitForCompletion` awaits the whole build (tests, scripts); default false: return when the run is accepted. */
export type RunTemplateOptions = LroCallOptions;

export interface ImageBuilderPort {
  runTemplate(templateId: string, options?: RunTemplateOptions): Promise<void>;
  getLastRunStatus(templateId: string, options?: CallOptions): Promise<ImageBuilderRunStatus>;
}

function requireTemplateId(templateId: string) {
  const id = parseImageTemplateId(templateId);
  if (!id) throw new NotFound(`not an image template id: ${templateId}`);
  return id;
}

export function createImageBuilderPort(
  clientFor: (subscriptionId: string) => ImageBuilderClient,
  runtime: PortRuntime = {},
): ImageBuilderPort {
  return {
    async runTemplate(templateId, options) {
      const id = requireTemplateId(templateId);
      await callLro('imageBuilder.runTemplate', (o) => clientFor(id.subscriptionId).virtualMachineImageTemplates.run(id.resourceGroup, id.name, o), runtime, options, false);
    },

    async getLastRunStatus(templateId, options) {
      const id = requireTemplateId(templateId);
      const t = await callArm(
        'imageBuilder.getLastRunStatus',
        () =>
          clientFor(id.subscriptionId).virtualMachineImageTemplates.get(
            id.resourceGroup,
            id.name,
            options?.abortSignal ? { abortSignal: options.abortSignal } : {},
          ),
        runtime,
        options,
      );
      const s = t.lastRunStatus;
      const status: ImageBuilderRunStatus = { templateId };
      if (s?.runState) status.runState = s.runState;
      if (s?.runSubState) status.runSubState = s.runSubState;
      if (s?.message) status.message = s.message;
      if (s?.startTime) status.startTime = new Date(s.startTime).toISOString();
      if (s?.endTime) status.endTime = new Date(s.endTime).toISOString();
      return status;
    },
  };
}
