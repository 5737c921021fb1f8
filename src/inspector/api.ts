import type { Jwks } from '../jose/types.js';
import { buildChecklist, type Checklist, type ChecklistRequest, type TokenType } from '../report/checklist-builder.js';
import { normalizeToken, parseJwksText } from '../report/input-text.js';
import { parseInstant } from '../report/time.js';

/**
 * POST /api/verify: the page's form, checked field by field, turned into the same checklist
 * request the CLI builds. Bad input is a 400 with one message, never an exception.
 */

export interface VerifyApiBody {
  readonly token?: unknown;
  readonly issuer?: unknown;
  readonly audience?: unknown;
  readonly jwks?: unknown;
  readonly nonce?: unknown;
  readonly accessToken?: unknown;
  readonly maxAge?: unknown;
  readonly at?: unknown;
  readonly clockTolerance?: unknown;
  readonly type?: unknown;
  readonly scope?: unknown;
}

export interface ApiOptions {
  readonly allowHttp?: boolean;
  readonly timeout?: number;
  readonly fetch?: typeof globalThis.fetch;
}

export class BadRequest extends Error {}

const MAX_FIELD = 64 * 1024;

function text(body: VerifyApiBody, name: keyof VerifyApiBody, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new BadRequest(`${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new BadRequest(`${name} must be a string`);
  if (v.length > MAX_FIELD) throw new BadRequest(`${name} is too long`);
  const t = v.trim();
  if (t === '' && required) throw new BadRequest(`${name} is required`);
  return t === '' ? undefined : t;
}

function seconds(body: VerifyApiBody, name: 'maxAge' | 'clockTolerance'): number | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequest(`${name} must be a whole number of seconds`);
  return n;
}

function words(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(/[\s,]+/).filter((s) => s.length > 0);
}

/** Checks the body and builds the checklist request (throws {@link BadRequest}). */
export function toChecklistRequest(raw: unknown, options: ApiOptions): ChecklistRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest('the body must be a JSON object');
  const body = raw as VerifyApiBody;
  const token = normalizeToken(text(body, 'token', true)!);
  const issuer = text(body, 'issuer', true)!;
  const audience = words(text(body, 'audience', true));
  if (audience.length === 0) throw new BadRequest('audience is required');
  const type = (text(body, 'type', false) ?? 'id') as TokenType;
  if (!['id', 'access', 'logout'].includes(type)) throw new BadRequest('type must be id, access or logout');
  let jwks: Jwks | undefined;
  if (typeof body.jwks === 'object' && body.jwks !== null) {
    const parsed = parseJwksText(JSON.stringify(body.jwks));
    if (typeof parsed === 'string') throw new BadRequest(`JWKS: ${parsed}`);
    jwks = parsed;
  } else {
    const jwksText = text(body, 'jwks', false);
    if (jwksText !== undefined) {
      const parsed = parseJwksText(jwksText);
      if (typeof parsed === 'string') throw new BadRequest(`JWKS: ${parsed}`);
      jwks = parsed;
    }
  }
  let at: number | undefined;
  const atText = typeof body.at === 'number' ? String(body.at) : text(body, 'at', false);
  if (atText !== undefined) {
    at = parseInstant(atText);
    if (at === undefined) throw new BadRequest('"check at" must be Unix seconds or an ISO 8601 date');
  }
  const nonce = text(body, 'nonce', false);
  const accessToken = text(body, 'accessToken', false);
  const maxAge = seconds(body, 'maxAge');
  const clockTolerance = seconds(body, 'clockTolerance');
  const scopes = words(text(body, 'scope', false));
  if (type !== 'id' && (nonce !== undefined || accessToken !== undefined || maxAge !== undefined)) {
    throw new BadRequest('nonce, access token and max age apply to ID tokens only');
  }
  return {
    token,
    issuer,
    audience,
    type,
    ...(jwks !== undefined ? { jwks } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(accessToken !== undefined ? { accessToken } : {}),
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(clockTolerance !== undefined ? { clockTolerance } : {}),
    ...(at !== undefined ? { at } : {}),
    ...(type === 'access' && scopes.length > 0 ? { requiredScopes: scopes } : {}),
    ...(options.allowHttp ? { allowHttp: true } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  };
}

export async function handleVerify(raw: unknown, options: ApiOptions): Promise<Checklist> {
  return buildChecklist(toChecklistRequest(raw, options));
}
