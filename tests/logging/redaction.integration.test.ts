import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { portabilityProblems, redact, REDACTED, REDACTION_RULES, RedactionRule, SENSITIVE_KEYS } from "../../components/logging/redaction";
import { requireTool, runTool } from "../lib/tools";

interface Sample {
    name: string;
    input: string;
    expected: string;
}

const raw = String.raw;

// Lines as the ingest pipeline sees them in `message` (already JSON-decoded by Filebeat), or as
// plain text when the app wrote a non-JSON line. `expected` is written out by hand.
const SAMPLES: Sample[] = [
    // --- JSON form ---
    {
        name: "flat JSON, each of the four keys",
        input: '{"user":"bob","password":"hunter2","token":"eyJhbGciOi.x.y","secret":"s","apiKey":"AKIA123"}',
        expected: '{"user":"bob","password":"[REDACTED]","token":"[REDACTED]","secret":"[REDACTED]","apiKey":"[REDACTED]"}',
    },
    {
        name: "nested objects at several depths",
        input: '{"req":{"auth":{"credentials":{"Password":"p1"},"apiKey":"k1"}},"resp":{"token":"t1","status":200}}',
        expected:
            '{"req":{"auth":{"credentials":{"Password":"[REDACTED]"},"apiKey":"[REDACTED]"}},"resp":{"token":"[REDACTED]","status":200}}',
    },
    {
        name: "mixed-case keys",
        input: '{"PASSWORD":"a","Token":"b","sEcReT":"c","APIKEY":"d","ApiKey":"e","api_key":"f","API-KEY":"g"}',
        expected:
            '{"PASSWORD":"[REDACTED]","Token":"[REDACTED]","sEcReT":"[REDACTED]","APIKEY":"[REDACTED]","ApiKey":"[REDACTED]","api_key":"[REDACTED]","API-KEY":"[REDACTED]"}',
    },
    {
        name: "value with escaped quotes and backslashes",
        input: raw`{"password":"a\"b\\c\"d","next":"kept"}`,
        expected: raw`{"password":"[REDACTED]","next":"kept"}`,
    },
    {
        name: "value ending in an escaped backslash",
        input: raw`{"secret":"abc\\","n":1}`,
        expected: raw`{"secret":"[REDACTED]","n":1}`,
    },
    {
        name: "value full of special characters, unicode escapes and emoji",
        input: raw`{"password":"p@$$ w0rd!#%^&*(){}[]<>:;,.?/~\u00e9\n\t ü 🔑","ok":true}`,
        expected: raw`{"password":"[REDACTED]","ok":true}`,
    },
    {
        name: "whitespace around the colon",
        input: '{"token" :  "abc", "secret":\t"def"}',
        expected: '{"token" :  "[REDACTED]", "secret":\t"[REDACTED]"}',
    },
    {
        name: "empty string value",
        input: '{"password":""}',
        expected: '{"password":"[REDACTED]"}',
    },
    {
        name: "number, boolean and null values become a redacted string",
        input: '{"token":123456,"secret":true,"apiKey":null,"n":5}',
        expected: '{"token":"[REDACTED]","secret":"[REDACTED]","apiKey":"[REDACTED]","n":5}',
    },
    {
        name: "object and array values under a sensitive key are redacted whole",
        input: '{"secret":{"value":"x","meta":{"v":2}},"token":["t1","t2"],"after":"kept"}',
        expected: '{"secret":"[REDACTED]","token":"[REDACTED]","after":"kept"}',
    },
    {
        name: "qualified key names: the sensitive word is the last word",
        input: '{"access_token":"a","refreshToken":"b","client-secret":"c","dbPassword":"d","x.api.key":"e"}',
        expected:
            '{"access_token":"[REDACTED]","refreshToken":"[REDACTED]","client-secret":"[REDACTED]","dbPassword":"[REDACTED]","x.api.key":"[REDACTED]"}',
    },
    {
        name: "JSON embedded in a plain message",
        input: 'Outgoing request body={"user":"bob","password":"hunter2"} status=200',
        expected: 'Outgoing request body={"user":"bob","password":"[REDACTED]"} status=200',
    },
    {
        name: "doubly-encoded JSON (a JSON body logged as a string), with an escaped quote in the value",
        input: raw`payload {\"password\":\"a\\\"b\",\"user\":\"bob\"} took 5ms`,
        expected: raw`payload {\"password\":\"[REDACTED]\",\"user\":\"bob\"} took 5ms`,
    },
    {
        name: "truncated JSON line: the value runs to the end and is redacted to the end",
        input: '{"user":"bob","password":"hunter2-and-the-line-was-cut',
        expected: '{"user":"bob","password":"[REDACTED]',
    },
    // --- key=value form ---
    {
        name: "plain key=value pairs",
        input: "login ok user=bob password=hunter2 token=abc123 secret=s3 apiKey=AKIA42 took=5ms",
        expected: "login ok user=bob password=[REDACTED] token=[REDACTED] secret=[REDACTED] apiKey=[REDACTED] took=5ms",
    },
    {
        name: "key=value with spaces around = and mixed case",
        input: "PASSWORD = hunter2, Token=abc; API_KEY =k",
        expected: "PASSWORD = [REDACTED], Token=[REDACTED]; API_KEY =[REDACTED]",
    },
    {
        name: "double-quoted value with spaces and an escaped quote",
        input: raw`connect password="correct horse \" battery" host=db`,
        expected: raw`connect password=[REDACTED] host=db`,
    },
    {
        name: "single-quoted value with spaces",
        input: "set secret='two words' next=1",
        expected: "set secret=[REDACTED] next=1",
    },
    {
        name: "value with special characters up to a delimiter",
        input: "password=p@$$w0rd!#%^*+/=:?~<> user=bob",
        expected: "password=[REDACTED] user=bob",
    },
    {
        name: "toString() of a Java object and of a Map",
        input: "User(name=bob, password=hunter2, role=admin) {apiKey=k1, region=eu}",
        expected: "User(name=bob, password=[REDACTED], role=admin) {apiKey=[REDACTED], region=eu}",
    },
    {
        name: "URL query string",
        input: "GET /callback?code=1&access_token=abc.def&state=xyz HTTP/1.1",
        expected: "GET /callback?code=1&access_token=[REDACTED]&state=xyz HTTP/1.1",
    },
    {
        name: "header form key: value",
        input: "headers X-Api-Key: abcd1234 Accept: */*",
        expected: "headers X-Api-Key: [REDACTED] Accept: */*",
    },
    {
        name: "key=value inside a JSON string value keeps the JSON valid",
        input: '{"message":"retry with token=abc failed","n":1}',
        expected: '{"message":"retry with token=[REDACTED] failed","n":1}',
    },
    {
        name: "multi-line message (stack trace) redacts on every line",
        input: "java.lang.IllegalStateException: bad password=hunter2\n\tat a.B.c(B.java:1)\nCaused by: x secret=s2",
        expected: "java.lang.IllegalStateException: bad password=[REDACTED]\n\tat a.B.c(B.java:1)\nCaused by: x secret=[REDACTED]",
    },
    {
        name: "unterminated quoted value is redacted to the end",
        input: 'password="never closed and more text',
        expected: "password=[REDACTED]",
    },
    // --- must NOT be redacted ---
    {
        name: "keys that only contain a sensitive word are left alone",
        input: '{"tokenizer_count":5,"token_count":3,"tokens":7,"password_hash":"bcrypt$x","secretary":"Ann","apiKeyId":"id-1","passwordPolicy":"strict"}',
        expected:
            '{"tokenizer_count":5,"token_count":3,"tokens":7,"password_hash":"bcrypt$x","secretary":"Ann","apiKeyId":"id-1","passwordPolicy":"strict"}',
    },
    {
        name: "key=value keys that only contain a sensitive word are left alone",
        input: "tokenizer_count=5 token_count=3 password_length=12 secretsManagerArn=arn:aws:x apikeys_total=4",
        expected: "tokenizer_count=5 token_count=3 password_length=12 secretsManagerArn=arn:aws:x apikeys_total=4",
    },
    {
        name: "a sensitive word as a value, not a key, is left alone",
        input: '{"field":"password","kind":"token","msg":"secret rotated"}',
        expected: '{"field":"password","kind":"token","msg":"secret rotated"}',
    },
    {
        name: "a typical application log line has nothing to redact",
        input: '{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO","logger_name":"com.stocksanalyses.service.MatchingService","message":"Order processed successfully","service":"kline-analytics","version":"1.0.0","environment":"production","pod":"kline-analytics-7d8f9c6b4-xyz12","namespace":"kline-analytics"}',
        expected:
            '{"timestamp":"2024-01-01T00:00:00.000Z","level":"INFO","logger_name":"com.stocksanalyses.service.MatchingService","message":"Order processed successfully","service":"kline-analytics","version":"1.0.0","environment":"production","pod":"kline-analytics-7d8f9c6b4-xyz12","namespace":"kline-analytics"}',
    },
    // --- already redacted (Logback masked at the source): the pipeline changes nothing ---
    {
        name: "already-redacted JSON and key=value stay exactly as they are",
        input: '{"password":"[REDACTED]"} token=[REDACTED] secret="[REDACTED]"',
        expected: '{"password":"[REDACTED]"} token=[REDACTED] secret=[REDACTED]',
    },
];

