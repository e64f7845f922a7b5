// The command line of backup-restore.sh as data: every command's options declared once (name, whether
// it takes a value), parsed strictly. An option that takes a value and gets none, an empty value, an
// unknown option or a stray argument is a usage error; values are checked here, before anything runs.
import { ANY_BACKUP_NAME_PATTERN, LIMITS, MAX_RESTORE_TARGET_LENGTH, backupNameTime } from "../../../contract/backup";
import { usageError } from "./errors";

export type Command =
    | { kind: "help" }
    | { kind: "backup" }
    | { kind: "list"; all: boolean }
    | {
          kind: "restore";
          name?: string;
          window?: number;
          from?: number;
          to?: number;
          targetDb?: string;
          force: boolean;
          noOwner: boolean;
          allowOtherSource: boolean;
      }
    | { kind: "validate"; name?: string; allowOtherSource: boolean };

interface OptionSpec {
    takesValue: boolean;
}

/** Options per command; positional arguments: a backup name for restore and validate. */
const OPTIONS: Record<"backup" | "list" | "restore" | "validate", Record<string, OptionSpec>> = {
    backup: {},
    list: { "--all": { takesValue: false } },
    restore: {
        "--window": { takesValue: true },
        "--from": { takesValue: true },
        "--to": { takesValue: true },
        "--target-db": { takesValue: true },
        "--force": { takesValue: false },
        "--no-owner": { takesValue: false },
        "--allow-other-source": { takesValue: false },
    },
    validate: { "--allow-other-source": { takesValue: false } },
};

type CommandName = keyof typeof OPTIONS;

/** Point-in-time recovery commands: scripts/backup-restore.sh runs them itself (through scripts/pitr.sh). */
export const PITR_COMMANDS = ["pitr-window", "pitr-restore"] as const;
/** Every command of backup-restore.sh, for messages. */
export const COMMANDS: readonly string[] = [...(Object.keys(OPTIONS) as CommandName[]), ...PITR_COMMANDS];

interface RawArgs {
    options: Map<string, string | true>;
    positional: string[];
}

function splitArgs(command: CommandName, argv: string[]): RawArgs {
    const specs = OPTIONS[command];
    const options = new Map<string, string | true>();
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (!arg.startsWith("-") || arg === "-") {
            positional.push(arg);
            continue;
        }
        const eq = arg.indexOf("=");
        const name = eq > 0 ? arg.slice(0, eq) : arg;
        const spec = specs[name];
        if (!spec) throw usageError(`unknown option for ${command}: '${name}'; see --help`);
        if (options.has(name)) throw usageError(`${name} is given twice; give it once`);
        if (!spec.takesValue) {
            if (eq > 0) throw usageError(`${name} takes no value (got '${arg}')`);
            options.set(name, true);
            continue;
        }
        let value: string | undefined;
        if (eq > 0) {
            value = arg.slice(eq + 1);
        } else if (i + 1 < argv.length && !argv[i + 1].startsWith("-")) {
            value = argv[++i];
        } else {
            const next = i + 1 < argv.length ? ` (the next argument '${argv[i + 1]}' is an option)` : "";
            throw usageError(`${name} needs a value${next}; see --help`);
        }
        if (value === "") throw usageError(`${name} needs a value (got an empty one); see --help`);
        options.set(name, value);
    }
    return { options, positional };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90m", "24h", "7d" in seconds; zero, malformed or longer than LIMITS.windowSeconds is refused. */
export function parseDuration(text: string): { ok: true; seconds: number } | { ok: false; reason: string } {
    const m = /^(\d{1,12})([smhd])$/.exec(text);
    if (!m) return { ok: false, reason: "use <number>{s|m|h|d}, e.g. 24h or 7d" };
    const seconds = Number(m[1]) * DURATION_UNITS[m[2]];
    if (seconds < LIMITS.windowSeconds.min) return { ok: false, reason: "it must be longer than zero" };
    if (seconds > LIMITS.windowSeconds.max) {
        return { ok: false, reason: `at most ${LIMITS.windowSeconds.max / 86400}d is allowed` };
    }
    return { ok: true, seconds };
}

/** A replay window from --window or BACKUP_REPLAY_WINDOW, in seconds. */
export function windowSeconds(text: string): number {
    const d = parseDuration(text);
    if (!d.ok) throw usageError(`replay window '${text}' is invalid; ${d.reason} (--window or BACKUP_REPLAY_WINDOW)`);
    return d.seconds;
}

/**
 * An ISO 8601 date or date-time (2024-01-01, 2024-01-01T02:00:00Z, 2024-01-01 02:00+02:00) in ms since
 * the epoch; without a zone it is UTC. Days that do not exist are refused.
 */
