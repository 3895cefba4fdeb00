/**
 * Low-level LaTeX string helpers shared by extraction, normalization and structure parsing:
 * brace matching, splitting at top level (outside any bracket), and repair of over-escaped text.
 */

/**
 * Command names that occur in answers. Only these are un-doubled by `repairEscapes`: a doubled
 * backslash is also LaTeX's row separator (`1 \\ 2` in a matrix), so `\\x` must stay as it is
 * when `x` is a variable, while `\\frac` can only be an over-escaped `\frac`.
 */
const KNOWN_COMMANDS = new Set(
  (
    'frac dfrac tfrac cfrac sqrt boxed fbox text textbf textit textnormal textrm mathrm mathbf mathit ' +
    'mbox operatorname left right pi cdot times div pm mp le leq ge geq lt gt ne neq approx infty ' +
    'in notin cup cap setminus emptyset varnothing circ degree sin cos tan sec csc cot arcsin arccos ' +
    'arctan sinh cosh tanh log ln exp lg lb binom dbinom tbinom begin end pmatrix bmatrix matrix ' +
    'array quad qquad dots ldots cdots alpha beta gamma delta epsilon varepsilon zeta eta theta ' +
    'vartheta iota kappa lambda mu nu xi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta ' +
    'Theta Lambda Xi Pi Sigma Phi Psi Omega hbar angle overline sqrt displaystyle textstyle lbrace ' +
    'rbrace langle rangle vert lvert rvert mid parallel perp sum prod int lim to rightarrow ' +
    'Rightarrow implies iff mathbb mathcal mathscr prime leqslant geqslant neg land lor equiv pmod ' +
    'bmod mod gcd lcm max min floor ceil lfloor rfloor lceil rceil dot ddot hat vec bar tilde ' +
    'mathsf texttt emph boldsymbol cap subset subseteq supset supseteq forall exists degree percent'
  ).split(/\s+/),
);

/** Control characters produced when `\t`, `\f`, `\b`, `\v`, `\r` were read as string escapes. */
const CONTROL_ESCAPES: Record<string, string> = { '\t': 't', '\f': 'f', '\b': 'b', '\v': 'v', '\r': 'r' };

/**
 * Undo the two ways answers arrive over-escaped: JSON/Python text where every backslash is
 * doubled (`\\frac{1}{2}`), and non-raw strings where `\f`/`\t` became control characters
 * (`\frac` -> form feed + `rac`). Both are repaired only when the result is a known command.
 */
export function repairEscapes(s: string): string {
  let out = s;
  if (out.includes('\\\\')) {
    out = out.replace(/(?<!\\)\\\\([a-zA-Z]+)/g, (m, name: string) =>
      KNOWN_COMMANDS.has(name) ? `\\${name}` : m,
    );
  }
  if (/[\t\f\b\v\r]/.test(out)) {
    out = out.replace(/[\t\f\b\v\r]([a-zA-Z]+)/g, (m, rest: string) => {
      const letter = CONTROL_ESCAPES[m[0]!]!;
      return KNOWN_COMMANDS.has(letter + rest) ? `\\${letter}${rest}` : m;
    });
  }
  return out;
}

/** The command name after the backslash at `i`: a run of letters, or the single next character. */
export function commandAt(s: string, i: number): string {
  let j = i + 1;
  while (j < s.length && isLetter(s.charCodeAt(j))) j++;
  if (j === i + 1) return s.charAt(i + 1);
  return s.slice(i + 1, j);
}

export function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/**
 * Index of the `}` that closes the `{` at `open`, skipping escaped `\{` and `\}`; -1 when the
 * group is unbalanced.
 */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Visit every position at bracket depth 0. Parentheses and square brackets are matched loosely
 * (any opener closes with any closer) because half-open intervals like `[0,1)` mix them.
 * `\{ \}` and `\begin ... \end` count as brackets too. The visitor returns how many characters it
 * consumed as a separator (0 for none).
 */
export function scanTopLevel(s: string, visit: (i: number) => number): void {
  let depth = 0;
  let i = 0;
  while (i < s.length) {
    if (depth === 0) {
      const used = visit(i);
      if (used > 0) {
        i += used;
        continue;
      }
    }
    const c = s[i]!;
    if (c === '\\') {
      const name = commandAt(s, i);
      if (name === '{' || name === 'begin') depth++;
      else if (name === '}' || name === 'end') depth = Math.max(0, depth - 1);
      i += 1 + name.length;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    i++;
  }
}

/** Split `s` at top-level separators; `sepAt` returns the separator length at `i`, or 0. */
export function splitTopLevel(s: string, sepAt: (i: number) => number): string[] {
  const parts: string[] = [];
  let start = 0;
  scanTopLevel(s, (i) => {
    const len = sepAt(i);
    if (len > 0) {
      parts.push(s.slice(start, i));
      start = i + len;
    }
    return len;
  });
  parts.push(s.slice(start));
  return parts;
}

/**
 * If the whole of `s` is one bracketed group, return its opener, closer and inside; otherwise
 * null. `(1,2)(3,4)` is not one group, `\{1,2\}` is.
 */
export function wholeGroup(s: string): { open: string; close: string; inner: string } | null {
  let open: string;
  let innerStart: number;
  if (s.startsWith('\\{')) {
    open = '\\{';
    innerStart = 2;
  } else if (s[0] === '(' || s[0] === '[' || s[0] === '{') {
    open = s[0];
    innerStart = 1;
  } else return null;
  let depth = 0;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      const name = commandAt(s, i);
      if (name === '{' || name === 'begin') depth++;
      else if (name === '}' || name === 'end') {
        depth--;
        if (depth === 0) {
          const end = i + 1 + name.length;
          if (name !== '}' || end !== s.length) return null;
          return { open, close: '\\}', inner: s.slice(innerStart, i) };
        }
      }
      i += 1 + name.length;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        if (i !== s.length - 1) return null;
        if ((open === '{') !== (c === '}') || open === '\\{') return null;
        return { open, close: c, inner: s.slice(innerStart, i) };
      }
    }
    i++;
  }
  return null;
}

/** Replace every `\cmd{arg}` (brace-matched) with `replace(arg)`. */
export function replaceCommandArg(
  s: string,
  names: readonly string[],
  replace: (arg: string, name: string, before: string) => string,
): string {
  let out = s;
  for (let guard = 0; guard < 200; guard++) {
    let best = -1;
    let bestName = '';
    for (const name of names) {
      let from = 0;
      for (;;) {
        const at = out.indexOf(`\\${name}`, from);
        if (at < 0) break;
        const after = at + 1 + name.length;
        if (after < out.length && isLetter(out.charCodeAt(after))) {
          from = after;
          continue;
        }
        if (best < 0 || at < best) {
          best = at;
          bestName = name;
        }
        break;
      }
    }
    if (best < 0) return out;
    let open = best + 1 + bestName.length;
    while (out[open] === ' ') open++;
    if (out[open] !== '{') {
      // `\text` without a group: drop the command itself so the loop makes progress.
      out = out.slice(0, best) + out.slice(best + 1 + bestName.length);
      continue;
    }
    const close = matchBrace(out, open);
    if (close < 0) {
      out = out.slice(0, best) + out.slice(open + 1);
      continue;
    }
    const arg = out.slice(open + 1, close);
    out = out.slice(0, best) + replace(arg, bestName, out.slice(0, best)) + out.slice(close + 1);
  }
  return out;
}
