// How each function is bundled: serverless-esbuild's options (custom.esbuild in serverless.yml), and the
// same bundling as esbuild build options for the builds that must match it outside serverless-esbuild (the
// bench's kafkajs floor, tests/bundle's probes).

const bundleMetafile = process.env.BUNDLE_METAFILE === 'true';

/** serverless-esbuild's options. */
const serverlessEsbuild = {
  bundle: true,
  minify: true,
  // A map beside each bundle, and the comment that names it: with NODE_OPTIONS=--enable-source-maps
  // (serverless.yml) Node then writes logged stack traces in the TypeScript sources' lines. It reads the map
  // only when it formats a stack; a cold start pays a scan of the bundle's lines (about 0.65 ms).
  sourcemap: 'linked',
  target: 'node24',
  platform: 'node',
  format: 'cjs',
  // The comments esbuild keeps as "legal" (here only coverage-tool pragmas marked @preserve) go to a
  // <handler>.cjs.LEGAL.txt file beside the bundle rather than at its end.
  legalComments: 'external',
  // The project is an ES module package ("type": "module"), so CommonJS bundles need the .cjs extension.
  outputFileExtension: '.cjs',
  // Stop kafkajs's idle connections from polling a 1 ms timer, let kafkajs encode requests in buffers from
  // Node's pool instead of a zero-filled new one each, and leave out of each bundle the code its
  // function never runs, or replace it with a smaller equivalent: kafkajs's unused clients, requests and old
  // protocol versions, Powertools' JMESPath, the MSK IAM signer's JavaScript SHA-256, uuid's v5 and kafkajs's
  // Web Crypto random bytes (all three on node:crypto); see the file.
  plugins: './deploy/esbuild-plugins.cjs',
  // Lambda's Node.js 24 runtime provides the AWS SDK v3. Two things use it, each loaded only when needed:
  // Powertools' DynamoDB idempotency store (on the first request with an Idempotency-Key) and AWS's MSK IAM
  // signer (with KAFKA_SASL_MECHANISM=aws-msk-iam). Everything else is bundled: each bundle is self-contained.
  // @redis/client only serves `npm start`'s local idempotency store and is never loaded on Lambda.
  exclude: ['@aws-sdk/*', '@smithy/*', '@redis/client'],
  packager: 'npm',
  // `npm run bench` sets BUNDLE_METAFILE=true for an esbuild metafile per function (where its bytes come
  // from), and keeps the build folder that holds it; neither changes what is packaged.
  metafile: bundleMetafile,
  keepOutputDirectory: bundleMetafile,
  // Where serverless-esbuild builds, and which folder it deletes when it is done. `npm test` sets its own
  // (package.json), so that its serverless runs leave the folder of an `npm start` in the same checkout alone.
  outputWorkFolder: process.env.ESBUILD_WORK_FOLDER || '.esbuild',
};

/** The functions' bundling as esbuild build options: the plugins loaded, the excluded packages external. */
const buildOptions = () => {
  const { bundle, minify, target, platform, format, legalComments, exclude } = serverlessEsbuild;
  return {
    bundle,
    minify,
    target,
    platform,
    format,
    legalComments,
    external: exclude,
    plugins: require('./esbuild-plugins.cjs'),
  };
};

module.exports = { serverlessEsbuild, buildOptions };
