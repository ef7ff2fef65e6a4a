// AWS's MSK IAM signer as the functions bundle it (deploy/esbuild-msk-iam-signer.cjs, with the Sha256 of
// deploy/shims/sha256.ts): generateAuthToken, the one function lib/producer/broker-security.ts calls, still
// signs; the functions left out throw, naming themselves.
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../e2e/support/service.js';
import { runBundled } from './support/bundle.js';

describe('the MSK IAM signer bundled', () => {
  it('signs a token with generateAuthToken, and refuses the left-out functions', async () => {
    const output = await runBundled(
      `
const signer = require('aws-msk-iam-sasl-signer-js');
const outcome = async (call) => { try { return await call(); } catch (error) { return error.message; } };
(async () => {
  const { token } = await signer.generateAuthToken({ region: 'eu-west-1' });
  const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
  console.log(JSON.stringify({
    host: url.host,
    action: url.searchParams.get('Action'),
    signature: url.searchParams.get('X-Amz-Signature'),
    fromProfile: await outcome(() => signer.generateAuthTokenFromProfile({ region: 'eu-west-1', awsProfileName: 'p' })),
  }));
})();`,
      // The AWS SDK is external (Lambda provides it): here, the project's copy.
      {
        PATH: process.env.PATH,
        NODE_PATH: path.join(repoRoot, 'node_modules'),
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_REGION: 'eu-west-1',
      },
    );
    expect(JSON.parse(output)).toEqual({
      host: 'kafka.eu-west-1.amazonaws.com',
      action: 'kafka-cluster:Connect',
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
      fromProfile:
        'aws-msk-iam-sasl-signer-js generateAuthTokenFromProfile is not bundled: lib/producer/broker-security.ts calls generateAuthToken({ region }) only',
    });
  });
});
