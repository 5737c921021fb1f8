/** A decoded JOSE header (RFC 7515 §4). Unknown members are kept as `unknown`. */
export interface JoseHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
  readonly cty?: string;
  readonly crit?: readonly string[];
  readonly x5t?: string;
  readonly 'x5t#S256'?: string;
  readonly [member: string]: unknown;
}

/** A decoded JWT claims set (RFC 7519 §4). Registered claims are typed after verification. */
export interface JwtPayload {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly [claim: string]: unknown;
}

/** A JSON Web Key (RFC 7517 §4) as found in a JWKS document. */
export interface Jwk {
  readonly kty: string;
  readonly kid?: string;
  readonly use?: string;
  readonly key_ops?: readonly string[];
  readonly alg?: string;
  readonly crv?: string;
  readonly n?: string;
  readonly e?: string;
  readonly x?: string;
  readonly y?: string;
  readonly x5c?: readonly string[];
  readonly x5t?: string;
  readonly 'x5t#S256'?: string;
  readonly [member: string]: unknown;
}

/** A JSON Web Key Set (RFC 7517 §5). */
export interface Jwks {
  readonly keys: readonly Jwk[];
}
