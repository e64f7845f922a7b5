// Redaction rules for log text: the ONE place the patterns live. The ingest pipeline (pipeline.ts)
// ships them to Elasticsearch as `gsub` processors, which run them with java.util.regex
// (`Pattern.compile(pattern).matcher(value).replaceAll(replacement)`, no flags); `redact()` below
// runs the very same strings with a JavaScript RegExp (flag "g" only) so tests exercise the rules
// offline. The two engines agree only on a common subset, so every pattern is written in it and
// `portabilityProblems()` rejects anything outside it:
//   - no flags: case-insensitivity is spelled out as classes ([Pp][Aa]...), no (?i), no /i;
//   - no `.` (Java excludes \u0085 too), no \s \S \w \W \d \D \b \B (Unicode-aware in one engine,
//     ASCII in the other), no ^ or $ (Java's $ also matches before a final line break);
//   - no lookbehind, no named groups, no possessive quantifiers, no \p{..}, \Q..\E, \A \z \G;
//   - a `[` inside a class is escaped (Java nests classes there, JS takes it literally); no `&&`;
//   - `{` only as an escaped literal or inside a class (Java refuses a bare `{`);
//   - escapes are limited to \t \r \n and escaped punctuation;
//   - replacements use only $1..$9 followed by a non-digit, and no backslashes.
//   - every repeated group is bounded ({0,64}); see BOUND below.

/** What a redacted value becomes. */
export const REDACTED = "[REDACTED]";

/** The key names whose values are sensitive, as agreed with the service team. */
export const SENSITIVE_KEYS = ["password", "token", "secret", "apiKey"] as const;

/** One rule: a Java/JS-portable pattern and its replacement. */
export interface RedactionRule {
    name: string;
    pattern: string;
    replacement: string;
    description: string;
}

