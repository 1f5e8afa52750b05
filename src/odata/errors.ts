/**
 * Errors of the OData context. Service errors (under /api/odata) render in the OData JSON error shape
 * `{"error":{"code","message","target"}}` (core/http.ts picks the shape by path); registry and catalog errors
 * (/api/odatacontracts) render in the Insights Hub `errors` shape. A `target` parameter names the query option,
 * property or resource the error is about. Bodies are still built only by core renderError().
 */
import { defineError, Generic } from '../core/errors.js';

export const ODataErrors = {
  badQuery: defineError<'target' | 'rule'>('ironbridge.odata.invalidQuery', 400, '{target} is invalid: {rule}.'),
  unsupported: defineError<'target' | 'what' | 'supported'>('ironbridge.odata.notSupported', 400,
    '{what} is not supported by this service. {supported}'),
  enumValue: defineError<'target' | 'value' | 'allowed'>('ironbridge.odata.invalidEnumerationValue', 400,
    "'{value}' is not a valid value of {target}; allowed values are {allowed}."),
  tooLong: defineError<'target' | 'limit'>('ironbridge.odata.queryTooLarge', 400, '{target} exceeds the limit: {limit}.'),
  notFound: defineError<'target' | 'resource'>('ironbridge.odata.notFound', 404, 'No {resource} found.'),
  readOnly: defineError<'target' | 'method' | 'allowed'>('ironbridge.odata.readOnly', 405,
    'This OData service is read-only (Insights Hub Data Hub, read-only access): {method} is not allowed; use {allowed}.'),
  notAcceptable: defineError<'target' | 'accept'>('ironbridge.odata.notAcceptable', 406,
    'None of the accepted media types ({accept}) can be produced; this service answers application/json (odata.metadata=minimal) and $metadata as application/xml.'),
  unsupportedMediaType: defineError<'target' | 'contentType'>('ironbridge.odata.unsupportedMediaType', 415,
    'POST {target} takes the query options as text/plain, not {contentType}.'),
};

export const ContractErrors = {
  invalid: defineError<'count' | 'problems'>('ironbridge.odatacontracts.invalidContract', 400,
    'The contract cannot be saved: {count} problem(s): {problems}'),
  notFound: (id: string) => Generic.noMatch({ resource: `OData contract ${id}` }),
  exists: defineError<'name' | 'version'>('ironbridge.odatacontracts.contractExists', 409,
    'A contract named {name} with version {version} already exists in this tenant; change the version or update that contract.'),
  tooMany: defineError<'limit'>('ironbridge.odatacontracts.tooManyContracts', 409,
    'This tenant already has {limit} contracts, the most it may have; delete one first.'),
  ambiguous: defineError<'name' | 'versions'>('ironbridge.odatacontracts.ambiguousName', 400,
    'Contract name {name} has several versions ({versions}); name the version too.'),
  tooManyFolders: defineError<'limit' | 'given'>('ironbridge.odatacontracts.tooManyFolders', 400,
    'folders is invalid: a folder contract lists 1 to {limit} data lake folders (at most {limit} folders per contract); {given} were given.'),
  tooManyFolderContracts: defineError<'limit'>('ironbridge.odatacontracts.tooManyFolderContracts', 400,
    'This tenant already has {limit} folder contracts, the most it may have (at most {limit} folder contracts per tenant); delete one first.'),
  kindChanged: defineError<'kind'>('ironbridge.odatacontracts.kindChanged', 400,
    'kind is invalid: this is a contract of kind {kind} and stays one; create a new contract for the other kind.'),
};
