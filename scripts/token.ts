// `npm run token`: a development credential for the publishing routes, as `Authorization: Bearer <token>`.
// The last line of the output is the bare token, for scripts:  TOKEN=$(npm run -s token | tail -n 1)
//
//   npm run token -- --sub caller-b               another caller (Idempotency-Keys are kept per caller)
//   npm run token -- --scope openid               a token without the publishing scope: answered 403
//   npm run token -- --scope ''                   a token without any scope: answered 403
//
// Locally, serverless-offline enforces the HTTP API's JWT authorizer by checking the token's expiry, issuer,
// audience and the route's scope; it does not verify signatures (API Gateway does, in AWS, against the
// issuer's keys). The token is signed anyway, with a throw-away key, so that it has the shape of a real one.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

/** The same defaults as serverless.yml's params (jwtIssuerUrl, jwtAudience, publishScope). */
export const devIssuer = () =>
  process.env.JWT_ISSUER_URL ?? 'https://localhost/order-events-publisher/dev';
export const devAudience = () => process.env.JWT_AUDIENCE ?? 'order-events-publisher';
export const PUBLISH_SCOPE = 'order-events/publish';
export const DEV_SUBJECT = 'local-developer';

export interface DevTokenOptions {
  validForSeconds?: number;
  /** The caller: the `sub` claim. */
  subject?: string;
  /** Space-separated scopes, as OAuth 2.0 writes them; '' for none (the claim is then left out). */
  scope?: string;
}

export const createDevToken = async ({
  validForSeconds = 12 * 3600,
  subject = DEV_SUBJECT,
  scope = PUBLISH_SCOPE,
}: DevTokenOptions = {}): Promise<string> =>
  new SignJWT(scope === '' ? {} : { scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(devIssuer())
    .setAudience(devAudience())
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${validForSeconds}s`)
    .sign(randomBytes(32));

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: DEV_SUBJECT },
      scope: { type: 'string', default: PUBLISH_SCOPE },
    },
  });
  const token = await createDevToken({ subject: values.sub, scope: values.scope });
  process.stdout.write(
    `A development token (issuer ${devIssuer()}, audience ${devAudience()}, subject ${values.sub}, scope ${values.scope === '' ? '(none)' : values.scope}, valid 12 h).\n`,
  );
  process.stdout.write('Send it as:  Authorization: Bearer <token>\n');
  process.stdout.write(`${token}\n`);
}
