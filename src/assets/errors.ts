/**
 * Errors of the Asset Management context (Asset Management API v3). Insights Hub answers these with the generic codes of
 * Insights Hub API error responses (`mdsp.core.generic.*`), so each entry is a generic catalogue entry with an asset-specific
 * message naming the field or resource and the rule; bodies are still built only by core renderError().
 */
import { Generic } from '../core/errors.js';

export const AssetErrors = {
  invalidId: (p: { field: string; value: string; rule: string }) =>
    Generic.invalidParameter({ name: p.field, rule: `"${p.value}" is not a valid id: ${p.rule}` }),
  aspectTypeNotFound: (p: { id: string }) => Generic.noMatch({ resource: `aspect type ${p.id}` }),
  assetTypeNotFound: (p: { id: string }) => Generic.noMatch({ resource: `asset type ${p.id}` }),
  assetNotFound: (p: { id: string }) => Generic.noMatch({ resource: `asset ${p.id}` }),
  referenceNotFound: (p: { field: string; id: string }) =>
    Generic.invalidRequestBodyProperty({ name: p.field, rule: `"${p.id}" refers to nothing that exists in this tenant` }),
  exists: (p: { resource: string; id: string }) =>
    Generic.conflict({ reason: `the ${p.resource} ${p.id} already exists; send If-Match with its etag to update it` }),
  immutable: (p: { field: string; resource: string }) =>
    Generic.invalidRequestBodyProperty({ name: p.field, rule: `cannot be changed after the creation of ${p.resource}` }),
  readOnly: (p: { id: string }) =>
    Generic.forbidden({ reason: `${p.id} is a core type shared with every tenant and cannot be changed or deleted` }),
  inUse: (p: { resource: string; id: string; reason: string }) =>
    Generic.conflict({ reason: `the ${p.resource} ${p.id} cannot be deleted: ${p.reason}` }),
  nameCollision: (p: { kind: 'aspect' | 'variable'; name: string; typeId: string; otherTypeId: string }) =>
    Generic.invalidRequestBodyProperty({
      name: p.kind === 'aspect' ? 'aspects' : 'variables',
      rule: `the ${p.kind} name "${p.name}" of asset type ${p.typeId} is already used in the same type family by ${p.otherTypeId}; names must be unique across ancestors and descendants`,
    }),
  hasChildren: (p: { id: string; count: number }) =>
    Generic.conflict({ reason: `asset ${p.id} has ${p.count} child asset(s); delete or move them first` }),
  notInstantiable: (p: { typeId: string }) =>
    Generic.invalidRequestBodyProperty({ name: 'typeId', rule: `asset type ${p.typeId} is not instantiable; assets can only be created from instantiable types` }),
  invalidMove: (p: { id: string; reason: string }) =>
    Generic.invalidRequestBodyProperty({ name: 'newParentId', rule: `asset ${p.id} cannot be moved there: ${p.reason}` }),
  rootAsset: (p: { id: string; action: string }) =>
    Generic.conflict({ reason: `asset ${p.id} is the root asset of the tenant; it cannot be ${p.action}` }),
  deletedAsset: (p: { id: string }) => Generic.conflict({ reason: `asset ${p.id} is deleted and can no longer be modified` }),
  modelLocked: (p: { id: string }) =>
    Generic.conflict({ reason: `the asset model of this tenant is locked; ${p.id} cannot be changed or deleted until PUT /model/lock?enabled=false` }),
  pageTooLarge: (p: { size: number; max: number }) =>
    Generic.invalidParameter({ name: 'size', rule: `${p.size} is larger than the maximum page size ${p.max}` }),
};
