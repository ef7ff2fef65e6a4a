// An esbuild plugin that bundles deploy/shims/sha256.ts, a Sha256 class on Node's crypto module, in place of
// @aws-crypto/sha256-js, SHA-256 in JavaScript (with @aws-crypto/util and a copy of tslib: about 12 KB of each
// function that can authenticate to MSK with IAM). Only AWS's MSK IAM signer (aws-msk-iam-sasl-signer-js)
// imports it, to hand the class to SigV4; the shim has the same interface and results (see its comments).
// @aws-sdk/* and @smithy/* are not bundled (Lambda's runtime provides them), so this is the only copy.
const path = require('node:path');

const shim = path.join(__dirname, 'shims', 'sha256.ts');

module.exports = {
  name: 'sha256-node-crypto',
  setup(build) {
    build.onResolve({ filter: /^@aws-crypto\/sha256-js$/ }, () => ({ path: shim }));
  },
};
