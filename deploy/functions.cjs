// serverless.yml's functions, derived from the event catalog (lib/catalog.ts) through
// ${file(./deploy/functions.cjs):functions}: one function per route, its HTTP event, and its per-function
// settings (authorizer, concurrency), all written here and nowhere else.
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

/** The HTTP API's JWT authorizer (provider.httpApi.authorizers in serverless.yml). */
const AUTHORIZER = 'orderEventsJwt';

// A health check opens broker connections (an admin client, one per container) and anyone can call it, so it
// runs in very few containers; a check takes milliseconds. The documents need no Kafka and no credential.
const HEALTH_CONCURRENCY = 2;

const functionOf = async (route, resolveVariable) => {
  const httpApi = { method: route.method, path: route.path };
  const settings = {};
  if (route.publishes) {
    // Every publishing route needs a bearer token; every warm container holds its own broker connections,
    // so each publishing function runs in at most reservedConcurrency containers.
    httpApi.authorizer = { name: AUTHORIZER };
    settings.reservedConcurrency = Number(await resolveVariable('param:reservedConcurrency'));
  } else if (route.functionName === 'health') {
    settings.reservedConcurrency = HEALTH_CONCURRENCY;
  }
  return {
    ...settings,
    handler: `handlers/${route.handlerFile}.handler`,
    events: [{ httpApi }],
  };
};

module.exports.functions = async ({ resolveVariable }) => {
  const routes = await loadRoutes();
  const functions = {};
  for (const route of routes)
    functions[route.functionName] = await functionOf(route, resolveVariable);
  return functions;
};
