/**
 * Errors of IoT File (Insights Hub "IoT File Service API v3"), added to the one catalogue; everything else this
 * context raises is a generic code (invalid parameter, noMatch, 412, 413).
 */
import { defineError } from '../core/errors.js';

export const IotFileErrors = {
  noUpload: defineError<'path'>('mdsp.core.iotfile.noMultipartUpload', 409,
    'No multipart upload of {path} is in progress; start one with ?upload=start.'),
  tooManyParts: defineError<'max'>('mdsp.core.iotfile.tooManyParts', 400, 'A multipart upload has at most {max} parts.'),
};
