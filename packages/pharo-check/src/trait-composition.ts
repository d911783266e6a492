/**
 * Reads trait composition expressions such as
 * `TA + (TB - {#x. #y}) + TC @ {#new->#old}` into the traits used, each with
 * its excluded selectors and aliases (alias -> original selector).
 */

export interface TraitUse {
  name: string;
  excluded: Set<string>;
  aliases: Map<string, string>;
}

const TOKEN = /\s*(#'(?:[^']|'')*'|#[A-Za-z0-9_:]+|#[-!%&*+,/<=>?@\\~|]+|[A-Za-z_][A-Za-z0-9_]*|->|[-+@(){}.])/y;

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(source);
    if (!m) {
      if (source.slice(at).trim() !== "") tokens.push("?");
      return tokens;
    }
    tokens.push(m[1] ?? "");
  }
}

function symbolName(t: string): string {
  return t.startsWith("#'") ? t.slice(2, -1).replace(/''/g, "'") : t.slice(1);
}

/** Parses a composition; unknown syntax is skipped rather than rejected. */
export function parseTraitComposition(source: string | undefined): TraitUse[] {
  if (!source) return [];
  const tokens = tokenize(source);
  let i = 0;
  const peek = (): string | undefined => tokens[i];

  const term = (): TraitUse[] => {
    const t = tokens[i++];
    let uses: TraitUse[] = [];
    if (t === "(") {
      uses = sum();
      if (peek() === ")") i++;
    } else if (t && /^[A-Za-z_]/.test(t)) {
      if (peek() === "classTrait" || peek() === "classSide") i++;
      uses = [{ name: t, excluded: new Set(), aliases: new Map() }];
    }
    for (;;) {
      const op = peek();
      if ((op === "-" || op === "@") && tokens[i + 1] === "{") {
        i += 2;
        while (i < tokens.length && peek() !== "}") {
          const a = tokens[i++] ?? "";
          if (op === "@" && peek() === "->") {
            i++;
            const b = tokens[i++] ?? "";
            for (const u of uses) u.aliases.set(symbolName(a), symbolName(b));
          } else if (a.startsWith("#")) {
            for (const u of uses) u.excluded.add(symbolName(a));
          }
          if (peek() === ".") i++;
        }
        i++;
      } else {
        return uses;
      }
    }
  };

  const sum = (): TraitUse[] => {
    const uses = term();
    while (peek() === "+") {
      i++;
      uses.push(...term());
    }
    return uses;
  };

  const all: TraitUse[] = [];
  while (i < tokens.length) {
    const before = i;
    all.push(...sum());
    if (i === before) i++;
  }
  return all;
}
