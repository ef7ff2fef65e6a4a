// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml). The first stops
// kafkajs's idle connections from polling a 1 ms timer, the second has kafkajs encode requests in buffers from
// Node's pool; each of the others leaves out code the functions carry but never run (the last three, the
// CloudWatch units no metric uses, middy's canonical header spellings and zod's names of string formats no schema
// uses), or replaces code with a smaller equivalent on node:crypto. See each file for why.
module.exports = [
  require('./esbuild-kafkajs-idle-timer.cjs'),
  require('./esbuild-kafkajs-encoder-buffers.cjs'),
  require('./esbuild-kafkajs-unused.cjs'),
  require('./esbuild-kafkajs-old-protocol.cjs'),
  require('./esbuild-kafkajs-error-table.cjs'),
  require('./esbuild-kafkajs-random-bytes.cjs'),
  require('./esbuild-powertools-idempotency.cjs'),
  require('./esbuild-powertools-unused.cjs'),
  require('./esbuild-sha256-node-crypto.cjs'),
  require('./esbuild-uuid-v5-node-crypto.cjs'),
  require('./esbuild-msk-iam-signer.cjs'),
  require('./esbuild-powertools-metric-units.cjs'),
  require('./esbuild-middy-canonical-headers.cjs'),
  require('./esbuild-zod-formats.cjs'),
];
