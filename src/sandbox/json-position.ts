/** Positions in JSON text, for error messages that point at a line: where a parse failed, where a path's value starts. */

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Where JSON.parse failed. V8 names a position for most errors ("... at position 42") but not for
 * "Unexpected token 'x', ... is not valid JSON"; then the first failing prefix is found by bisection
 * (a prefix that only lacks its end parses with "Unexpected end" or fails exactly at its own length).
 */
export function jsonErrorOffset(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    if (isIncompletePrefix(text.slice(0, mid))) good = mid;
    else bad = mid;
  }
  return bad - 1;
}

function isIncompletePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (err) {
    const message = (err as Error).message;
    if (/Unexpected end of JSON input/.test(message)) return true;
    const position = /at position (\d+)/.exec(message);
    return position !== null && Number(position[1]) >= prefix.length;
  }
}

/** Offset where the value at `path` starts in JSON `text`, found by skipping over siblings. */
export function valueOffset(text: string, path: Array<string | number>): number | undefined {
  let i = skipSpace(text, 0);
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (text[i] !== '[') return undefined;
      i = skipSpace(text, i + 1);
      for (let k = 0; k < seg; k++) {
        i = skipSpace(text, skipValue(text, i));
        if (text[i] !== ',') return undefined;
        i = skipSpace(text, i + 1);
      }
      if (text[i] === ']') return undefined;
    } else {
      if (text[i] !== '{') return undefined;
      i = skipSpace(text, i + 1);
      let found = false;
      while (text[i] === '"') {
        const keyEnd = skipString(text, i);
        const key = JSON.parse(text.slice(i, keyEnd)) as string;
        i = skipSpace(text, keyEnd);
        if (text[i] !== ':') return undefined;
        i = skipSpace(text, i + 1);
        if (key === seg) {
          found = true;
          break;
        }
        i = skipSpace(text, skipValue(text, i));
        if (text[i] !== ',') break;
        i = skipSpace(text, i + 1);
      }
      if (!found) return undefined;
    }
  }
  return i;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return i;
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"') i = skipString(text, i) - 1;
      else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return i;
  }
  while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
  return i;
}
