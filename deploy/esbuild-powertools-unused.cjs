// An esbuild plugin that leaves out two parts of Powertools the functions carry but never run, each replaced
// by a module whose use throws, naming what was left out (deploy/left-out-runtime.cjs):
// - the Logger's log buffering (logBuffer.js: the CircularMap that holds buffered lines, about 0.9 KB). The
//   Logger makes one only when it is given `logBufferOptions`, which lib/observability.ts never sets;
// - Parameters' transforms (transformValue.js, and with it commons' base64 decoder: about 0.75 KB). A provider
//   runs it only for a `transform` option, which lib/producer/broker-security.ts's read of the SASL password
//   never passes.
// Each module's exports (and, for the buffer, the one importer's import) are checked at build time, so a
// Powertools update that uses more of them fails the build. tests/bundle/powertools-unused.test.ts checks both.
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { runtime } = require('./esbuild-left-out.cjs');

const ESM = '[\\\\/]@aws-lambda-powertools[\\\\/]';

/** The modules left out: where, what they export, and their stand-in's export. */
const leftOut = [
  {
    file: new RegExp(`${ESM}logger[\\\\/]lib[\\\\/]esm[\\\\/]logBuffer\\.js$`),
    exports: /^export class (\w+)/gm,
    expected: ['SizedItem', 'SizedSet', 'CircularMap'],
    importer: ['LogInvocationStore.js', "import { CircularMap } from './logBuffer.js';"],
    standIn: `export class CircularMap extends Map {
  constructor() {
    super();
    fail('Powertools Logger log buffering', 'lib/observability.ts sets no logBufferOptions');
  }
}`,
  },
  {
    file: new RegExp(`${ESM}parameters[\\\\/]lib[\\\\/]esm[\\\\/]base[\\\\/]transformValue\\.js$`),
    exports: /^export \{ (\w+) \};$/gm,
    expected: ['transformValue'],
    importer: ['BaseProvider.js', "import { transformValue } from './transformValue.js';"],
    standIn: `export const transformValue = () =>
  fail('Powertools Parameters transforms', 'lib/producer/broker-security.ts reads the secret without a transform');`,
  },
];

module.exports = {
  name: 'powertools-unused',
  setup(build) {
    for (const { file, exports, expected, importer, standIn } of leftOut)
      build.onLoad({ filter: file }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const found = [...source.matchAll(exports)].map(([, name]) => name);
        if (found.join() !== expected.join())
          throw new Error(`${args.path} exports ${found.join(', ')} (has Powertools changed?)`);
        const [importerFile, importLine] = importer;
        const importerSource = readFileSync(
          path.join(path.dirname(args.path), importerFile),
          'utf8',
        );
        if (!importerSource.includes(importLine))
          throw new Error(
            `${args.path}: ${importerFile} no longer imports it as \`${importLine}\``,
          );
        return {
          loader: 'js',
          resolveDir: __dirname,
          contents: `import { fail } from ${runtime};\n${standIn}`,
        };
      });
  },
};
