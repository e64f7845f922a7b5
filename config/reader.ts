// The one reader every area of the configuration parses its keys with: each read records the key,
// and each problem lands in one list, so config/index.ts reports every problem in one ConfigError.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigKey } from "./keys";
import { Parsed, checkNoSurroundingWhitespace } from "./validate";

/** Where values come from: the stack's Pulumi config, or a plain map in tests. */
export interface ConfigSource {
    project: string;
    stack: string;
    /** Plain value of a project key, undefined when unset (an empty string counts as unset). */
    get(key: string): string | undefined;
    /** Secret value of a project key as a secret Output, undefined when unset. */
    getSecret(key: string): pulumi.Output<string> | undefined;
    /** Whether a set key was stored as a secret (`pulumi config set --secret`). */
    isSecret(key: string): boolean;
    /** Plain value of a key in another namespace, e.g. ("aws", "region"). */
    getIn(namespace: string, key: string): string | undefined;
}

export class Reader {
    readonly problems: string[] = [];
    readonly keysRead = new Set<string>();
    private readonly whitespaceReported = new Set<string>();
    constructor(readonly source: ConfigSource) {}

    /** The key's declaration (config/keys.ts); reading an undeclared key is a programming error. */
    declared(key: string): ConfigKey {
        const spec = CONFIG_KEYS[key];
        if (spec === undefined) throw new Error(`config key ${key} is read but not declared in config/keys.ts`);
        return spec;
    }

    /** The key's fixed default as declared (for keys whose default does not come from the environment matrix). */
    private declaredDefault<T extends string | number | boolean>(key: string, type: string): T {
        const d = this.declared(key).default;
        if (typeof d !== type) throw new Error(`config key ${key} declares no ${type} default: the reader must be given one`);
        return d as T;
    }

    fail(key: string, value: string, reason: string): void {
        this.problems.push(`${this.source.project}:${key} = ${JSON.stringify(value)}: ${reason}`);
    }

    /**
     * The plain value of a key. Surrounding whitespace is refused for every key (reported once);
     * the trimmed value is returned so the other checks report only what else is wrong.
     */
    raw(key: string): string | undefined {
        this.declared(key);
        this.keysRead.add(key);
        const value = this.source.get(key);
        if (value === undefined) return undefined;
        const reason = checkNoSurroundingWhitespace(value);
        if (reason && !this.whitespaceReported.has(key)) {
            this.whitespaceReported.add(key);
            this.fail(key, value, reason);
        }
        return value.trim();
    }

    /** A value checked by `check`; when unset the fallback, or without one the declared default. */
    string(key: string, fallback: string | undefined, check?: (v: string) => string | undefined): string {
        const value = this.raw(key) ?? fallback ?? this.declaredDefault<string>(key, "string");
        const reason = check?.(value);
        if (reason) this.fail(key, value, reason);
        return value;
    }

    required(key: string, check?: (v: string) => string | undefined): string {
        const value = this.raw(key);
        if (value === undefined) {
            this.problems.push(`${this.source.project}:${key} is not set: set it with \`pulumi config set ${key} <value>\``);
            return "";
        }
        const reason = check?.(value);
        if (reason) this.fail(key, value, reason);
        return value;
    }

    /** One of the declared choices; when unset the fallback, or without one the declared default. */
    oneOf<T extends string>(key: string, fallback?: T): T {
        const allowed = this.declared(key).choices ?? [];
        const value = this.raw(key) ?? fallback ?? this.declaredDefault<T>(key, "string");
        if (!allowed.includes(value as T)) this.fail(key, value, `allowed values are ${allowed.join(", ")}`);
        return value as T;
    }

    /** A whole number in the declared range; when unset the fallback, or without one the declared default. */
    integer(key: string, fallback?: number): number {
        const { min, max, unit = "" } = this.declared(key).range ?? { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
        const text = this.raw(key);
        if (text === undefined) return fallback ?? this.declaredDefault<number>(key, "number");
        const n = Number(text);
        if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) {
            const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
            this.fail(key, text, `a whole number ${range}${unit} is expected`);
            return fallback ?? this.declaredDefault<number>(key, "number");
        }
        return n;
    }

    number(key: string, fallback: number, check: (n: number) => string | undefined): number {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        const n = Number(text);
        // Decimal notation only: Number() would also take "0x1", "1e-3" or "Infinity".
        const reason = /^(\d+(\.\d*)?|\.\d+)$/.test(text) && Number.isFinite(n) ? check(n) : "a decimal number is expected";
        if (reason) {
            this.fail(key, text, reason);
            return fallback;
        }
        return n;
    }

    /** true or false; when unset the fallback, or without one the declared default. */
    boolean(key: string, fallback?: boolean): boolean {
        const text = this.raw(key);
        const otherwise = () => fallback ?? this.declaredDefault<boolean>(key, "boolean");
        if (text === undefined) return otherwise();
        if (text !== "true" && text !== "false") {
            this.fail(key, text, "true or false is expected");
            return otherwise();
        }
        return text === "true";
    }

    /** A value `parse` accepts; when unset the fallback, or without one the declared default. */
    parsed<T>(key: string, fallback: string | undefined, parse: (v: string) => Parsed<T>): { text: string; value?: T } {
        const text = this.raw(key) ?? fallback ?? this.declaredDefault<string>(key, "string");
        const result = parse(text);
        if (!result.ok) {
            this.fail(key, text, result.reason);
            return { text };
        }
        return { text, value: result.value };
    }

    secret(key: string): pulumi.Output<string> | undefined {
        if (!this.declared(key).secret) throw new Error(`config key ${key} is read as a secret but not declared secret in config/keys.ts`);
        this.keysRead.add(key);
        const value = this.source.getSecret(key);
        if (value !== undefined && !this.source.isSecret(key)) {
            this.problems.push(
                `${this.source.project}:${key} is stored in plain text: remove it and set it with \`pulumi config set --secret ${key} <value>\``,
            );
        }
        // Secrets are used verbatim too (a webhook URL with a trailing newline); the value is not shown.
        const plain = this.source.get(key);
        if (value !== undefined && plain !== undefined && checkNoSurroundingWhitespace(plain)) {
            this.problems.push(
                `${this.source.project}:${key} (secret, value not shown) has leading or trailing whitespace, which would be used verbatim: ` +
                    `set it again without it (\`pulumi config set --secret ${key} <value>\`)`,
            );
        }
        return value;
    }
}
