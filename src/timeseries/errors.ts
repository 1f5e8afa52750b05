/** Error catalogue of the time series and aggregates context (IoT Time Series API v3; IoT Time Series Aggregates API); bodies come from renderError. */
import { defineError } from '../core/errors.js';

export const TimeseriesErrors = {
  assetNotFound: defineError<'assetId'>('mdsp.core.iottimeseries.assetNotFound', 404,
    'Asset {assetId} does not exist in this tenant.'),
  aspectNotFound: defineError<'assetId' | 'aspect' | 'known'>('mdsp.core.iottimeseries.aspectNotFound', 404,
    'Asset {assetId} has no aspect {aspect}; its aspects are: {known}.'),
  staticAspect: defineError<'aspect'>('mdsp.core.iottimeseries.staticAspect', 400,
    'Aspect {aspect} is static; time series are kept only for dynamic aspects.'),
  bodyNotArray: defineError('mdsp.core.iottimeseries.bodyNotArray', 400,
    'The request body must be a JSON array of records such as [{"_time":"2024-01-01T00:00:00.000Z","temperature":21.5}].'),
  invalidRecord: defineError<'index' | 'field' | 'rule'>('mdsp.core.iottimeseries.invalidRecord', 400,
    'Record {index}: field {field} {rule}.'),
  tooManyRecords: defineError<'count' | 'limit'>('mdsp.core.iottimeseries.tooManyRecords', 400,
    'The request holds {count} records; at most {limit} are allowed.'),
  invalidRange: defineError<'from' | 'to'>('mdsp.core.iottimeseries.invalidRange', 400,
    'Parameter from ({from}) must be earlier than to ({to}).'),
  invalidBatch: defineError<'field' | 'rule'>('mdsp.core.iottimeseries.invalidBatch', 400,
    'Request body property {field} {rule}.'),
  seriesRejected: defineError<'index' | 'assetId' | 'aspect' | 'reason'>('mdsp.core.iottimeseries.seriesRejected', 400,
    'Series {index} (asset {assetId}, aspect {aspect}) was refused, so nothing of the batch was stored: {reason}'),
  aggregateRangeTooLong: defineError<'unit' | 'max' | 'range'>('mdsp.core.iottsaggregates.rangeTooLong', 400,
    'The range from..to spans {range}; with intervalUnit {unit} it may span at most {max}.'),
  aggregateInterval: defineError<'rule'>('mdsp.core.iottsaggregates.invalidInterval', 400,
    'The interval is invalid: {rule}.'),
  aggregateAlignment: defineError<'name' | 'rule'>('mdsp.core.iottsaggregates.notAligned', 400,
    'Parameter {name} is not aligned: {rule}.'),
};
