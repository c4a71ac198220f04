import type { Identity } from './roles';

// setTimeout's longest delay (about 24.8 days); a later expiry is waited for in steps.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The long-lived connections (graphql-ws sockets) open in this process, by the credentials that
 * opened them. Credentials are checked when a socket opens; without this, the socket would outlive
 * them: revoking an API key ends the sockets opened with it, and a JWT's socket ends when it expires.
 */
export class SocketSessions {
  private readonly byApiKey = new Map<string, Set<() => void>>();

  /** Tracks a socket opened as `identity`; `end` closes it. Returns the release to call once it has closed. */
  open(identity: Identity, end: () => void): () => void {
    const keyId = identity.keyId;
    const sessions = keyId === undefined ? undefined : (this.byApiKey.get(keyId) ?? this.byApiKey.set(keyId, new Set()).get(keyId)!);
    let cancelExpiry: (() => void) | undefined;
    const release = () => {
      cancelExpiry?.();
      sessions?.delete(session);
      if (keyId !== undefined && sessions?.size === 0) this.byApiKey.delete(keyId);
    };
    const session = () => {
      release();
      end();
    };
    sessions?.add(session);
    if (identity.expiresAt) cancelExpiry = at(identity.expiresAt, session);
    return release;
  }

  /** Ends every socket opened with this API key; returns how many. */
  revokeApiKey(keyId: string): number {
    const sessions = [...(this.byApiKey.get(keyId) ?? [])];
    for (const session of sessions) session();
    return sessions.length;
  }
}

/** Runs `action` at `time` (at once if it has passed); returns the cancel. */
function at(time: Date, action: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = time.getTime() - Date.now();
    timer = setTimeout(wait > MAX_TIMER_MS ? arm : action, Math.min(Math.max(wait, 0), MAX_TIMER_MS));
    // A socket's expiry must not keep the process alive.
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
