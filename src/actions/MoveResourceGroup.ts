import { moveResourceGroup, parseResourceId } from '../domain/certificates.js';
import { Errors } from '../rpc/errors.js';
import { optionalResourceGroupId, optionalString, requiredString } from './params.js';
import type { Action } from './types.js';

const TYPES = { instance: 'instance', certificate: 'Certificate' } as const;

/**
 * api.md 5.14: labels an order (`ResourceType=instance`, the default) or a certificate (`Certificate`) with a
 * resource group. `ResourceId` is the InstanceId from the lists, or the bare OrderId or CertId.
 */
export const MoveResourceGroup: Action = {
  name: 'MoveResourceGroup',
  async handle(ctx, params) {
    const s = ctx.services;
    const resourceId = requiredString(params, 'ResourceId', { maxLength: 64 });
    requiredString(params, 'ResourceGroupId');
    const resourceGroupId = optionalResourceGroupId(params)!;
    const typeText = optionalString(params, 'ResourceType', { maxLength: 32 }) ?? 'instance';
    const type = TYPES[typeText.toLowerCase() as keyof typeof TYPES];
    if (type === undefined)
      throw Errors.invalidParameter('ResourceType', `"${typeText}" is not instance or Certificate`);
    const region = optionalString(params, 'RegionId', { maxLength: 64 });
    if (region !== undefined && ![s.config.regionId, 'cn-hangzhou', 'ap-southeast-1'].includes(region))
      throw Errors.invalidParameter('RegionId', `"${region}" is not a region of this service`);
    const target = parseResourceId(resourceId, s.config.regionId);
    if (!target)
      throw Errors.invalidParameter('ResourceId', `"${resourceId}" is not an InstanceId, OrderId or CertId`);
    const wanted = type === 'instance' ? 'order' : 'certificate';
    if (target.kind !== 'any' && target.kind !== wanted)
      throw Errors.invalidParameter(
        'ResourceId',
        `"${resourceId}" is ${target.kind === 'order' ? 'an order (ResourceType instance)' : 'a certificate (ResourceType Certificate)'}`,
      );
    await moveResourceGroup(s, ctx.accountUid, { type, id: target.id, resourceId }, resourceGroupId);
    return {};
  },
};
