// Entry point of the logical backup program: `node cli.js <command> [options]`, started by
// scripts/backup-restore.sh. Parses the command line and settings, runs the command, prints its
// result on stdout and its log on stderr, and exits with the documented code.
import { parseCommandLine, windowSeconds } from "./args";
import { Cleanup, Context, Log, stderrLog } from "./context";
import { BackupError, EXIT } from "./errors";
import { USAGE } from "./help";
import { Env, PG_CLIENT, commonSettings, lockSettings, pgSettings, requireTools, s3Settings } from "./settings";

const PG_TOOLS: Array<[string, string]> = [
    ["pg_dump", PG_CLIENT],
    ["pg_restore", PG_CLIENT],
    ["psql", PG_CLIENT],
    ["zstd", "zstd"],
];

export async function main(argv: string[], env: Env, log: Log = stderrLog): Promise<number> {
    const cleanup = new Cleanup();
    const onSignal = (signal: NodeJS.Signals) => {
        log(`ERROR: interrupted by ${signal}`);
        void cleanup.runAll(log).finally(() => process.exit(EXIT.fail));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        const cmd = parseCommandLine(argv);
        if (cmd.kind === "help") {
            process.stdout.write(USAGE);
            return EXIT.ok;
        }
        // Everything is checked before anything runs: settings of every group the command needs.
        const replayWindow =
            cmd.kind === "restore" && cmd.name === undefined && cmd.window === undefined && cmd.from === undefined
                ? windowSeconds(env.BACKUP_REPLAY_WINDOW || "24h")
                : 0;
        const common = commonSettings(env);
        const s3 = s3Settings(env);
        const needsPg = cmd.kind !== "list";
        const pg = needsPg ? pgSettings(env) : undefined;
        const lock = cmd.kind === "backup" ? lockSettings(env) : undefined;
        if (needsPg) requireTools(env, PG_TOOLS);
        // Never prompt for a password (cron has no terminal): fail with libpq's message instead.
        const childEnv: Env = { ...env, PGCONNECT_TIMEOUT: env.PGCONNECT_TIMEOUT || "10" };
        const ctx: Context = { env: childEnv, common, log, cleanup };
        // The AWS SDK is loaded only once the arguments and settings are known to be good. The image
        // runs Node.js 22; on Node.js 20 the SDK's notice about its future minimum is not for the operator.
        env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
        const openStore = async () => new (await import("./store")).S3Store(s3);
        let out: string;
        switch (cmd.kind) {
            case "backup":
                // The backup loads the SDK itself, while its first PostgreSQL connections start.
                out = await (await import("./backup")).runBackup(ctx, pg!, lock!, openStore);
                break;
            case "list":
                out = await (await import("./list")).listBackups(ctx, await openStore(), cmd.all);
                break;
            case "restore":
                out = await (await import("./restore")).runRestore(ctx, cmd, pg!, await openStore(), replayWindow);
                break;
            case "validate":
                out = await (await import("./restore")).runValidate(ctx, cmd.name, cmd.allowOtherSource, pg!, await openStore());
                break;
        }
        await cleanup.runAll(log);
        if (out) process.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
        return EXIT.ok;
    } catch (err) {
        await cleanup.runAll(log);
        if (err instanceof BackupError) {
            if (err.code === EXIT.usage && /no command given|unknown command/.test(err.message)) process.stderr.write(USAGE);
            for (const line of err.message.split("\n")) log(`ERROR: ${line}`);
            if (err.hint) log(`hint: ${err.hint}`);
            return err.code;
        }
        log(`ERROR: unexpected failure: ${(err as Error)?.stack ?? String(err)}`);
        return EXIT.fail;
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    }
}

if (require.main === module) {
    main(process.argv.slice(2), process.env).then(
        (code) => process.exit(code),
        () => process.exit(EXIT.fail),
    );
}
