// `list`: complete backups newest first; with --all every dump object and why it is or is not a backup.
import { humanAge, humanSize } from "./format";
import { Context } from "./context";
import { loadCatalogue } from "./restore";
import { S3Store } from "./store";

export async function listBackups(ctx: Context, store: S3Store, all: boolean): Promise<string> {
    const cat = await loadCatalogue(ctx, store);
    const now = Date.now();
    const row = (cols: string[]) =>
        `${cols[0].padEnd(52)} ${cols[1].padStart(10)} ${cols[2].padStart(9)}  ${cols[3].padEnd(19)}  ${cols[4]}`.trimEnd();
    const lines = [row(["NAME", "SIZE", "AGE", "CREATED (UTC)", all ? "STATUS" : ""])];
    for (const e of all ? cat.entries : cat.complete()) {
        const created = new Date(e.takenAt).toISOString().replace("T", " ").slice(0, 19);
        lines.push(row([e.name, humanSize(e.size), humanAge((now - e.takenAt) / 1000), created, all ? e.status : ""]));
    }
    if (lines.length === 1) ctx.log(`no complete backups under ${store.where}`);
    return lines.join("\n");
}