// Inputs that stress the engines (long values, many escapes) for the Java/JS comparison.
function stressInputs(): string[] {
    const long = "x".repeat(20000);
    const escapes = raw`\"`.repeat(3000);
    return [
        `{"password":"${long}","after":"kept"}`,
        `{"token":"${escapes}end"}`,
        `password=${long} next=1`,
        `${"tokenizer ".repeat(2000)}token=abc`,
        `{"secret":{${'"a":1,'.repeat(2000)}"b":2}}`,
    ];
}

describe("logging redaction rules", () => {
    describe("with JavaScript RegExp (redact())", () => {
        for (const s of SAMPLES) {
            it(s.name, () => assert.strictEqual(redact(s.input), s.expected));
        }

        it("is idempotent: redacting a redacted sample changes nothing", () => {
            for (const s of SAMPLES) assert.strictEqual(redact(s.expected), s.expected, s.name);
        });

        it("keeps every JSON sample valid JSON, with each sensitive value (and only those) replaced", () => {
            const isJson = (text: string) => {
                try {
                    JSON.parse(text);
                    return true;
                } catch {
                    return false;
                }
            };
            const jsonSamples = SAMPLES.filter((s) => isJson(s.input));
            assert.ok(jsonSamples.length >= 12, `expected many JSON samples, got ${jsonSamples.length}`);
            const sensitive = /(password|token|secret|api[_.-]?key)$/i;
            for (const s of jsonSamples) {
                const before = JSON.parse(s.input);
                const after = JSON.parse(redact(s.input));
                const walk = (b: unknown, a: unknown, where: string): void => {
                    if (b && typeof b === "object") {
                        for (const [k, inner] of Object.entries(b)) {
                            const next = (a as Record<string, unknown>)[k];
                            if (sensitive.test(k) && !Array.isArray(b)) assert.strictEqual(next, REDACTED, `${s.name}: ${where}.${k}`);
                            else walk(inner, next, `${where}.${k}`);
                        }
                    } else if (typeof b === "string") {
                        // a plain string may only change by text redaction inside it (token=... in a message)
                        assert.strictEqual(a, redact(b), `${s.name}: ${where}`);
                    } else assert.deepStrictEqual(a, b, `${s.name}: ${where} changed`);
                };
                walk(before, after, "$");
            }
        });

        it("finishes quickly on long and escape-heavy values (no catastrophic backtracking)", () => {
            const started = Date.now();
            for (const input of stressInputs()) redact(input);
            assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
        });

        it("covers every sensitive key name", () => {
            for (const key of SENSITIVE_KEYS) {
                assert.strictEqual(redact(`{"${key}":"v"}`), `{"${key}":"${REDACTED}"}`, key);
                assert.strictEqual(redact(`${key}=v`), `${key}=${REDACTED}`, key);
            }
        });
    });

    describe("portability checker (the Java/JS common subset)", () => {
        it("accepts every shipped rule", () => {
            for (const r of REDACTION_RULES) assert.deepStrictEqual(portabilityProblems(r.pattern, r.replacement), [], r.name);
        });

        const bad: Array<[string, string, string]> = [
            ["a.b", "", "."],
            [raw`\s+`, "", raw`\s`],
            [raw`\bword\b`, "", raw`\b`],
            [raw`\w+`, "", raw`\w`],
            ["(?i)token", "", "(?i"],
            ["(?<=x)y", "", "(?<"],
            ["(?<name>x)", "", "(?<"],
            ["[a[b]]", "", "nest"],
            ["[a&&b]", "", "&&"],
            ["a{b", "", "bare {"],
            ["(ab)*", "", "unbounded repetition"],
            ["(?:ab)+", "", "unbounded repetition"],
            ["(ab){1,}", "", "unbounded repetition"],
            ["end$", "", "anchor $"],
            ["^start", "", "anchor ^"],
            ["a*+", "", "possessive"],
            [raw`\p{L}`, "", raw`\p`],
            ["(x)", "$10", "digit after"],
            ["(x)", raw`\$1`, "backslash"],
            ["(x)", "$<n>", "not a group reference"],
        ];
        for (const [pattern, replacement, expect] of bad) {
            it(`rejects ${JSON.stringify(pattern)} ${replacement ? `-> ${JSON.stringify(replacement)}` : ""}`, () => {
                const problems = portabilityProblems(pattern, replacement);
                assert.ok(
                    problems.some((p) => p.includes(expect)),
                    `expected a problem mentioning ${expect}, got ${JSON.stringify(problems)}`,
                );
            });
        }
    });

    describe("with java.util.regex, the engine of the Elasticsearch gsub processor", function () {
        this.timeout(60000);
        let javaResults: string[] = [];
        const inputs = [...SAMPLES.map((s) => s.input), ...SAMPLES.map((s) => s.expected), ...stressInputs()];

        before(() => {
            const java = requireTool("java", "apt-get install openjdk-17-jdk-headless (listed in .ci/apt/logging.txt)");
            const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
            const stdin = [
                String(REDACTION_RULES.length),
                ...REDACTION_RULES.map((r: RedactionRule) => `${b64(r.pattern)} ${b64(r.replacement)}`),
                ...inputs.map(b64),
            ].join("\n");
            // Single-file source launch; a private temp dir keeps the JVM from writing in the tree.
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kline-gsub-"));
            try {
                const out = runTool(java, ["-Xss1m", path.join(__dirname, "JavaGsub.java")], { input: stdin, cwd: tmp });
                javaResults = out.split("\n").filter((l) => l.length > 0);
            } finally {
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });

        it("returns one result per input, with no engine error", () => {
            assert.strictEqual(javaResults.length, inputs.length);
            const errors = javaResults.filter((l) => l.startsWith("ERROR"));
            assert.deepStrictEqual(errors, []);
        });

        it("gives the hand-written expected output for every sample", () => {
            SAMPLES.forEach((s, i) => {
                assert.strictEqual(Buffer.from(javaResults[i], "base64").toString("utf8"), s.expected, s.name);
            });
        });

        it("agrees with JavaScript on every input, stress inputs included", () => {
            inputs.forEach((input, i) => {
                const java = Buffer.from(javaResults[i], "base64").toString("utf8");
                assert.strictEqual(java, redact(input), `input #${i}: ${input.slice(0, 80)}`);
            });
        });
    });
});
