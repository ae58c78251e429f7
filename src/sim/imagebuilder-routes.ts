// Azure Image Builder: image template GET (with lastRunStatus), list run outputs, and run (long-running).
import { ArmError } from './arm-errors';
import { armPath, lroReply, type ArmCtx, type Route } from './arm-router';
import { key, type ImageTemplate } from './fleet-model';
import { templateJson } from './serialize';

const T = '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/{t}';

function template(ctx: ArmCtx): ImageTemplate {
  if (ctx.params[0]?.toLowerCase() !== ctx.sim.state.subscriptionId.toLowerCase()) {
    throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${ctx.params[0] ?? ''}' could not be found.`);
  }
  const t = ctx.sim.state.templates.get(key(ctx.params[1] ?? '', ctx.params[2] ?? ''));
  if (!t) {
    throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.VirtualMachineImages/imageTemplates/${ctx.params[2] ?? ''}' under resource group '${ctx.params[1] ?? ''}' was not found.`);
  }
  return t;
}

export const imageBuilderRoutes: Route[] = [
  {
    method: 'GET', pattern: armPath(T), op: 'VirtualMachineImageTemplates_Get', api: 'aib', kind: 'read',
    handler: (ctx) => ({ status: 200, body: templateJson(ctx.sim.state, template(ctx)) }),
  },
  {
    method: 'POST', pattern: armPath(`${T}/run`), op: 'VirtualMachineImageTemplates_Run', api: 'aib', kind: 'write',
    handler: (ctx) => lroReply(ctx, 202, undefined, ctx.sim.runTemplate(template(ctx), ctx.request)),
  },
  {
    method: 'GET', pattern: armPath(`${T}/runOutputs`), op: 'VirtualMachineImageTemplates_ListRunOutputs', api: 'aib', kind: 'read',
    handler: (ctx) => {
      const t = template(ctx);
      const base = templateJson(ctx.sim.state, t).id as string;
      return {
        status: 200,
        body: {
          value: t.runOutputs.map((o) => ({
            id: `${base}/runOutputs/${o.name}`,
            name: o.name,
            type: 'Microsoft.VirtualMachineImages/imageTemplates/runOutputs',
            properties: { artifactId: o.artifactId, provisioningState: o.provisioningState },
          })),
        },
      };
    },
  },
];

export const operationRoutes: Route[] = [
  {
    method: 'GET', pattern: armPath('/subscriptions/{s}/providers/{p}/locations/{l}/operations/{id}'), op: 'AzureAsyncOperation_Get', api: 'operations', kind: 'read',
    handler: (ctx) => {
      const op = ctx.sim.ops.get(ctx.params[3] ?? '');
      if (!op) throw new ArmError(404, 'NotFound', `The operation '${ctx.params[3] ?? ''}' was not found.`);
      const b: Record<string, unknown> = { name: op.id, status: op.status, startTime: new Date(op.startTime).toISOString() };
      if (op.endTime !== undefined) b.endTime = new Date(op.endTime).toISOString();
      if (op.error) b.error = op.error;
      return { status: 200, body: b };
    },
  },
  {
    method: 'GET', pattern: armPath('/subscriptions/{s}/providers/{p}/locations/{l}/operationResults/{id}'), op: 'OperationResults_Get', api: 'operations', kind: 'read',
    handler: (ctx) => {
      const op = ctx.sim.ops.get(ctx.params[3] ?? '');
      if (!op) throw new ArmError(404, 'NotFound', `The operation '${ctx.params[3] ?? ''}' was not found.`);
      if (op.status === 'InProgress') {
        return { status: 202, headers: { Location: ctx.sim.ops.resultUrl(ctx.baseUrl, op, ctx.apiVersion) } };
      }
      if (op.status !== 'Succeeded') return { status: 200, body: { error: op.error ?? { code: op.status, message: `The operation ${op.status.toLowerCase()}.` } } };
      if (op.resourceId) return { status: 200, body: ctx.sim.resourceBody(op.resourceId) ?? {} };
      return { status: 200 };
    },
  },
];
