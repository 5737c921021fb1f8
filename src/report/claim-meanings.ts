/**
 * What each standard claim and header parameter means, for people reading a token. Each entry
 * cites the specification that defines it (OIDC Core, the JOSE/JWT RFCs, RFC 9068, the logout
 * specs); claims no specification defines point to the issuer's own documentation.
 */

export interface Meaning {
  /** Short name, e.g. "Issuer". */
  readonly name: string;
  /** What it is and what a verifier does with it. */
  readonly meaning: string;
  /** Where the wording comes from. */
  readonly source: string;
}

export const CLAIM_MEANINGS: Readonly<Record<string, Meaning>> = {
  iss: {
    name: 'Issuer',
    meaning:
      'Identifier of the creator of the token; must be a plain https:// URL and match the identifier of your authorization server exactly.',
    source: 'OIDC Core §2',
  },
  sub: { name: 'Subject', meaning: 'Identifier for the authenticated user, unique within the issuer.', source: 'OIDC Core §2' },
  aud: {
    name: 'Audience',
    meaning: 'Expected recipient(s); must contain the client ID of your application.',
    source: 'OIDC Core §2',
  },
  exp: {
    name: 'Expiration time',
    meaning: 'Time at which the token expires (Unix time); reject tokens whose expiry has passed.',
    source: 'RFC 7519 §4.1.4',
  },
  nbf: { name: 'Not before', meaning: 'Time before which the token must not be accepted.', source: 'RFC 7519 §4.1.5' },
  iat: {
    name: 'Issued at',
    meaning: 'When the token was issued (Unix time); applications can reject tokens issued too long ago.',
    source: 'RFC 7519 §4.1.6',
  },
  auth_time: {
    name: 'Authentication time',
    meaning: 'When the user last logged in interactively (without SSO); checked against max_age when it was requested.',
    source: 'OIDC Core §2',
  },
  nonce: {
    name: 'Nonce',
    meaning: 'If the client sent a nonce in the authentication request it must be present here with the same value (replay protection).',
    source: 'OIDC Core §3.1.3.7',
  },
  acr: {
    name: 'Authentication context class',
    meaning: 'Authentication method used; should match the acr_values request parameter if it was sent.',
    source: 'OIDC Core §2',
  },
  amr: {
    name: 'Authentication methods',
    meaning: 'Identifiers of the authentication methods used, e.g. pwd, otp, mfa.',
    source: 'OIDC Core §2; RFC 8176',
  },
  azp: {
    name: 'Authorized party',
    meaning: 'The client the token was issued to; when present it must be your client ID.',
    source: 'OIDC Core §2',
  },
  jti: {
    name: 'Token identifier',
    meaning: 'A unique identifier for this token; can be used to prevent replays.',
    source: 'RFC 7519 §4.1.7',
  },
  at_hash: {
    name: 'Access token hash',
    meaning: 'Left half of the hash of the access token issued with this ID token; binds the two together.',
    source: 'OIDC Core §3.1.3.6, §3.3.2.11',
  },
  c_hash: { name: 'Code hash', meaning: 'Left half of the hash of the authorization code (hybrid flow).', source: 'OIDC Core §3.3.2.11' },
  s_hash: { name: 'State hash', meaning: 'Left half of the hash of the state value (FAPI).', source: 'FAPI 1.0 Advanced §5.1' },
  sid: {
    name: 'Session ID',
    meaning: 'Identifier of the user session at the issuer; used by front- and back-channel logout.',
    source: 'OIDC Front-Channel Logout §3',
  },
  typ: { name: 'Token type', meaning: 'Type of the token as a claim (some issuers add it).', source: 'issuer-specific' },
  scope: { name: 'Scope', meaning: 'Space-separated scopes granted to the access token.', source: 'RFC 9068 §2.2.3' },
  client_id: { name: 'Client ID', meaning: 'The client the access token was issued to.', source: 'RFC 9068 §2.2' },
  events: {
    name: 'Events',
    meaning: 'In a logout token: must contain http://schemas.openid.net/event/backchannel-logout.',
    source: 'OIDC Back-Channel Logout §2.4',
  },
  isk: {
    name: 'Issuer-specific',
    meaning:
      "Not a registered claim: a private claim whose meaning only the issuer's documentation defines (WSO2 Identity Server and Asgardeo add it to ID tokens).",
    source: "RFC 7519 §4.3; the issuer's docs",
  },
  name: { name: 'Full name', meaning: "The user's full name.", source: 'OIDC Core §5.1' },
  given_name: { name: 'Given name', meaning: "The user's first name.", source: 'OIDC Core §5.1' },
  family_name: { name: 'Family name', meaning: "The user's surname.", source: 'OIDC Core §5.1' },
  preferred_username: {
    name: 'Preferred username',
    meaning: 'Shorthand name the user wishes to be called; not unique, never use it as a key.',
    source: 'OIDC Core §5.1',
  },
  email: { name: 'Email', meaning: "The user's email address; trust it only when email_verified is true.", source: 'OIDC Core §5.1' },
  email_verified: { name: 'Email verified', meaning: 'Whether the issuer verified the email address.', source: 'OIDC Core §5.1' },
  locale: { name: 'Locale', meaning: "The user's locale, e.g. en-US.", source: 'OIDC Core §5.1' },
  updated_at: { name: 'Updated at', meaning: "When the user's profile was last updated.", source: 'OIDC Core §5.1' },
};

