/**
 * A fake terminal for the TTY view's tests: applies the cursor movements the
 * view writes (up, erase to the end, newline) to a screen of `rows` rows
 * with scrollback. Like a real terminal, the cursor cannot move above the
 * top of the visible rows: a live area taller than the screen leaves its
 * old frames behind in the scrollback.
 */
export function screen(raw: string, rows = Number.POSITIVE_INFINITY): string[] {
  const lines: string[] = [];
  let row = 0;
  // deno-lint-ignore no-control-regex -- parsing ANSI sequences
  const re = /\x1b\[(\d*)([A-Za-z])|\x1b\[\?25[lh]|\r|\n|[^\x1b\r\n]+/g;
  for (const m of raw.matchAll(re)) {
    const token = m[0];
    if (token === "\n") row++;
    else if (token === "\r" || token.startsWith("\x1b[?")) continue;
    else if (m[2] === "A") {
      const top = Math.max(0, row + 1 - rows);
      row = Math.max(top, row - Number(m[1] || 1));
    } else if (m[2] === "J") lines.length = row;
    else if (m[2]) continue;
    else lines[row] = (lines[row] ?? "") + token;
  }
  return lines.slice(0, row);
}
