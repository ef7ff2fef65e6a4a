// serverless.yml's functions, derived from the event catalog (lib/catalog.ts) through
// ${file(./deploy/functions.cjs):functions}: one function per route, its HTTP event, and its per-function
// settings (authorizer and scope, IAM role, VPC, concurrency), all written here and nowhere else.
//
// The catalog is TypeScript (with the zod schemas it declares), so it is loaded with tsx's tsImport, the
// same loader as `npm start` and the scripts: the route data stays in the one declaration the handlers and
// documents use, rather than in a copy both sides could read.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const catalogUrl = pathToFileURL(path.join(__dirname, '..', 'lib', 'catalog.ts')).href;

/** The routes of lib/catalog.ts's functionRoutes(). */
const loadRoutes = async () => {
  const { tsImport } = await import('tsx/esm/api');
  const catalog = await tsImport(catalogUrl, __filename);
  return catalog.functionRoutes();
};

// Anyone may call the open routes: a health check opens broker connections (an admin client, one per
// container), so both it and the documents run in very few containers; each answer takes milliseconds.
const OPEN_ROUTE_CONCURRENCY = 2;

const functionOf = async (route, resolveVariable) => {
  const httpApi = { method: route.method, path: route.path };
  let settings;
  if (route.publishes) {
    // Every publishing route needs a bearer token with the publishing scope (custom.publishingAuthorizer);
    // every warm container holds its own broker connections, so each publishing function runs in at most
    // reservedConcurrency containers.
    httpApi.authorizer = await resolveVariable('self:custom.publishingAuthorizer');
    settings = {
      reservedConcurrency: Number(await resolveVariable('param:reservedConcurrency')),
      role: 'PublisherRole',
    };
    const provisioned = Number(await resolveVariable('param:provisionedConcurrency'));
    if (
      !Number.isInteger(provisioned) ||
      provisioned < 0 ||
      provisioned > settings.reservedConcurrency
    )
      throw new Error(
        `provisionedConcurrency must be a whole number from 0 to reservedConcurrency (${settings.reservedConcurrency}), not ${provisioned}`,
      );
    if (provisioned > 0) settings.provisionedConcurrency = provisioned;
  } else if (route.functionName === 'health') {
    settings = { reservedConcurrency: OPEN_ROUTE_CONCURRENCY, role: 'HealthRole' };
  } else {
    // The documents reach nothing, so they stay out of the brokers' VPC (and need no network-interface
    // permissions) and may write their own logs only.
    settings = { reservedConcurrency: OPEN_ROUTE_CONCURRENCY, role: 'OpenapiRole', vpc: null };
  }
  return {
    ...settings,
    handler: `handlers/${route.handlerFile}.handler`,
    events: [{ httpApi }],
    // The esbuild metafiles `npm run bench` has serverless-esbuild write (custom.esbuild.metafile) are not
    // part of any function.
    package: { patterns: ['!handlers/*-meta.json'] },
  };
};

module.exports.functions = async ({ resolveVariable }) => {
  const routes = await loadRoutes();
  const functions = {};
  for (const route of routes)
    functions[route.functionName] = await functionOf(route, resolveVariable);
  return functions;
};
