import type { Jwks } from '../jose/types.js';

/** The inspector's start-up values, shared by its server and its page. */

/** Values the page starts with (the demo uses it to show its tokens). */
export interface InspectorFields {
  readonly token?: string;
  readonly issuer?: string;
  readonly audience?: string | readonly string[];
  readonly nonce?: string;
  readonly accessToken?: string;
  /** A JWKS to check against offline (object or JSON text). */
  readonly jwks?: Jwks | string;
  /** "Check at" time: Unix seconds or ISO 8601 text. */
  readonly at?: number | string;
  readonly type?: 'id' | 'access' | 'logout';
  readonly scope?: string;
}

export interface InspectorSample extends InspectorFields {
  /** Shown in the page's sample picker. */
  readonly label: string;
}

export interface InspectorPrefill extends InspectorFields {
  /** Verify once the page has loaded. */
  readonly verify?: boolean;
  /** Tokens offered in a picker; choosing one fills the form. */
  readonly samples?: readonly InspectorSample[];
}
