/**
 * viewer: queries and subscriptions; operator: also start, cancel and publish runs; admin: also
 * datasets and API keys. Each role includes the ones before it.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do, as the API's Role enum describes it. */
export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  viewer: 'Queries and subscriptions.',
  operator: 'A viewer that may also start, cancel and publish runs.',
  admin: 'An operator that may also register, change and delete datasets, and manage API keys.',
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function allows(held: Role | null, required: Role): boolean {
  return held !== null && ROLES.indexOf(held) >= ROLES.indexOf(required);
}

/** Who is calling. `role` null: nobody authenticated and no anonymous access. */
export interface Identity {
  readonly subject: string;
  readonly role: Role | null;
  readonly method: 'api-key' | 'jwt' | 'anonymous' | 'none';
  /** For API keys: the key's id (rate limits are per key; revoking it closes its sockets). */
  readonly keyId?: string;
  /** For JWTs: when the token expires (a socket opened with it is closed then). */
  readonly expiresAt?: Date;
}

export const NOBODY: Identity = { subject: 'nobody', role: null, method: 'none' };
