import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UserError } from '../model/errors.js';

export interface ProbeTarget {
  /** As the user wrote it (without brackets). */
  host: string;
  port: number;
}

export interface ResolvedTarget extends ProbeTarget {
  /** The one address every probe connection goes to. */
  address: string;
  family: 4 | 6;
}

/** "198.51.100.10:5432", "[2001:db8::10]:5432", "db.example.com:5432". */
export function parseTarget(text: string): ProbeTarget {
  const t = text.trim();
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:[\]]+):(\d+)$/.exec(t);
  if (!m) {
    throw new UserError(`expected HOST:PORT (an IPv6 address in brackets: [2001:db8::10]:443), got "${text}"`);
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UserError(`port must be 1..65535, got ${m[2]}`);
  if (t.startsWith('[') && isIP(m[1]!) !== 6) throw new UserError(`"${m[1]}" in brackets is not an IPv6 address`);
  return { host: m[1]!, port };
}

/**
 * Resolves the host once. A name with several addresses is pinned to the
 * first, so that every connection of a run crosses the same path (and the
 * probe never reaches out to addresses the user did not ask about).
 */
export async function resolveTarget(target: ProbeTarget): Promise<ResolvedTarget> {
  const literal = isIP(target.host);
  if (literal) return { ...target, address: target.host, family: literal as 4 | 6 };
  try {
    const { address, family } = await lookup(target.host);
    return { ...target, address, family: family === 6 ? 6 : 4 };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
    throw new UserError(`cannot resolve ${target.host}: ${code}`);
  }
}
