import type { TraceState } from '@opentelemetry/api';

// Optional whitespace is spaces and tabs only (RFC 9110); trim() would also take a no-break space.
export const OWS_ENDS = /^[ \t]+|[ \t]+$/g;

/**
 * `tracestate` by the W3C Trace Context Level 2 grammar, all or nothing.
 *
 * The SDK's `TraceState` is lenient: it drops invalid members one by one and keeps the rest, and
 * it uses the Level 1 key grammar, so it silently loses Level 2 keys such as `1vendor` or
 * `a@b@c`. Level 2 says a receiver that finds an invalid member or more than 32 members discards
 * the whole header. See https://www.w3.org/TR/trace-context-2/#tracestate-header and
 * https://www.w3.org/TR/trace-context-2/#key
 */

const MAX_MEMBERS = 32;
// key = ( lcalpha / DIGIT ) 0*255 ( keychar ); keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
// 32 members of at most 256 + 1 + 256 characters and their separators: anything longer cannot
// be valid, so it is refused before any splitting (a cheap guard against oversized headers).
const MAX_HEADER_LENGTH = MAX_MEMBERS * 514 + 31 * 2;

type Member = readonly [key: string, value: string];

/** An immutable Level 2 trace state. Members are kept in header order, newest first. */
export class Level2TraceState implements TraceState {
  private constructor(private readonly members: readonly Member[]) {}

  /**
   * Parses a `tracestate` header (several headers are joined with `,`, as RFC 9110 allows).
   * Returns `undefined` when the header must be discarded.
   */
  static parse(header: string | string[]): Level2TraceState | undefined {
    const raw = Array.isArray(header) ? header.join(',') : header;
    if (raw.length > MAX_HEADER_LENGTH) return undefined;
    const members: Member[] = [];
    for (const part of raw.split(',')) {
      const member = part.replace(OWS_ENDS, '');
      if (member === '') continue; // empty list members are allowed (OWS "," OWS)
      const eq = member.indexOf('=');
      if (eq <= 0) return undefined;
      const key = member.slice(0, eq);
      const value = member.slice(eq + 1);
      if (!KEY.test(key) || !VALUE.test(value)) return undefined;
      // A key may appear once; a header with duplicates is malformed.
      for (const [seen] of members) if (seen === key) return undefined;
      members.push([key, value]);
      if (members.length > MAX_MEMBERS) return undefined;
    }
    return members.length === 0 ? undefined : new Level2TraceState(members);
  }

  set(key: string, value: string): TraceState {
    if (!KEY.test(key) || !VALUE.test(value)) return this;
    // A modified key moves to the front; the rightmost member is dropped past 32.
    // See https://www.w3.org/TR/trace-context-2/#mutating-the-tracestate-field
    const rest = this.members.filter(([k]) => k !== key);
    return new Level2TraceState([[key, value] as const, ...rest].slice(0, MAX_MEMBERS));
  }

  unset(key: string): TraceState {
    const rest = this.members.filter(([k]) => k !== key);
    return rest.length === this.members.length ? this : new Level2TraceState(rest);
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.members) if (k === key) return v;
    return undefined;
  }

  serialize(): string {
    return this.members.map(([k, v]) => `${k}=${v}`).join(',');
  }
}
