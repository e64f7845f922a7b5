// Sizes and ages as people read them in the log and in `list`.

/** 512B, 13.5MiB, 1.2GiB (binary units, one decimal). */
export function humanSize(n: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return i === 0 ? `${n}B` : `${v.toFixed(1)}${units[i]}`;
}

/** 42m, 5h07m, 3d02h. */
export function humanAge(seconds: number): string {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 3600) return `${Math.floor(s / 60)}m`;
    if (s < 172800) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
    return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}
