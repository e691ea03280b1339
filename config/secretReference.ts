// Secret variables hold either a value or a Secret Manager reference:
//   gcp:secretmanager:projects/P/secrets/S[/versions/V]   (the secrets-init syntax)
//   projects/P/secrets/S[/versions/V]                     (the plain resource name)
// No version means `latest`.

export type SecretSetting =
  | { kind: 'literal'; value: string }
  | { kind: 'reference'; name: string; project: string; secret: string; version: string };

const PREFIX = 'gcp:secretmanager:';
const RESOURCE =
  /^projects\/([a-z0-9][a-z0-9-]{0,62})\/secrets\/([A-Za-z0-9_-]{1,255})(?:\/versions\/(latest|[1-9]\d*))?$/;
const LOOKS_LIKE_RESOURCE = /^projects\/[^/]*\/secrets\//;

export class MalformedReference extends Error {}

export function parseSecretSetting(raw: string): SecretSetting {
  const trimmed = raw.trim();
  const isPrefixed = trimmed.startsWith(PREFIX);
  const candidate = isPrefixed ? trimmed.slice(PREFIX.length) : trimmed;
  if (!isPrefixed && !LOOKS_LIKE_RESOURCE.test(candidate)) return { kind: 'literal', value: raw };
  const match = RESOURCE.exec(candidate);
  if (!match?.[1] || !match[2]) {
    throw new MalformedReference(
      'is not a valid Secret Manager reference: expected gcp:secretmanager:projects/P/secrets/S[/versions/V] ' +
        'or projects/P/secrets/S/versions/V',
    );
  }
  const version = match[3] ?? 'latest';
  return {
    kind: 'reference',
    project: match[1],
    secret: match[2],
    version,
    name: `projects/${match[1]}/secrets/${match[2]}/versions/${version}`,
  };
}
