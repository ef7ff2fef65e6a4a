/**
 * What the bundles carry in place of @aws-crypto/sha256-js (with @aws-crypto/util and its own tslib, about
 * 12 KB): the same Sha256 class on Node's crypto module. AWS's MSK IAM signer (aws-msk-iam-sasl-signer-js)
 * hands the class to SigV4 (@smithy/signature-v4), which makes hashes with `new Sha256()` and HMACs with
 * `new Sha256(key)`, then calls update() and digest(). The behaviour is @aws-crypto/sha256-js 4.0.0's
 * (build/jsSha256.js): empty input is skipped; strings are hashed as UTF-8; a falsy secret (undefined, '')
 * means a plain hash and any other secret an HMAC-SHA-256 key; digest() may be called more than once (the
 * same bytes each time); update() after a digest fails the next digest (the library's "Attempted to update
 * an already finished hash."); an error in update() is thrown by digest(). tests/bundle/sha256.test.ts
 * compares the two.
 *
 * Bundled in place of the library by deploy/esbuild-sha256-node-crypto.cjs.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

export type SourceData = string | ArrayBuffer | ArrayBufferView;

/** @aws-crypto/util's convertToBuffer. */
const toBytes = (data: SourceData): Uint8Array => {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
};

/** @aws-crypto/util's isEmptyData. */
const isEmpty = (data: SourceData): boolean =>
  typeof data === 'string' ? data.length === 0 : data.byteLength === 0;

export class Sha256 {
  private hash!: Hash | Hmac;
  private digested: Uint8Array | undefined;
  private error: unknown;

  constructor(private readonly secret?: SourceData) {
    this.reset();
  }

  update(toHash: SourceData): void {
    if (isEmpty(toHash) || this.error) return;
    if (this.digested) {
      this.error = new Error('Attempted to update an already finished hash.');
      return;
    }
    try {
      this.hash.update(toBytes(toHash));
    } catch (error) {
      this.error = error;
    }
  }

  digestSync(): Uint8Array {
    if (this.error) throw this.error;
    this.digested ??= new Uint8Array(this.hash.digest());
    return new Uint8Array(this.digested);
  }

  async digest(): Promise<Uint8Array> {
    return this.digestSync();
  }

  reset(): void {
    this.hash = this.secret ? createHmac('sha256', toBytes(this.secret)) : createHash('sha256');
    this.digested = undefined;
  }
}
