// node-oidc-provider for the token-endpoint bench: the same grant
// (client_credentials), client authentication (private_key_jwt, ES256) and
// token format (ES256 JWT access tokens) as Propusk's bench client uses.
// Its default in-memory adapter keeps the jti replay cache: noted as such.
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
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  }],
  scopes: ['api'],
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
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