/** "token" -> "[Tt][Oo][Kk][Ee][Nn]": case-insensitive without flags. */
function anyCase(word: string): string {
    return word.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`);
}

// A key matches when its LAST word is one of the sensitive names, in any case: `password`,
// `DB_PASSWORD`, `newPassword`, `access_token`, `client-secret`, `X-Api-Key`, `api_key`, `api.key`.
// The pattern only needs the key's end (the name followed by the closing quote or the `=`/`:`),
// so a key where the name is only a prefix or infix is left alone: `tokenizer_count`,
// `token_count`, `tokens`, `password_hash`, `secretary`. Why: in identifiers the head noun comes
// last (`access_token` is a token, `token_count` is a count), so this catches qualified credential
// names without redacting counters, sizes and flags that merely mention the word.
const KEY_END = `(?:${anyCase("password")}|${anyCase("token")}|${anyCase("secret")}|${anyCase("api")}[_.-]?${anyCase("key")})`;

const raw = String.raw;

// Every repeated group below is bounded ({0,64}): java.util.regex recurses once per iteration of
// a repeated group whose iterations differ in length, and an unbounded one overflows the stack
// on a value with a few thousand escapes (the Java test in tests/logging shows it). Inside
// Elasticsearch a StackOverflowError is fatal to the node, so a log line must never cause one.
// Runs of plain characters use a single class with * (iterative in both engines), so long values
// are fine. A value that cannot be delimited within the bound, or has no end (a truncated line),
// is caught by the "undelimited" rules, which redact to the end of the line: never a leak.
const MAX_ESCAPES = 64;
const BOUND = `{0,${MAX_ESCAPES}}`;

// A JSON key's closing quote; `\"` too, for JSON that sits escaped inside a string.
const JSON_KEY_CLOSE = raw`\\?"`;
const COLON = raw`[ \t]*:[ \t]*`;
// Body of a double-quoted JSON string: runs of plain characters between backslash escapes.
const DQ_BODY = raw`[^"\\]*(?:\\[^\r\n][^"\\]*)` + BOUND;
const SQ_BODY = raw`[^'\\]*(?:\\[^\r\n][^'\\]*)` + BOUND;
// The same string encoded once more (a JSON body logged as a string field): between runs, an
// escaped backslash (\\) followed by an escaped quote, another escaped backslash or any other
// character; it ends at a lone \".
const ESC_DQ_BODY = raw`[^"\\]*(?:(?:\\\\\\"|\\\\\\\\|\\\\[^"\\])[^"\\]*)` + BOUND;
// An object or array value, allowing one level of nesting inside it.
const JSON_OBJECT = raw`\{[^{}]*(?:\{[^{}]*\}[^{}]*)` + BOUND + raw`\}`;
const JSON_ARRAY = raw`\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)` + BOUND + raw`\]`;
// A bare JSON scalar (number, true/false/null): up to the next delimiter.
const JSON_SCALAR = raw`[^ \t\r\n,"\\{}\[\]]+`;
// A bare key=value value: up to whitespace or a delimiter that commonly ends it in log text
// (`,` `;` `&` quotes and closing brackets, as in `Config(password=x, ...)` or `?token=x&y=1`).
const KV_BARE = raw`[^ \t\r\n,;&"')}\]]+`;
const REDACTED_LITERAL = raw`\[REDACTED\]`;
const TO_LINE_END = raw`[^\r\n]*`;

/**
 * The rules, applied in this order. Each keeps the key (and JSON punctuation) and replaces only
 * the value, so the line stays readable and JSON stays JSON. Applying them twice changes nothing.
 */
export const REDACTION_RULES: readonly RedactionRule[] = [
    {
        name: "json-compound",
        pattern: `(${KEY_END}${JSON_KEY_CLOSE}${COLON})(?:${JSON_OBJECT}|${JSON_ARRAY})`,
        replacement: `$1"${REDACTED}"`,
        description: 'JSON key with an object or array value (one nested level): "secret":{...} -> "secret":"[REDACTED]"',
    },
    {
        name: "json-string",
        pattern: `(${KEY_END}"${COLON}")${DQ_BODY}"`,
        replacement: `$1${REDACTED}"`,
        description: 'JSON key with a string value, escaped quotes included: "apiKey":"a\\"b" -> "apiKey":"[REDACTED]"',
    },
    {
        name: "json-escaped-string",
        // The closing \" is captured and put back as $2: a backslash in a replacement is an
        // escape for Java and a literal for JavaScript.
        pattern: raw`(${KEY_END}\\"${COLON}\\")${ESC_DQ_BODY}(\\")`,
        replacement: `$1${REDACTED}$2`,
        description: 'doubly-encoded JSON: {\\"token\\":\\"x\\"} -> {\\"token\\":\\"[REDACTED]\\"}',
    },
    {
        name: "json-scalar",
        pattern: `(${KEY_END}${JSON_KEY_CLOSE}${COLON})${JSON_SCALAR}`,
        replacement: `$1"${REDACTED}"`,
        description: 'JSON key with a number/boolean/null value: "token":12345 -> "token":"[REDACTED]"',
    },
    {
        name: "json-undelimited",
        // Whatever string value the rules above could not delimit (no closing quote, or more
        // escapes than the bound) is redacted to the end of its line.
        pattern: `(${KEY_END}${JSON_KEY_CLOSE}${COLON}${JSON_KEY_CLOSE})(?!${REDACTED_LITERAL})${TO_LINE_END}`,
        replacement: `$1${REDACTED}`,
        description: 'a JSON string value without a findable end: "password":"abc<end of line> -> "password":"[REDACTED]',
    },
    {
        name: "key-value",
        pattern:
            `(${KEY_END}[ \\t]*[=:][ \\t]*)(?:` +
            [
                REDACTED_LITERAL,
                `"${DQ_BODY}"`,
                `'${SQ_BODY}'`,
                raw`\\"[^"\\]*(?:\\[^"\r\n][^"\\]*)${BOUND}\\"`,
                // an opening quote whose end cannot be found: to the end of the line
                `["']${TO_LINE_END}`,
                raw`\\"${TO_LINE_END}`,
                KV_BARE,
            ].join("|") +
            ")",
        replacement: `$1${REDACTED}`,
        description: "plain key=value or key: value, bare or quoted: password=hunter2 -> password=[REDACTED]",
    },
];

/** Applies the rules with JavaScript's RegExp: the same strings, the same order, global replace. */
export function redact(text: string, rules: readonly RedactionRule[] = REDACTION_RULES): string {
    let out = text;
    for (const rule of rules) out = out.replace(new RegExp(rule.pattern, "g"), rule.replacement);
    return out;
}

/**
 * Lists the constructs in `pattern` (and `replacement`) that fall outside the subset on which
 * java.util.regex and JavaScript RegExp agree. Empty means portable.
 */
export function portabilityProblems(pattern: string, replacement = ""): string[] {
    const problems: string[] = [];
    let inClass = false;
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        const at = `at ${i}`;
        if (c === "\\") {
            const next = pattern[i + 1];
            if (next === undefined) problems.push(`trailing backslash ${at}`);
            else if (/[A-Za-z0-9]/.test(next) && !"trn".includes(next)) problems.push(`escape \\${next} ${at} is not portable`);
            i++;
            continue;
        }
        if (inClass) {
            if (c === "[") problems.push(`unescaped [ inside a class ${at} (Java nests classes)`);
            if (c === "&" && pattern[i + 1] === "&") problems.push(`&& inside a class ${at} (Java intersection)`);
            if (c === "]") inClass = false;
            continue;
        }
        switch (c) {
            case "[":
                inClass = true;
                if (pattern[i + 1] === "^") i++;
                if (pattern[i + 1] === "]") problems.push(`] first in a class ${at} (Java and JS differ)`);
                break;
            case ".":
                problems.push(`. ${at} (line terminators differ)`);
                break;
            case "^":
            case "$":
                problems.push(`anchor ${c} ${at} (line-end semantics differ)`);
                break;
            case "{": {
                const quantifier = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
                if (!quantifier) problems.push(`bare { ${at} (escape it; Java refuses it outside a quantifier)`);
                else {
                    if (pattern[i - 1] === ")" && quantifier[1] === ",")
                        problems.push(`unbounded repetition of a group ${at} (Java recursion)`);
                    i += quantifier[0].length - 1;
                }
                break;
            }
            case "}":
                problems.push(`bare } ${at} (escape it)`);
                break;
            case "(":
                if (pattern[i + 1] === "?" && pattern[i + 2] !== ":" && pattern[i + 2] !== "=" && pattern[i + 2] !== "!") {
                    problems.push(`group syntax (?${pattern[i + 2]} ${at} (only (?: (?= (?! are portable)`);
                }
                break;
            case "*":
            case "+":
            case "?":
                if (pattern[i + 1] === "+") problems.push(`possessive quantifier ${c}+ ${at}`);
                if (c !== "?" && pattern[i - 1] === ")") {
                    problems.push(`unbounded repetition ${c} of a group ${at} (Java recurses per iteration: bound it with {0,n})`);
                }
                break;
        }
    }
    if (inClass) problems.push("unterminated character class");
    if (replacement.includes("\\")) problems.push("backslash in replacement (Java treats it as an escape)");
    for (const m of replacement.matchAll(/\$(.?)(.?)/g)) {
        if (!/[1-9]/.test(m[1])) problems.push(`replacement $${m[1]} is not a group reference $1..$9`);
        else if (/[0-9]/.test(m[2])) problems.push(`replacement $${m[1]}${m[2]}: a digit after a group reference is read differently`);
    }
    return problems;
}
