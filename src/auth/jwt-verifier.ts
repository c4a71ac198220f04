import { createSecretKey, type KeyObject } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import type { JwtOptions } from '../config/auth-options';
import { ROLES, isRole, type Identity, type Role } from './roles';

type SigningKey = KeyObject | Awaited<ReturnType<typeof importSPKI>>;

/** Verifies bearer JWTs: signature (HS256 or RS256 only), expiry, issuer and audience. */
export class JwtVerifier {
  private key: Promise<SigningKey> | undefined;

  constructor(private readonly options: JwtOptions) {}

  /** The identity in a valid token; null when the token is invalid, expired, or names no known role. */
  async verify(token: string): Promise<Identity | null> {
    try {
      const { payload } = await jwtVerify(token, await this.signingKey(), {
        algorithms: [this.options.algorithm],
        issuer: this.options.issuer,
        audience: this.options.audience,
        // A token without an expiry would be valid forever.
        requiredClaims: ['exp', 'sub'],
      });
      const role = highestRole(payload[this.options.roleClaim]);
      if (!role || typeof payload.sub !== 'string') return null;
      return { subject: `jwt:${payload.sub}`, role, method: 'jwt', expiresAt: new Date(payload.exp! * 1000) };
    } catch {
      return null;
    }
  }

  private signingKey(): Promise<SigningKey> {
    this.key ??=
      this.options.algorithm === 'HS256'
        ? Promise.resolve(createSecretKey(Buffer.from(this.options.secret!, 'utf8')))
        : importSPKI(this.options.publicKey!, 'RS256');
    return this.key;
  }
}

function highestRole(claim: unknown): Role | null {
  const values = Array.isArray(claim) ? claim : [claim];
  const roles = values.filter(isRole);
  if (roles.length === 0) return null;
  return roles.reduce((best, role) => (ROLES.indexOf(role) > ROLES.indexOf(best) ? role : best));
}
