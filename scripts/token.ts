// `npm run token`: a development credential for the publishing routes, as `Authorization: Bearer <token>`.
// The last line of the output is the bare token, for scripts:  TOKEN=$(npm run -s token | tail -n 1)
//
// Locally, serverless-offline enforces the HTTP API's JWT authorizer by checking the token's expiry, issuer
// and audience; it does not verify signatures (API Gateway does, in AWS, against the issuer's keys). The
// token is signed anyway, with a throw-away key, so that it has the shape of a real one.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';

/** The same defaults as serverless.yml's params (jwtIssuerUrl, jwtAudience). */
export const devIssuer = () =>
  process.env.JWT_ISSUER_URL ?? 'https://localhost/order-events-publisher/dev';
export const devAudience = () => process.env.JWT_AUDIENCE ?? 'order-events-publisher';

export const createDevToken = async ({ validForSeconds = 12 * 3600 } = {}): Promise<string> =>
  new SignJWT({ scope: 'order-events/publish' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(devIssuer())
    .setAudience(devAudience())
    .setSubject('local-developer')
    .setIssuedAt()
    .setExpirationTime(`${validForSeconds}s`)
    .sign(randomBytes(32));

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const token = await createDevToken();
  process.stdout.write(
    `A development token (issuer ${devIssuer()}, audience ${devAudience()}, valid 12 h).\n`,
  );
  process.stdout.write('Send it as:  Authorization: Bearer <token>\n');
  process.stdout.write(`${token}\n`);
}
