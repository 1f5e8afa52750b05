/**
 * IoT File on S3-compatible storage (a local s3rver): a whole file and the SDK's chunked multi-part upload land
 * in the bucket under `iotfile/{tenant}/` and come back byte for byte; a replaced file leaves no old object.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startS3, type LocalS3 } from '../helpers/s3.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeAsset, sdkOf } from '../events/helpers.js';

const MB = 1024 * 1024;
const md5 = (b: Buffer | Uint8Array) => createHash('md5').update(b).digest('hex');

describe('IoT File on S3-compatible storage', () => {
  let s3: LocalS3;
  let s: TestServer;
  let asset: string;
  before(async () => {
    s3 = await startS3();
    s = await startServer(s3.settings);
    asset = await makeAsset(s);
  });
  after(async () => {
    await s.close();
    await s3.close();
  });

  it('stores whole and chunked uploads in the bucket and serves them back', async () => {
    assert.equal(s.platform.objects.kind, 's3');
    const files = sdkOf(s).GetIoTFileClient();
    await files.PutFile(asset, 'a/small.txt', Buffer.from('small file'));
    assert.equal(await (await s.api(`/api/iotfile/v3/files/${asset}/a/small.txt`)).text(), 'small file');
    const big = Buffer.alloc(18 * MB + 7);
    for (let i = 0; i < big.length; i += 512) big.writeUInt32BE(i, i);
    await files.UploadFile(asset, 'a/big.bin', big, { chunk: true });
    const back = await s.api(`/api/iotfile/v3/files/${asset}/a/big.bin`);
    assert.equal(md5(Buffer.from(await back.arrayBuffer())), md5(big));
    await files.PutFile(asset, 'a/small.txt', Buffer.from('replaced'), { ifMatch: 0 });
    const listed = await s.platform.objects.list({ prefix: `iotfile/${s.tenant}/` });
    assert.equal(listed.objects.length, 2, 'one object per file: the replaced content is gone');
  });
});
