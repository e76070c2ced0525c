// oidc-provider ships no types; the test IdP uses a handful of its calls.
declare module 'oidc-provider';
