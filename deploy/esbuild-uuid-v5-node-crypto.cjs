// An esbuild plugin that bundles deploy/shims/uuid-v5.ts, uuid's v5 on Node's crypto module, in place of the
// uuid package (its parse, stringify, validate and SHA-1 wrappers: about 1.9 KB of each publishing function).
// lib/events.ts imports only `v5`; the shim gives the same UUIDs (tests/bundle/uuid-v5.test.ts).
const path = require('node:path');

const shim = path.join(__dirname, 'shims', 'uuid-v5.ts');

module.exports = {
  name: 'uuid-v5-node-crypto',
  setup(build) {
    build.onResolve({ filter: /^uuid$/ }, () => ({ path: shim }));
  },
};