export const HEADER_MEANINGS: Readonly<Record<string, Meaning>> = {
  alg: {
    name: 'Algorithm',
    meaning: 'Algorithm used to sign the token; must be on your allowlist. Never rely on it alone; "none" is always refused.',
    source: 'RFC 7515 §4.1.1',
  },
  kid: { name: 'Key ID', meaning: "Which key of the issuer's JWKS signed the token.", source: 'RFC 7515 §4.1.4' },
  typ: {
    name: 'Type',
    meaning: 'Media type of the token: JWT, at+jwt (access token), logout+jwt (logout token).',
    source: 'RFC 7515 §4.1.9',
  },
  x5t: {
    name: 'SHA-1 certificate thumbprint',
    meaning: 'Fingerprint of the certificate of the signing key, used when certificates are distributed in advance.',
    source: 'RFC 7515 §4.1.7',
  },
  'x5t#S256': {
    name: 'SHA-256 certificate thumbprint',
    meaning: 'Fingerprint of the certificate of the signing key (SHA-256).',
    source: 'RFC 7515 §4.1.8',
  },
  cty: { name: 'Content type', meaning: 'Content type of the payload; only used for nested tokens.', source: 'RFC 7515 §4.1.10' },
  jku: {
    name: 'JWK Set URL',
    meaning: 'A URL named by the token itself; never used to find keys (the token could point anywhere).',
    source: 'RFC 7515 §4.1.2',
  },
  jwk: { name: 'Embedded key', meaning: 'A key carried in the token itself; never trusted.', source: 'RFC 7515 §4.1.3' },
  x5c: {
    name: 'Certificate chain',
    meaning: 'Certificates carried in the token itself; never trusted for verification.',
    source: 'RFC 7515 §4.1.6',
  },
  x5u: { name: 'Certificate URL', meaning: 'A URL named by the token itself; never fetched.', source: 'RFC 7515 §4.1.5' },
  crit: {
    name: 'Critical',
    meaning: 'Extensions the verifier must understand; none are supported, so tokens with crit are refused.',
    source: 'RFC 7515 §4.1.11',
  },
};

export function claimMeaning(name: string): Meaning | undefined {
  return Object.hasOwn(CLAIM_MEANINGS, name) ? CLAIM_MEANINGS[name] : undefined;
}

export function headerMeaning(name: string): Meaning | undefined {
  return Object.hasOwn(HEADER_MEANINGS, name) ? HEADER_MEANINGS[name] : undefined;
}
