// What esbuild bundles in place of code a function never runs (see deploy/esbuild-left-out.cjs): it throws,
// naming what was left out and why, as soon as anything uses it. So a mistake in what the plugins leave out
// fails loudly (the end-to-end tests run these bundles against a broker), never silently.

/** Throws `<what> is not bundled: <why>`: the body of a left-out method. */
const fail = (what, why = 'this function never runs it') => {
  throw new Error(`${what} is not bundled: ${why}`);
};

/**
 * A stand-in for a left-out module: calling it, constructing it or calling anything read from it throws.
 * Reading `versions` gives an empty list (kafkajs reads that from each protocol request when it connects,
 * to pick the version it would send), and `__esModule` is false (a plain CommonJS module to esbuild's interop).
 */
const stub = (what, why) => {
  function leftOut() {
    fail(what, why);
  }
  return new Proxy(leftOut, {
    get: (_, key) => (key === 'versions' ? [] : key === '__esModule' ? false : leftOut),
  });
};

module.exports = { fail, stub };
