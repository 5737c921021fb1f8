/**
 * Scope sets (RFC 6749 §3.3): a `scope` value is a space-separated list of scope tokens, each
 * non-empty, order irrelevant. The one parser behind JWT access tokens (RFC 9068 §2.2.3), introspection
 * responses (RFC 7662 §2.2) and request authorization.
 */

/** The scope tokens of a space-separated `scope` value; empty tokens (repeated spaces) are no scopes. */
export function parseScope(scope: string): Set<string> {
  const out = new Set<string>();
  for (const s of scope.split(' ')) if (s.length > 0) out.add(s);
  return out;
}

/** The scopes of `required` (in their order) that `granted` lacks. */
export function missingScopes(granted: ReadonlySet<string>, required: readonly string[]): string[] {
  return required.filter((s) => !granted.has(s));
}
