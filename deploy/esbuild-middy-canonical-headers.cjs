// An esbuild plugin that leaves out @middy/http-header-normalizer's table of header names with their own
// spelling (ETag, WWW-Authenticate, Sec-WebSocket-Key...: about 0.3 KB of every publishing function). Only its
// canonical mode reads the table; lib/publisher.ts uses the default, lower case. In its place, canonical mode
// throws, naming what was left out (deploy/left-out-runtime.cjs). tests/bundle/middy-canonical-headers.test.ts
// checks that the functions' headers are still lower-cased and that canonical mode throws.
const { readFileSync } = require('node:fs');
const { runtime } = require('./esbuild-left-out.cjs');

const TABLE = /\nconst exceptionsList = \[\n[^\]]*\n\];\n/;
const CANONICAL = '\tif (Object.hasOwn(exceptions, lowerCaseKey)) {';

const withoutTable = (file) => {
  const source = readFileSync(file, 'utf8');
  if (!TABLE.test(source) || !source.includes(CANONICAL))
    throw new Error(`${file}: no exceptionsList or canonical branch (has middy changed?)`);
  return `import { fail } from ${runtime};\n${source
    .replace(TABLE, '\nconst exceptionsList = [];\n')
    .replace(
      CANONICAL,
      `\tfail('@middy/http-header-normalizer canonical mode', 'lib/publisher.ts normalizes headers to lower case');\n${CANONICAL}`,
    )}`;
};

module.exports = {
  name: 'middy-canonical-headers',
  setup(build) {
    build.onLoad({ filter: /[\\/]@middy[\\/]http-header-normalizer[\\/]index\.js$/ }, (args) => ({
      loader: 'js',
      resolveDir: __dirname,
      contents: withoutTable(args.path),
    }));
  },
};
