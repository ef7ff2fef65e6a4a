// Deployment settings that depend on parameters, resolved by serverless.yml through ${file(./deploy/aws.cjs):NAME}.
// Each takes its values from `--param="NAME=value"` (or the params block of serverless.yml). The IAM roles
// are in roles.cjs.

const { param, list } = require('./params.cjs');

/** MSK lives in a VPC: the functions join it when vpcSubnetIds and vpcSecurityGroupIds are given. */
module.exports.vpc = async ({ resolveVariable }) => {
  const subnetIds = list(await param(resolveVariable, 'vpcSubnetIds'));
  const securityGroupIds = list(await param(resolveVariable, 'vpcSecurityGroupIds'));
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return null;
  if (subnetIds.length === 0 || securityGroupIds.length === 0) {
    throw new Error('vpcSubnetIds and vpcSecurityGroupIds go together: give both, or neither');
  }
  return { subnetIds, securityGroupIds };
};

/** Hosts only a developer's machine answers: no identity provider a deployed API could trust. */
const localHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The JWT authorizer's issuer. The default is a local development issuer that serverless-offline accepts
 * (it checks no signature) and API Gateway can never reach: deployed, it would refuse every token. So it is
 * only allowed on the `dev` stage, and a deploy (or package) to any other stage with it stops here.
 */
module.exports.jwtIssuerUrl = async ({ resolveVariable }) => {
  const issuer = await param(resolveVariable, 'jwtIssuerUrl');
  const stage = await resolveVariable('sls:stage');
  let host;
  try {
    host = new URL(issuer).hostname;
  } catch {
    throw new Error(`jwtIssuerUrl is not a URL: ${JSON.stringify(issuer)}`);
  }
  if (localHosts.has(host) && stage !== 'dev') {
    throw new Error(
      `jwtIssuerUrl is the local development issuer (${issuer}), which only the dev stage may use: a deploy to stage "${stage}" needs your identity provider's issuer, e.g. --param="jwtIssuerUrl=https://cognito-idp.REGION.amazonaws.com/POOL_ID"`,
    );
  }
  return issuer;
};

/** A numeric param as a number (`--param` values are text), refused unless positive (and whole, when it must be). */
const positive =
  (name, { whole }) =>
  async ({ resolveVariable }) => {
    const text = await param(resolveVariable, name);
    const value = Number(text);
    if (text === '' || !Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value)))
      throw new Error(
        `${name} expects a positive ${whole ? 'whole ' : ''}number, got ${JSON.stringify(text)}`,
      );
    return value;
  };

/** API Gateway's stage throttling, per route: requests per second, and how many at once. */
module.exports.throttleRateLimit = positive('throttleRateLimit', { whole: false });
module.exports.throttleBurstLimit = positive('throttleBurstLimit', { whole: true });
