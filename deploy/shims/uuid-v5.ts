/**
 * What the bundles carry in place of the uuid package (about 1.9 KB of each publishing function): its `v5`, the
 * name-based UUID of RFC 9562 (SHA-1), on Node's crypto module. lib/events.ts imports only `v5`, with a string
 * name and a namespace in its string form, and wants the string form back; that is all this does. Any other
 * import from uuid fails the build (esbuild: no matching export). tests/bundle/uuid-v5.test.ts compares the two.
 *
 * Bundled in place of the library by deploy/esbuild-uuid-v5-node-crypto.cjs.
 */
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const v5 = (name: string, namespace: string): string => {
  // uuid's own refusal, for the same mistake.
  if (!UUID.test(namespace)) throw new TypeError('Invalid UUID');
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  // The version (5) in the high nibble of byte 6, the variant (binary 10) in the high bits of byte 8.
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
