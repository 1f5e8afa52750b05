/**
 * A local S3-compatible server for tests and benchmarks: s3rver (npm, offline, in this process) on port 0 with
 * its own directory and one bucket; nothing outside the machine is reached.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { tempDir } from './server.js';

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** Settings for startServer() that put the platform's objects into this bucket. */
  settings: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'ironbridge-test'): Promise<LocalS3> {
  const directory = tempDir('ironbridge-s3-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint, bucket,
    settings: { objectStore: 's3', s3Endpoint: endpoint, s3Bucket: bucket, s3AccessKeyId: 'S3RVER', s3SecretAccessKey: 'S3RVER' },
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
