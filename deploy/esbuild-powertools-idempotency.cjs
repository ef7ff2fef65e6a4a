// An esbuild plugin for what Powertools idempotency carries but lib/idempotency.ts never has it run:
// - @aws-lambda-powertools/jmespath (its parser, interpreter and built-in functions: about 24 KB) is bundled as
//   deploy/shims/jmespath-subset.ts. Powertools idempotency imports `search` from the package and
//   `PowertoolsFunctions` from its `functions` export, and evaluates with them only the two expressions
//   lib/idempotency.ts configures (eventKeyJmesPath, payloadValidationJmesPath); the subset evaluates those as
//   the library does and throws on any other expression. See the shim for the details.
// - The local cache (@aws-lambda-powertools/commons's LRUCache, about 1.4 KB) is left out: the persistence
//   layer makes one only with `useLocalCache: true`, which lib/idempotency.ts does not set. Making one throws.
// tests/bundle/powertools-idempotency.test.ts checks both against lib/idempotency.ts's configuration.
const path = require('node:path');
const { runtime } = require('./esbuild-left-out.cjs');

const subset = path.join(__dirname, 'shims', 'jmespath-subset.ts');
const NAMESPACE = 'powertools-left-out';

module.exports = {
  name: 'powertools-idempotency',
  setup(build) {
    build.onResolve({ filter: /^@aws-lambda-powertools\/jmespath(\/functions)?$/ }, () => ({
      path: subset,
    }));
    build.onResolve({ filter: /^@aws-lambda-powertools\/commons\/utils\/lru-cache$/ }, (args) => ({
      path: args.path,
      namespace: NAMESPACE,
    }));
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, () => ({
      loader: 'js',
      resolveDir: __dirname,
      contents: `import { fail } from ${runtime};
export class LRUCache {
  constructor() {
    fail('@aws-lambda-powertools/commons LRUCache', "lib/idempotency.ts does not set useLocalCache");
  }
}`,
    }));
  },
};