export function parseTime(text: string): number | undefined {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
    if (!m) return undefined;
    const [, y, mo, d, hh = "00", mi = "00", ss = "00", zone] = m;
    if (+hh > 23 || +mi > 59 || +ss > 59) return undefined;
    const local = Date.UTC(+y, +mo - 1, +d, +hh, +mi, +ss);
    const check = new Date(local);
    if (check.getUTCFullYear() !== +y || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d) return undefined;
    if (!zone || zone === "Z") return local;
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (+z[2] * 60 + +z[3]) * 60_000;
    if (+z[2] > 14 || +z[3] > 59) return undefined;
    return z[1] === "+" ? local - offset : local + offset;
}

/** Database names this program handles: letters, digits, _ $ -, at most 63 (passed as data, never as code). */
export function checkDatabaseName(what: string, name: string, max: number = LIMITS.databaseName.max): void {
    if (!/^[A-Za-z_][A-Za-z0-9_$-]*$/.test(name)) {
        throw usageError(`${what}='${name}' is not a database name this program handles (letters, digits, _ $ -)`);
    }
    if (name.length > max) throw usageError(`${what}='${name}' is too long (at most ${max} characters)`);
}

function checkBackupName(name: string): string {
    if (!ANY_BACKUP_NAME_PATTERN.test(name) || backupNameTime(name) === undefined) {
        throw usageError(`'${name}' is not a backup name (expected <prefix>_YYYYMMDD_HHMMSS.dump.zst, see 'list')`);
    }
    return name;
}

const str = (raw: RawArgs, name: string) => {
    const v = raw.options.get(name);
    return typeof v === "string" ? v : undefined;
};

/** Parses `<command> [options]`; throws a usage BackupError naming the problem and the fix. */
export function parseCommandLine(argv: string[]): Command {
    if (argv.includes("-h") || argv.includes("--help") || argv[0] === "help") return { kind: "help" };
    const [command, ...rest] = argv;
    if (command === undefined || command === "") throw usageError("no command given; see --help");
    if ((PITR_COMMANDS as readonly string[]).includes(command)) {
        throw usageError(`${command} is run by scripts/backup-restore.sh itself (through scripts/pitr.sh), not by this program`);
    }
    if (!(command in OPTIONS)) throw usageError(`unknown command '${command}'; commands: ${COMMANDS.join(", ")}; see --help`);
    const raw = splitArgs(command as CommandName, rest);
    switch (command as CommandName) {
        case "backup":
            if (raw.positional.length) throw usageError(`backup takes no arguments (got: ${raw.positional.join(" ")}); see --help`);
            return { kind: "backup" };
        case "list":
            if (raw.positional.length) throw usageError(`list takes no arguments (got: ${raw.positional.join(" ")}); see --help`);
            return { kind: "list", all: raw.options.has("--all") };
        case "validate": {
            if (raw.positional.length > 1) throw usageError("validate takes at most one backup name; see --help");
            const name = raw.positional[0];
            return {
                kind: "validate",
                name: name === undefined ? undefined : checkBackupName(name),
                allowOtherSource: raw.options.has("--allow-other-source"),
            };
        }
        case "restore":
            return parseRestore(raw);
    }
}

function parseRestore(raw: RawArgs): Command {
    if (raw.positional.length > 1) {
        throw usageError(`restore takes one backup name (got '${raw.positional[0]}' and '${raw.positional[1]}')`);
    }
    const name = raw.positional[0] === undefined ? undefined : checkBackupName(raw.positional[0]);
    const [window, from, to] = [str(raw, "--window"), str(raw, "--from"), str(raw, "--to")];
    if (name !== undefined && (window ?? from ?? to) !== undefined) {
        throw usageError("give either a backup name or --window/--from/--to, not both");
    }
    if (window !== undefined && (from ?? to) !== undefined) throw usageError("give either --window or --from/--to, not both");
    if (to !== undefined && from === undefined) throw usageError("--to needs --from");
    const time = (opt: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const t = parseTime(v);
        if (t === undefined)
            throw usageError(`${opt} '${v}' is not a time (ISO 8601, e.g. 2024-01-01T02:00:00Z; UTC unless a zone is given)`);
        return t;
    };
    const fromMs = time("--from", from);
    const toMs = time("--to", to);
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw usageError(`--from (${from}) is after --to (${to})`);
    const targetDb = str(raw, "--target-db");
    if (targetDb !== undefined) {
        checkDatabaseName("--target-db", targetDb);
        if (targetDb.length > MAX_RESTORE_TARGET_LENGTH) {
            throw usageError(
                `target database name '${targetDb}' is too long to keep a renamed copy (at most ${MAX_RESTORE_TARGET_LENGTH} characters); use a shorter --target-db`,
            );
        }
    }
    return {
        kind: "restore",
        name,
        window: window === undefined ? undefined : windowSeconds(window),
        from: fromMs,
        to: toMs,
        targetDb,
        force: raw.options.has("--force"),
        noOwner: raw.options.has("--no-owner"),
        allowOtherSource: raw.options.has("--allow-other-source"),
    };
}
