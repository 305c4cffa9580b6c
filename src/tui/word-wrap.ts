/**
 * Wrapping of blessed-tagged text ("{bold}verdict:{/bold} …") at word
 * boundaries. Our own rather than blessed's, for two reasons: blessed
 * breaks words in the middle, and a scrolled pane shows a slice of the
 * lines, so every line must carry its own tags (a colour opened two lines
 * above the slice would otherwise be lost, or leak into the next pane).
 */

// blessed's own tag grammar (Element.prototype._parseTags).
const TAG = /^\{(\/?)([\w\-,;!#]*)\}/;

type Atom = { tag: string; name: string; close: boolean } | { ch: string; space: boolean };

/** Escapes that blessed shows as one character. */
const ESCAPES: Record<string, string> = { open: '{', close: '}' };

function atoms(s: string): Atom[] {
  const out: Atom[] = [];
  for (let i = 0; i < s.length;) {
    if (s[i] === '{') {
      const m = TAG.exec(s.slice(i));
      if (m) {
        const name = m[2]!;
        if (m[1] === '' && name in ESCAPES) out.push({ ch: m[0], space: false });
        else out.push({ tag: m[0], name, close: m[1] === '/' });
        i += m[0].length;
        continue;
      }
    }
    out.push({ ch: s[i]!, space: s[i] === ' ' });
    i++;
  }
  return out;
}

/** Columns the text takes on screen: tags take none, escapes one. */
export function visibleLength(s: string): number {
  let n = 0;
  for (const a of atoms(s)) if ('ch' in a) n++;
  return n;
}

/** The tags still open after `line`, given those open before it. */
function openAfter(open: string[], line: readonly Atom[]): string[] {
  const stack = [...open];
  for (const a of line) {
    if (!('tag' in a)) continue;
    if (!a.close) stack.push(a.name);
    else if (a.name === '') stack.length = 0;
    else {
      const at = stack.lastIndexOf(a.name);
      if (at >= 0) stack.splice(at, 1);
    }
  }
  return stack;
}

function render(line: readonly Atom[]): string {
  return line.map((a) => ('tag' in a ? a.tag : a.ch)).join('');
}

/**
 * One line of tagged text as lines of at most `width` columns, broken at
 * spaces; a word longer than a line is the only thing ever cut. Lines after
 * the first keep the first one's indentation plus two, so that a wrapped
 * evidence item still reads as one item.
 */
export function wrapTagged(line: string, width: number): string[] {
  const w = Math.max(1, Math.floor(width));
  const all = atoms(line);
  let indent = 0;
  for (const a of all) {
    if ('tag' in a) continue;
    if (!a.space) break;
    indent++;
  }
  const cont = Math.min(indent + 2, Math.floor(w / 2));
  const pad = (n: number): Atom[] => Array.from({ length: n }, () => ({ ch: ' ', space: true }));

  const lines: Atom[][] = [];
  let cur: Atom[] = [];
  let used = 0;
  /** Index in `cur` of the last space after a word: where the line may break. */
  let breakAt = -1;
  let sawWord = false;
  const startLine = (rest: Atom[]) => {
    lines.push(cur);
    // Spaces at the break vanish: the line ends with a word, the next starts with one.
    let k = 0;
    while (k < rest.length && 'ch' in rest[k]! && (rest[k] as { space: boolean }).space) k++;
    const kept = [...rest.slice(0, k).filter((a) => 'tag' in a), ...rest.slice(k)];
    cur = [...pad(cont), ...kept];
    used = cont + kept.filter((a) => 'ch' in a).length;
    breakAt = -1;
    sawWord = kept.some((a) => 'ch' in a);
  };
  for (const a of all) {
    if ('tag' in a) {
      cur.push(a);
      continue;
    }
    if (used + 1 > w) {
      if (a.space) {
        startLine([]);
        continue;
      }
      const rest = breakAt >= 0 ? cur.slice(breakAt + 1) : null;
      // A word longer than the room after the indentation is cut: nothing else would fit it.
      if (rest !== null && cont + rest.filter((x) => 'ch' in x).length + 1 <= w) {
        cur = cur.slice(0, breakAt);
        startLine(rest);
      } else {
        startLine([]);
      }
    }
    if (a.space && sawWord) breakAt = cur.length;
    if (!a.space) sawWord = true;
    cur.push(a);
    used++;
  }
  lines.push(cur);

  // Every line closes what it opened and reopens what the previous one left open.
  const out: string[] = [];
  let open: string[] = [];
  for (const l of lines) {
    const after = openAfter(open, l);
    const text = render(l).replace(/ +$/, '');
    out.push(
      `${open.map((n) => `{${n}}`).join('')}${text}${[...after]
        .reverse()
        .map((n) => `{/${n}}`)
        .join('')}`,
    );
    open = after;
  }
  return out;
}

/** Many lines (each may hold '\n'), each wrapped. */
export function wrapAll(lines: readonly string[], width: number): string[] {
  return lines.flatMap((l) => l.split('\n').flatMap((part) => wrapTagged(part, width)));
}
