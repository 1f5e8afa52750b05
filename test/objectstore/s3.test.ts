/** The ObjectStore contract on S3-compatible storage: a local s3rver started by this test (no network). */
import { after, before } from 'node:test';
import { S3ObjectStore } from '../../src/objectstore/index.js';
import { startS3, type LocalS3 } from '../helpers/s3.js';
import { runObjectStoreContract } from './store.contract.js';

let s3: LocalS3;
before(async () => { s3 = await startS3(); });
after(() => s3.close());

let n = 0;
runObjectStoreContract('S3-compatible (s3rver)', async () => new S3ObjectStore({
  endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER', checksums: 'when_required', prefix: `run${n++}/`, partBytes: 5 * 1024 * 1024,
}), { unorderedListing: true, noAbort: true, noObjectAboveObject: true });
