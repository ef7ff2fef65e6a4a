// An esbuild plugin that trims zod's English messages (zod/v4/locales/en.js, which lib/schemas.ts installs) to the
// string formats the service's schemas use. The locale names each of 34 string formats ("email address",
// "IPv6 range", "credit card number"...) for the message of a value that fails its format; the functions'
// schemas check only patterns (z.regex, whose message never reads that table), and lib/records.ts and
// lib/openapi.ts describe ids and times (z.uuid, z.iso.datetime). The table keeps those names, each as zod
// writes it, and drops the others (about 0.6 KB of every function): a format used later without being added to
// KEPT would be named by its key ("Invalid email"), not by zod's words. tests/bundle/zod-formats.test.ts checks
// that every format lib/ uses is kept and that its message is zod's own.
const { withEntriesKept } = require('./esbuild-left-out.cjs');

/** The formats lib/'s schemas use (the keys of zod's table). */
const KEPT = ['regex', 'uuid', 'datetime'];

module.exports = {
  name: 'zod-formats',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]en\.js$/ }, (args) => ({
      loader: 'js',
      contents: withEntriesKept(args.path, '    const FormatDictionary = {', '    };', KEPT),
    }));
  },
};
// For the test; not enumerable, since esbuild refuses a plugin with keys other than its own.
Object.defineProperty(module.exports, 'KEPT', { value: KEPT });
