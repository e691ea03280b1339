/** The resource name of another version of the same secret. */
export function versionName(
  setting: { project: string; secret: string },
  version: string | number,
): string {
  return `projects/${setting.project}/secrets/${setting.secret}/versions/${version}`;
}
