import { redactUrl } from './connection-string';

export type Env = Record<string, string | undefined>;

/**
 * Typed values from the environment. A bad value is recorded in `problems` and its fallback returned,
 * so every problem is reported at once; blank counts as unset.
 */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  text(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) return this.refuse(`${name} must be an integer from ${min} to ${max}, got "${raw}"`, fallback);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return this.refuse(`${name} must be true or false, got "${raw}"`, fallback);
  }

  /** An http(s) URL without its trailing slashes; null when unset. */
  url(name: string): string | null {
    const raw = this.text(name);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    return this.refuse(`${name} must be an http(s) URL, got "${redactUrl(raw)}"`, null);
  }

  /** A redis:// or rediss:// URL; null when unset. It may carry a password: a problem shows it redacted. */
  redisUrl(name: string): string | null {
    const raw = this.text(name);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') return raw;
    } catch {
      // reported below
    }
    return this.refuse(`${name} must be a redis:// or rediss:// URL, got "${redactUrl(raw)}"`, null);
  }

  /** A size in bytes: a plain integer, or with a kb / mb suffix (1024-based, as body-parser reads "1mb"). */
  bytes(name: string, fallback: number, min: number, max: number): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
    const value = match ? Number(match[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb'] : Number.NaN;
    if (!(value >= min && value <= max))
      return this.refuse(`${name} must be a size from ${min} to ${max} bytes (e.g. 1048576, 512kb, 1mb), got "${raw}"`, fallback);
    return value;
  }

  /** A share from 0 to 1, in plain decimal notation. */
  fraction(name: string, fallback: number): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^(0|1|0?\.\d+|1\.0*)$/.test(raw) || !(value >= 0 && value <= 1))
      return this.refuse(`${name} must be a number from 0 to 1 (e.g. 0.01), got "${raw}"`, fallback);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) return this.refuse(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`, fallback);
    return raw as T;
  }

  /** A data stream name logs-<dataset>-<namespace>: the index template matches after the last hyphen. */
  dataStreamName(name: string, fallback: string): string {
    const value = this.text(name) ?? fallback;
    if (!/^logs-[a-z0-9_.]+-[a-z0-9_.]+$/.test(value)) {
      return this.refuse(
        `${name} must be a data stream name logs-<dataset>-<namespace> (lower case, no hyphen inside dataset or namespace), got "${value}"`,
        fallback,
      );
    }
    return value;
  }

  /** Records a problem the caller found itself. */
  problem(message: string): void {
    this.problems.push(message);
  }

  private refuse<T>(message: string, fallback: T): T {
    this.problems.push(message);
    return fallback;
  }
}
