// The AWS SDK for JavaScript v3 against the S3 endpoint of a `baton serve` with keys: signed
// calls are served, a wrong secret and an unknown key are refused with S3's errors, a
// presigned URL the SDK makes works with plain fetch until it expires.
// Usage: node s3_signed.mjs <s3 endpoint> <access key id> <secret> <bucket>
// Exits non-zero on the first failed check.

import assert from 'node:assert/strict';
import { S3Client, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const [endpoint, keyId, secret, bucket] = process.argv.slice(2);
if (!bucket) {
  console.error('usage: node s3_signed.mjs <s3 endpoint> <access key id> <secret> <bucket>');
  process.exit(2);
}

const client = (accessKeyId, secretAccessKey) => new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
});

async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return [e.name, e.$metadata?.httpStatusCode];
  }
  throw new Error('the call was not refused');
}

const s3 = client(keyId, secret);
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'js/hello.txt', Body: 'hello from js' }));
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'js/hello.txt' }));
assert.equal(await got.Body.transformToString(), 'hello from js');
console.log('js: signed put and get served');

assert.deepEqual(
  await refusal(client(keyId, 'not-the-secret').send(new GetObjectCommand({ Bucket: bucket, Key: 'js/hello.txt' }))),
  ['SignatureDoesNotMatch', 403],
);
assert.deepEqual(
  await refusal(client('AKIAUNKNOWNKEY000009', secret).send(new GetObjectCommand({ Bucket: bucket, Key: 'js/hello.txt' }))),
  ['InvalidAccessKeyId', 403],
);
console.log('js: a wrong secret and an unknown key refused');

const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'js/hello.txt' }), { expiresIn: 60 });
const fetched = await fetch(url);
assert.equal(fetched.status, 200);
assert.equal(await fetched.text(), 'hello from js');
const short = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'js/hello.txt' }), { expiresIn: 1 });
await new Promise((resolve) => setTimeout(resolve, 2100));
const expired = await fetch(short);
assert.equal(expired.status, 403);
assert.match(await expired.text(), /<Code>AccessDenied<\/Code>/);
console.log('js: presigned URLs served until they expire');
