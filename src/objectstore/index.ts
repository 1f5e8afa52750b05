/** Opens the platform's object store from the settings: the data directory by default, or an S3-compatible bucket. */
import path from 'node:path';
import type { Config } from '../core/config.js';
import { FsObjectStore } from './fs.js';
import { configureHashing } from './hashing.js';
import { configurePacing } from './pacing.js';
import { S3ObjectStore } from './s3.js';
import type { ObjectStore } from './store.js';

export * from './store.js';
export { FsObjectStore } from './fs.js';
export { S3ObjectStore, type S3Settings } from './s3.js';

/** lib-storage part size for puts of unknown length; also its memory per upload (queue of 2). */
export const S3_PART_BYTES = 8 * 1024 * 1024;

export function openObjectStore(config: Config): ObjectStore {
  configureHashing(config.hashThreads);
  configurePacing(config.gcPacingBytes);
  if (config.objectStore === 's3') {
    return new S3ObjectStore({
      endpoint: config.s3Endpoint, bucket: config.s3Bucket, region: config.s3Region, forcePathStyle: config.s3PathStyle,
      accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey, checksums: config.s3Checksums,
      prefix: config.s3Prefix, partBytes: S3_PART_BYTES,
    });
  }
  return new FsObjectStore(path.join(config.dataDir, 'objects'), config.sqliteSync === 'full');
}

/** Deletes every object under `prefix` (a tenant's files when the tenant is deleted); returns how many. */
export async function deletePrefix(objects: ObjectStore, prefix: string): Promise<number> {
  let removed = 0;
  for (;;) {
    // each page is listed afresh from the start: the objects of the previous page are gone
    const page = await objects.list({ prefix, limit: 1000 });
    for (const o of page.objects) if (await objects.delete(o.key)) removed++;
    if (page.objects.length === 0 || !page.nextToken) return removed;
  }
}
