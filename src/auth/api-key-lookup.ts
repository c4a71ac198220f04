import type { Identity } from './roles';

/** Every key starts so, which tells it from a JWT in the same Authorization header. */
export const API_KEY_PREFIX = 'aim_';

/** What authentication needs of API keys; the api-key module's ApiKeyService implements it. */
export interface ApiKeyLookup {
  /** The identity a key stands for, or null for an unknown or revoked key. */
  authenticate(key: string): Promise<Identity | null>;
  /** Calls `listener` with the key's id each time a key is revoked (its sockets close). */
  onRevoked(listener: (keyId: string) => void): void;
}
