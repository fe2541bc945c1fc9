// node-oidc-provider for the token-endpoint bench: the same grants
// (client_credentials; refresh_token, rotated on every use), client
// authentication (private_key_jwt, ES256) and token format (ES256 JWT access
// tokens) as Propusk's bench client uses. Its default in-memory adapter keeps
// the jti replay cache, grants and refresh tokens: noted as such.
// `POST /bench/refresh-token` mints a grant and its refresh token directly
// (what a code flow would leave behind), so the bench needs no login pages.
// Usage: PORT=… CLIENT_JWK=file.json node server.mjs
import fs from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clientJwk = JSON.parse(fs.readFileSync(process.env.CLIENT_JWK, 'utf8'));
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sig = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-1' };

const provider = new Provider(issuer, {
  jwks: { keys: [sig] },
  clients: [{
    client_id: 'bench',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    id_token_signed_response_alg: 'ES256',
    jwks: { keys: [clientJwk] },
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1:9/cb'],
  }],
  scopes: ['api', 'offline_access'],
  // Like Propusk's oidc clients: a new refresh token on every use, reuse
  // revokes the grant.
  rotateRefreshToken: true,
  enabledJWA: { clientAuthSigningAlgValues: ['ES256'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:bench:api',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: 'urn:bench:api',
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== '/bench/refresh-token') return next();
  const client = await provider.Client.find('bench');
  const grant = new provider.Grant({ accountId: 'bench-person', clientId: 'bench' });
  grant.addResourceScope('urn:bench:api', 'api');
  const grantId = await grant.save();
  const token = new provider.RefreshToken({
    accountId: 'bench-person',
    client,
    grantId,
    gty: 'authorization_code',
    iiat: Math.floor(Date.now() / 1000),
    resource: 'urn:bench:api',
    rotations: 0,
    scope: 'api',
  });
  ctx.body = { refresh_token: await token.save() };
});
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
