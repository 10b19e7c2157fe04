/**
 * JSON objects embedded in a string of free text: a Lambda `console.log` line
 * (`<time>\t<request id>\tINFO\t{...}`), a CloudWatch or SQS message, a console message that pasted
 * a record. Byte streams of text are handled by the text line reader, which runs the JSON scanner;
 * this is for strings already in memory (a field of a parsed record).
 */

/** At most this many `{` are tried per string: a line of prose with many braces stays cheap. */
const MAX_STARTS = 16;

/**
 * The outermost balanced `{...}` spans of `text` that parse as JSON, in order. A brace that does
 * not open a valid object is skipped and the scan goes on from the next one.
 */
export function jsonObjectsIn(text: string): unknown[] {
  const found: unknown[] = [];
  let start = text.indexOf('{');
  for (let tries = 0; start !== -1 && tries < MAX_STARTS; tries++) {
    const end = matchingBrace(text, start);
    if (end !== -1) {
      try {
        found.push(JSON.parse(text.slice(start, end + 1)));
        start = text.indexOf('{', end + 1);
        continue;
      } catch {
        // balanced but not JSON (a util.inspect dump, a template): try the next brace
      }
    }
    start = text.indexOf('{', start + 1);
  }
  return found;
}

/** The index of the `}` closing the object opened at `start` (strings respected), or -1. */
function matchingBrace(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}
