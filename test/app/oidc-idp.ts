import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider) for the sign-in tests, with its own sign-in page: the
 * account typed decides who signs in, with which groups, and whether a second factor is asserted
 * (`amr`). The issuer is `localhost`, the service `127.0.0.1`: the IdP's redirect back is
 * cross-site, as with a real IdP.
 */

export const IDP_ACCOUNTS: Record<string, { groups: string[]; amr: string[] }> = {
  ana: { groups: ['wa-managers', 'staff'], amr: ['pwd', 'otp'] },
  bob: { groups: ['wa-managers'], amr: ['pwd'] },
  carl: { groups: ['marketing'], amr: ['pwd', 'otp'] },
};

export const CLIENT = { id: 'wa-analytics', secret: 'wa-analytics-client-secret-0123456789' };

export interface TestIdp {
  issuer: string;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => resolve(new URLSearchParams(text)));
    req.on('error', reject);
  });
}

export async function startIdp(redirectUrl: string): Promise<TestIdp> {
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, () => r()));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [redirectUrl], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }],
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@corp.example`, name: id.toUpperCase(), groups: IDP_ACCOUNTS[id]?.groups ?? [] }),
    }),
    // amr and acr in every ID token, as Keycloak and Entra ID put them.
    claims: { sid: null, iss: null, openid: ['sub', 'amr', 'acr', 'auth_time'], email: ['email'], profile: ['name'], groups: ['groups'] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['test-idp-cookie-key'] },
    // A first-party client: no consent screen.
    async loadExistingGrant(ctx: any) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url ?? '');
    if (!m) return void callback(req, res);
    if (!m[2]) {
      await provider.interactionDetails(req, res);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>IdP</title><form method="post" action="/interaction/${m[1]}/login"><input id="login" name="login"><button id="idp-submit">Sign in</button></form>`);
      return;
    }
    const login = (await body(req)).get('login') ?? '';
    const account = IDP_ACCOUNTS[login];
    if (!account) {
      res.writeHead(403).end('unknown account');
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login, amr: account.amr } }, { mergeWithLastSubmission: false });
  }

  return { issuer, close: () => new Promise((r) => server.close(() => r())) };
}
