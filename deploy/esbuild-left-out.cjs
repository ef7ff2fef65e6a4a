// For the esbuild plugins here: what is bundled in place of code a function never runs. Either a whole module
// (leftOut) or some functions of a module (withFunctionsLeftOut); both call deploy/left-out-runtime.cjs
// (bundled once), which throws, naming what was left out, when it is reached. Or some entries of a table, the
// others kept (withEntriesKept).
const { readFileSync } = require('node:fs');
const path = require('node:path');

const runtime = JSON.stringify(path.join(__dirname, 'left-out-runtime.cjs'));

/** An onLoad result: a module that throws `<what> is not bundled: <why>` when used. */
const leftOut = (what, why) => ({
  loader: 'js',
  resolveDir: __dirname,
  contents: `module.exports = require(${runtime}).stub(${JSON.stringify(what)}, ${JSON.stringify(why)});`,
});

let typescript;

/**
 * The source of a JavaScript module with some of its functions reduced to a call that throws
 * `<prefix><name> is not bundled: <why>`, parameters and body: methods of classes and object literals,
 * function declarations, and functions assigned to a property or a variable (`name: () => ...`, `const name = async () => ...`), by
 * name (`names`: each must be found exactly once, so that a library update that renames or moves one fails
 * the build rather than leaving it in, or out, unnoticed). An async function stays async (it rejects rather
 * than throws). The source is parsed with TypeScript's parser (a dev dependency already), not matched with
 * patterns.
 */
const withFunctionsLeftOut = (source, file, names, prefix, why) => {
  if (names.length === 0) return source;
  typescript ??= require('typescript');
  const ts = typescript;
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const wanted = new Set(names.map(String));
  const found = [];
  const nameOf = (node) =>
    node && (ts.isIdentifier(node) || ts.isNumericLiteral(node)) ? node.text : undefined;
  const isFunction = (node) =>
    node && (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && node.body;
  const isAsync = (node) =>
    Boolean(node.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword));
  const visit = (node) => {
    if (
      (ts.isMethodDeclaration(node) || ts.isFunctionDeclaration(node)) &&
      node.body &&
      wanted.has(nameOf(node.name))
    )
      // `async fetch({ ... }) { ... }` becomes `async fetch() { ... }`.
      found.push({ name: nameOf(node.name), from: node.name.end, to: node.body.end, method: true });
    else if (
      (ts.isPropertyAssignment(node) || ts.isVariableDeclaration(node)) &&
      isFunction(node.initializer) &&
      wanted.has(nameOf(node.name))
    )
      found.push({
        name: nameOf(node.name),
        from: node.initializer.getStart(tree),
        to: node.initializer.end,
        async: isAsync(node.initializer),
      });
    ts.forEachChild(node, visit);
  };
  visit(tree);
  for (const name of wanted) {
    const count = found.filter((f) => f.name === name).length;
    if (count !== 1)
      throw new Error(
        `${file}: expected one function ${name}, found ${count} (has the library changed?)`,
      );
  }
  let result = source;
  for (const f of found.sort((a, b) => b.from - a.from)) {
    const call = `{ __leftOut(${JSON.stringify(f.name)}); }`;
    const replacement = f.method ? `() ${call}` : `${f.async ? 'async ' : ''}() => ${call}`;
    result = result.slice(0, f.from) + replacement + result.slice(f.to);
  }
  const args = why === undefined ? '' : `, ${JSON.stringify(why)}`;
  const helper = `const __leftOut = (name) => require(${runtime}).fail(${JSON.stringify(prefix)} + name${args});\n`;
  // After the directive prologue ('use strict'), which must stay first to keep its meaning.
  let at = 0;
  for (const statement of tree.statements) {
    if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression)) break;
    at = statement.end;
  }
  return `${result.slice(0, at)}\n${helper}${result.slice(at)}`;
};

/**
 * The source of `file` with only the `kept` entries (one per line, `key: value,`) of the object literal that
 * opens with the line `opening` and closes with the line `closing`; throws, naming the file, when the table or an
 * entry is not there (the library has changed).
 */
const withEntriesKept = (file, opening, closing, kept) => {
  const source = readFileSync(file, 'utf8');
  const start = source.indexOf(`${opening}\n`);
  const end = source.indexOf(`\n${closing}\n`, start);
  if (start < 0 || end < 0) throw new Error(`${file}: no ${opening} (has the library changed?)`);
  const entries = source.slice(start, end).split('\n').slice(1);
  const lines = kept.map((key) => {
    const entry = entries.find((line) => line.trim().startsWith(`${key}:`));
    if (!entry) throw new Error(`${file}: ${opening} has no ${key} (has the library changed?)`);
    return entry;
  });
  return `${source.slice(0, start)}${opening}\n${lines.join('\n')}${source.slice(end)}`;
};

module.exports = { leftOut, withFunctionsLeftOut, withEntriesKept, runtime };
