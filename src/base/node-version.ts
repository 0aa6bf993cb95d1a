// The oldest Node.js the CLI and the library run on: undici 8 (the HTTP client) needs 22.19. Kept free
// of imports and of newer syntax, so even an old Node can load it and say so in one line.

/** The oldest supported Node.js, as `[major, minor]`. Keep it in step with `engines` in package.json. */
export const MIN_NODE: readonly [number, number] = [22, 19];

/** The one-line message for a Node.js older than MIN_NODE, or undefined when `version` is new enough. */
export function unsupportedNode(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [needMajor, needMinor] = MIN_NODE;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `cos-download needs Node.js ${needMajor}.${needMinor} or newer; this is Node.js ${version.replace(/^v?/, 'v')}.`;
}
