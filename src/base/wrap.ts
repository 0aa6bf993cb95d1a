// Text fitted to a terminal's width: prose wrapped at spaces, commands continued with ` \` so they
// can still be pasted into a shell. Pure.

/** `text` in lines of at most `width` characters, each starting with `indent`. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const room = Math.max(10, width - indent.length);
  const lines: string[] = [];
  let line = '';
  // A word longer than a line (a URL) is cut: nothing may reach past the width.
  const words = text
    .split(/\s+/)
    .filter((w) => w !== '')
    .flatMap((w) => (w.length <= room ? [w] : (w.match(new RegExp(`.{1,${room}}`, 'g')) ?? [w])));
  for (const word of words) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= room) line += ` ${word}`;
    else {
      lines.push(`${indent}${line}`);
      line = word;
    }
  }
  if (line !== '') lines.push(`${indent}${line}`);
  return lines.length === 0 ? [indent.trimEnd()] : lines;
}

/** The words of a command line in pieces that stay together: `--flag VALUE`, `[--flag VALUE]`. */
function pieces(command: string): string[] {
  const words = command.split(' ').filter((w) => w !== '');
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    let piece = words[i] as string;
    if (piece.startsWith('[')) {
      let depth = (piece.match(/\[/g) ?? []).length - (piece.match(/\]/g) ?? []).length;
      while (depth > 0 && i + 1 < words.length) {
        const next = words[++i] as string;
        piece += ` ${next}`;
        depth += (next.match(/\[/g) ?? []).length - (next.match(/\]/g) ?? []).length;
      }
    } else if (piece.startsWith('-') && !piece.includes('=')) {
      const next = words[i + 1];
      if (next !== undefined && !next.startsWith('-') && !next.startsWith('[')) {
        piece += ` ${next}`;
        i++;
      }
    }
    out.push(piece);
  }
  return out;
}

/**
 * A command in lines of at most `width` characters, broken between pieces (a flag stays with its
 * value, a `[…]` group stays whole), the continuations indented two more. With `continued` (the
 * default) every line but the last ends in ` \`, so the lines paste into a shell as one command;
 * without it (a usage line) they do not.
 */
export function wrapCommand(command: string, width: number, indent = '', continued = true): string[] {
  const lines: string[] = [];
  const tail = continued ? ' \\' : '';
  let line = '';
  // A `--flag VALUE` too long for a line of its own goes on two.
  const all = pieces(command).flatMap((piece) =>
    `${indent}  ${piece}${tail}`.length > width && piece.includes(' ') && !piece.startsWith('[')
      ? piece.split(' ')
      : [piece],
  );
  for (const piece of all) {
    if (line === '') line = `${indent}${piece}`;
    else if (line.length + 1 + piece.length + tail.length <= width) line += ` ${piece}`;
    else {
      lines.push(`${line}${tail}`);
      line = `${indent}  ${piece}`;
    }
  }
  lines.push(line);
  return lines;
}

/** One entry: the flag, then its text beside it (or under it, on a narrow terminal). */
export function helpEntry(left: string, text: string, width: number, column: number): string[] {
  if (width < 60 || left.length + 4 > column) {
    return [`  ${left}`, ...wrapText(text, width, '      ')];
  }
  const lines = wrapText(text, width, ' '.repeat(column));
  lines[0] = `  ${left.padEnd(column - 2)}${(lines[0] ?? '').trimStart()}`;
  return lines;
}
