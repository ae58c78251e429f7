/**
 * ARM resource ids: parsing the ones Ringmaster handles, and building portal links.
 * ARM ids are case-insensitive in their fixed segments (`resourceGroups` vs `resourcegroups`), so matching ignores case
 * while the values keep the case they were written in.
 */

export interface GalleryImageId {
  subscriptionId: string;
  resourceGroup: string;
  gallery: string;
  image: string;
}

export interface GalleryImageVersionId extends GalleryImageId {
  version: string;
}

export interface ScaleSetId {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export interface ImageTemplateId {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const SEG = '([^/]+)';
const IMAGE_RE = new RegExp(
  `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Compute/galleries/${SEG}/images/${SEG}$`,
  'i',
);
const VERSION_RE = new RegExp(
  `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Compute/galleries/${SEG}/images/${SEG}/versions/${SEG}$`,
  'i',
);
const VMSS_RE = new RegExp(
  `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Compute/virtualMachineScaleSets/${SEG}$`,
  'i',
);
const TEMPLATE_RE = new RegExp(
  `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.VirtualMachineImages/imageTemplates/${SEG}$`,
  'i',
);

function trimId(id: string): string {
  return id.trim().replace(/\/+$/, '');
}

export function parseGalleryImageId(id: string): GalleryImageId | undefined {
  const m = IMAGE_RE.exec(trimId(id));
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', gallery = '', image = ''] = m;
  return { subscriptionId, resourceGroup, gallery, image };
}

export function parseGalleryImageVersionId(id: string): GalleryImageVersionId | undefined {
  const m = VERSION_RE.exec(trimId(id));
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', gallery = '', image = '', version = ''] = m;
  return { subscriptionId, resourceGroup, gallery, image, version };
}

export function parseScaleSetId(id: string): ScaleSetId | undefined {
  const m = VMSS_RE.exec(trimId(id));
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', name = ''] = m;
  return { subscriptionId, resourceGroup, name };
}

export function parseImageTemplateId(id: string): ImageTemplateId | undefined {
  const m = TEMPLATE_RE.exec(trimId(id));
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', name = ''] = m;
  return { subscriptionId, resourceGroup, name };
}

export function galleryImageIdOf(id: GalleryImageId): string {
  return `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}/providers/Microsoft.Compute/galleries/${id.gallery}/images/${id.image}`;
}

export function galleryImageVersionIdOf(id: GalleryImageVersionId): string {
  return `${galleryImageIdOf(id)}/versions/${id.version}`;
}

export function scaleSetIdOf(id: ScaleSetId): string {
  return `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${id.name}`;
}

/** Same resource? ARM ids compare case-insensitively. */
export function sameResourceId(a: string, b: string): boolean {
  return trimId(a).toLowerCase() === trimId(b).toLowerCase();
}

/** What kind of Ringmaster-relevant resource a `resourceUri` names (for routing Event Grid system events). */
export type ResourceRef =
  | { type: 'gallery-image-version'; id: GalleryImageVersionId }
  | { type: 'gallery-image'; id: GalleryImageId }
  | { type: 'scale-set'; id: ScaleSetId }
  | { type: 'image-template'; id: ImageTemplateId }
  | { type: 'other' };

/**
 * Classifies a resource URI. Action URIs (`…/virtualMachineScaleSets/x/osRollingUpgrade`) are reduced to their resource.
 */
export function classifyResourceUri(uri: string): ResourceRef {
  const version = parseGalleryImageVersionId(uri);
  if (version) return { type: 'gallery-image-version', id: version };
  const image = parseGalleryImageId(uri);
  if (image) return { type: 'gallery-image', id: image };
  const vmssPrefix = /^(.*\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/[^/]+)(\/.*)?$/i.exec(trimId(uri));
  const scaleSet = vmssPrefix?.[1] ? parseScaleSetId(vmssPrefix[1]) : undefined;
  if (scaleSet) return { type: 'scale-set', id: scaleSet };
  const template = parseImageTemplateId(uri);
  if (template) return { type: 'image-template', id: template };
  return { type: 'other' };
}

/** Azure portal link to a resource: `https://portal.azure.com/#@/resource{resourceId}`. */
export function portalUrl(resourceId: string): string {
  return `https://portal.azure.com/#@/resource${trimId(resourceId)}`;
}
