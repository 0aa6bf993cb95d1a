// Text shown in a one-line message: control characters escaped, long values cut.

const MAX_SHOWN = 200;

/** True for C0/C1 control characters and the Unicode line/paragraph separators. */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** True when the text holds a control character (a line break, NUL, …). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text with its control characters escaped (as `\n`, `\u0000`), so it stays on one line. */
export function escapeControls(text: string): string {
  if (!hasControlCharacter(text)) return text;
  let escaped = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    escaped += isControl(code) ? (ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, '0')}`) : char;
  }
  return escaped;
}

/** A value quoted for a one-line message: control characters escaped, long values cut. */
export function quoteValue(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return `'${escapeControls(cut)}'`;
}
