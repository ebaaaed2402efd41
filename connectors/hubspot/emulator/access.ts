// Who may call: bearer tokens (401 when missing or unknown) and granted scopes (403 MISSING_SCOPES), both
// changeable through the control API.
import type { HubspotEmulatorControl } from './types.js';
import { HttpFailure, errorBody } from './wire.js';

export interface Access {
  /** Throws HubSpot's 401 unless the Authorization header carries a known bearer token. */
  checkAuth(authorization: string | undefined): void;
  /** Throws HubSpot's 403 unless `scope` is granted. */
  requireScope(scope: string): void;
  control: Pick<HubspotEmulatorControl, 'setScopes' | 'setTokens'>;
}

export function createAccess(initialTokens: string[]): Access {
  let tokens = new Set(initialTokens);
  let scopes: Set<string> | null = null;
  return {
    checkAuth(authorization) {
      const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
      if (!m || !tokens.has(m[1] ?? '')) {
        throw new HttpFailure(
          401,
          errorBody(
            m ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION',
            m
              ? 'The OAuth token used to make this call expired or is not valid.'
              : 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          ),
        );
      }
    },
    requireScope(scope) {
      if (scopes === null || scopes.has(scope)) return;
      throw new HttpFailure(
        403,
        errorBody(
          'MISSING_SCOPES',
          "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
          {
            errors: [
              {
                message: 'One or more of the following scopes are required.',
                context: { requiredGranularScopes: [scope] },
              },
            ],
            links: { scopes: 'https://developers.hubspot.com/scopes' },
          },
        ),
      );
    },
    control: {
      setScopes(list) {
        scopes = list === null ? null : new Set(list);
      },
      setTokens(list) {
        tokens = new Set(list);
      },
    },
  };
}
