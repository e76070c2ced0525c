import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../app/config.ts';
import { findPrincipal, hasRole } from '../../app/auth.ts';
import { testConfig } from '../helpers/service.ts';

describe('API_TOKENS', () => {
  it('reads a WABA scope after the role and turns a token into a scoped principal', () => {
    const c = testConfig({ API_TOKENS: 'manager@1001|1002:scoped-token-1,finance:all-token-12' });
    expect(findPrincipal(c.apiTokens, 'scoped-token-1')).toEqual({ actor: 'manager#1', roles: ['manager'], wabas: ['1001', '1002'], method: 'token', mfa: false });
    expect(findPrincipal(c.apiTokens, 'all-token-12')?.wabas).toBe('all');
    expect(findPrincipal(c.apiTokens, 'scoped-token-2')).toBeUndefined();
  });

  it('refuses a scope that is not WABA ids', () => {
    expect(() => testConfig({ API_TOKENS: 'manager@acme:scoped-token-1' })).toThrow(ConfigError);
    expect(() => testConfig({ API_TOKENS: 'manager@:scoped-token-1' })).toThrow(ConfigError);
  });

  it('admin holds every role; others only their own', () => {
    const c = testConfig();
    const admin = findPrincipal(c.apiTokens, 'admin-token-123')!;
    const finance = findPrincipal(c.apiTokens, 'finance-token-123')!;
    expect(hasRole(admin, 'privacy')).toBe(true);
    expect(hasRole(finance, 'finance')).toBe(true);
    expect(hasRole(finance, 'manager')).toBe(false);
  });
});
