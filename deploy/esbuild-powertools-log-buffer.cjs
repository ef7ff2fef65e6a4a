// An esbuild plugin that leaves out Powertools Logger's log buffering (logBuffer.js: the CircularMap that holds
// buffered lines, about 0.9 KB). The Logger makes one only when it is given `logBufferOptions`, which
// lib/observability.ts's loggerOptions never sets; making one throws, naming what was left out
// (deploy/left-out-runtime.cjs). tests/bundle/powertools-log-buffer.test.ts checks both.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { runtime } = require('./esbuild-left-out.cjs');

const LOG_BUFFER = /[\\/]@aws-lambda-powertools[\\/]logger[\\/]lib[\\/]esm[\\/]logBuffer\.js$/;
/** What the module exports; a Logger that changes them (or uses more of them) fails the build. */
const EXPORTS = ['SizedItem', 'SizedSet', 'CircularMap'];

module.exports = {
  name: 'powertools-log-buffer',
  setup(build) {
    build.onLoad({ filter: LOG_BUFFER }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const exported = [...source.matchAll(/^export class (\w+)/gm)].map(([, name]) => name);
      if (exported.join() !== EXPORTS.join())
        throw new Error(`${args.path} exports ${exported.join(', ')} (has Powertools changed?)`);
      const store = readFileSync(
        path.join(path.dirname(args.path), 'LogInvocationStore.js'),
        'utf8',
      );
      if (!store.includes("import { CircularMap } from './logBuffer.js';"))
        throw new Error(
          `${args.path}: LogInvocationStore no longer imports only CircularMap from it`,
        );
      return {
        loader: 'js',
        resolveDir: __dirname,
        contents: `import { fail } from ${runtime};
export class CircularMap extends Map {
  constructor() {
    super();
    fail('Powertools Logger log buffering', 'lib/observability.ts sets no logBufferOptions');
  }
}`,
      };
    });
  },
};
