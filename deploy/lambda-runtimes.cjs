// serverless 3, the last release that runs without an account login, validates `provider.runtime` against
// the runtimes it knew when it was released: its list ends at nodejs20.x, which AWS no longer lets anyone
// deploy. It packages and deploys the runtime string as given; only its configuration schema lags behind.
// This local plugin adds the Node.js runtimes AWS has added since, so that serverless.yml validates in full
// (`configValidationMode: error`) instead of warning about a valid runtime on every command.
const newerNodeRuntimes = ['nodejs22.x', 'nodejs24.x'];

class LambdaRuntimes {
  constructor(serverless) {
    const runtimes = serverless.configSchemaHandler.schema.definitions.awsLambdaRuntime?.enum;
    if (!Array.isArray(runtimes)) return; // a serverless release whose schema is shaped differently
    for (const runtime of newerNodeRuntimes)
      if (!runtimes.includes(runtime)) runtimes.push(runtime);
  }
}

module.exports = LambdaRuntimes;
