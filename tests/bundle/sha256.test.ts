// deploy/shims/sha256.ts, bundled in place of @aws-crypto/sha256-js (deploy/esbuild-sha256-node-crypto.cjs),
// behaves as the library: the same hashes and HMACs for every input form, the same digest and error
// semantics, and the same SigV4 presigned URL for AWS's MSK IAM signer.
import { Sha256 as Reference } from '@aws-crypto/sha256-js';
import { describe, expect, it } from '@jest/globals';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { Sha256, type SourceData } from '../../deploy/shims/sha256.js';

/** The same bytes in each form the interface accepts. */
const forms = (bytes: Uint8Array): SourceData[] => {
  const copy = new Uint8Array(bytes);
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 1);
  return [
    copy,
    Buffer.from(copy),
    copy.buffer,
    new DataView(padded.buffer, 1, bytes.length),
    new Uint8Array(padded.buffer, 1, bytes.length),
  ];
};

const digestOf = async (
  Hash: typeof Sha256 | typeof Reference,
  secret: SourceData | undefined,
  chunks: SourceData[],
) => {
  const hash = new Hash(secret);
  for (const chunk of chunks) hash.update(chunk);
  return Buffer.from(await hash.digest()).toString('hex');
};

describe('the Sha256 shim', () => {
  it('hashes and HMACs as @aws-crypto/sha256-js, whatever the input form', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary' })), {
          maxLength: 5,
        }),
        fc.option(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string()), { nil: undefined }),
        async (chunks, secret) => {
          const expected = await digestOf(Reference, secret, chunks);
          expect(await digestOf(Sha256, secret, chunks)).toBe(expected);
          const binary = chunks.filter((chunk) => typeof chunk !== 'string') as Uint8Array[];
          for (const [i] of forms(new Uint8Array()).entries())
            expect(
              await digestOf(
                Sha256,
                secret,
                binary.map((chunk) => forms(chunk)[i]!),
              ),
            ).toBe(await digestOf(Reference, secret, binary));
        },
      ),
    );
  });

  it('treats an empty string secret as no secret, and an empty byte secret as an HMAC key', async () => {
    expect(await digestOf(Sha256, '', ['x'])).toBe(await digestOf(Reference, '', ['x']));
    expect(await digestOf(Sha256, new Uint8Array(), ['x'])).toBe(
      await digestOf(Reference, new Uint8Array(), ['x']),
    );
  });

  it('digests twice alike, fails the digest after an update past it, and starts over on reset', async () => {
    for (const Hash of [Sha256, Reference]) {
      const hash = new Hash('key');
      hash.update('a');
      const first = await hash.digest();
      expect(await hash.digest()).toEqual(first);
      expect(hash.digestSync()).toEqual(first);
      hash.update('b');
      await expect(hash.digest()).rejects.toThrow('Attempted to update an already finished hash.');
    }
    const shim = new Sha256();
    const reference = new Reference();
    for (const hash of [shim, reference]) {
      hash.update('a');
      await hash.digest();
      hash.reset();
      hash.update('b');
    }
    expect(await shim.digest()).toEqual(await reference.digest());
  });

  it('gives SigV4 the same presigned URL as the library, as the MSK IAM signer uses it', async () => {
    const presign = (sha256: typeof Sha256 | typeof Reference) =>
      new SignatureV4({
        service: 'kafka-cluster',
        region: 'eu-west-1',
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'secret',
          sessionToken: 'token',
        },
        sha256,
        applyChecksum: false,
      }).presign(
        {
          method: 'GET',
          protocol: 'https:',
          hostname: 'kafka.eu-west-1.amazonaws.com',
          path: '/',
          headers: { host: 'kafka.eu-west-1.amazonaws.com' },
          query: { Action: 'kafka-cluster:Connect' },
        },
        { expiresIn: 900, signingDate: new Date('2026-01-02T03:04:05Z') },
      );
    const signed = await presign(Sha256);
    expect(signed.query?.['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(signed).toEqual(await presign(Reference));
  });
});
