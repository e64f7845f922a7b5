// Data offsets for a pg_dump custom-format archive that was written to a pipe.
//
// pg_dump writes the table of contents (TOC) first and the data blocks after it. Writing to a file it
// can seek in, it goes back at the end and fills in each TOC entry's data offset; writing to a pipe
// (as the backup does, streaming into zstd and S3) it cannot, so every entry says "offset not set".
// pg_restore --jobs still works on such a file, but each worker finds a table's data by reading the
// file from the start, which with many tables (a partitioned table is one per partition) reads the
// dump over and over. `indexDataBlocks` does what pg_dump does on a seekable file: it walks the data
// blocks once and writes their offsets into the TOC in place (same bytes, same size), so every worker
// seeks straight to its table.
//
// The layout (PostgreSQL's src/bin/pg_dump/pg_backup_archiver.c and pg_backup_custom.c, archive
// versions 1.13 to 1.16, written by pg_dump 11 to 17):
//   header: "PGDMP", version (major, minor, revision bytes), int size, offset size, format (1 = custom),
//           compression (an int before 1.15, one byte from 1.15), creation time (7 ints), 3 strings
//   TOC:    an int count, then per entry: dump id, has-data flag, tableoid, oid, tag, desc, section,
//           definition, drop statement, copy statement, namespace, tablespace, table access method
//           (1.14+), relkind (an int, 1.16+), owner, "false", dependency ids (strings up to a NULL
//           string), then the data
//           offset: one byte state (1 not set, 2 set, 3 no data) and offset-size bytes, low byte first
//   data:   per entry with data, a block: type byte (1 table data, 3 large objects), dump id, then
//           chunks (int length, bytes) up to a zero length; large objects: (oid, chunks, 0) up to oid 0
// An int is a sign byte and int-size bytes, low byte first; a string is an int length (-1: NULL) and
// its bytes. Anything else is refused with ArchiveFormatError and the caller restores in one session.
import * as fs from "fs";

export class ArchiveFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ArchiveFormatError";
    }
}

const OFFSET_NOT_SET = 1;
const OFFSET_SET = 2;
const OFFSET_NO_DATA = 3;
const BLOCK_DATA = 1;
const BLOCK_BLOBS = 3;

/** Sequential reads of a file through an 8 MiB buffer, with positions. */
class FileReader {
    private readonly buf = Buffer.alloc(8 * 1024 * 1024);
    private start = 0;
    private length = 0;
    pos = 0;
    intSize = 4;

    constructor(
        private readonly fd: number,
        readonly size: number,
    ) {}

    private fill(need: number): void {
        if (this.pos >= this.start && this.pos + need <= this.start + this.length) return;
        this.start = this.pos;
        this.length = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
        if (this.length < need) throw new ArchiveFormatError(`the archive ends inside a record at byte ${this.pos}`);
    }

    byte(): number {
        this.fill(1);
        return this.buf[this.pos++ - this.start];
    }

    bytes(n: number): Buffer {
        if (n > this.buf.length) throw new ArchiveFormatError(`a ${n}-byte field at byte ${this.pos} is larger than expected`);
        this.fill(n);
        const out = Buffer.from(this.buf.subarray(this.pos - this.start, this.pos - this.start + n));
        this.pos += n;
        return out;
    }

    int(): number {
        this.fill(1 + this.intSize);
        const at = this.pos - this.start;
        const sign = this.buf[at];
        let value = 0;
        for (let i = this.intSize; i >= 1; i--) value = value * 256 + this.buf[at + i];
        this.pos += 1 + this.intSize;
        if (sign > 1) throw new ArchiveFormatError(`bad integer sign byte ${sign} at byte ${this.pos - 1 - this.intSize}`);
        return sign ? -value : value;
    }

    /** Skips a string (its bytes are not needed); false for a NULL string. */
    str(): boolean {
        const n = this.int();
        if (n < 0) return false;
        this.skip(n);
        return true;
    }

    skip(n: number): void {
        if (n < 0 || this.pos + n > this.size) throw new ArchiveFormatError(`a ${n}-byte chunk at byte ${this.pos} runs past the end`);
        this.pos += n;
    }
}

interface TocEntry {
    dumpId: number;
    state: number;
    /** Byte position of the entry's offset state byte. */
    offsetAt: number;
}

export interface IndexResult {
    /** TOC entries with data. */
    dataEntries: number;
    /** Offsets written now (0 when pg_dump had written them itself). */
    written: number;
}

/**
 * Finds the data block of every TOC entry of the custom-format archive `file` and writes the offsets
 * pg_dump could not write into its TOC. Throws ArchiveFormatError, leaving the file as it was, when
 * the file is not an archive this understands or its blocks do not match its TOC.
 */
export function indexDataBlocks(file: string): IndexResult {
    const fd = fs.openSync(file, "r+");
    try {
        const r = new FileReader(fd, fs.fstatSync(fd).size);
        if (r.bytes(5).toString("latin1") !== "PGDMP") throw new ArchiveFormatError("not a pg_dump archive (no PGDMP header)");
        const [major, minor] = [r.byte(), r.byte(), r.byte()];
        const version = major * 100 + minor;
        if (major !== 1 || minor < 13 || minor > 16) {
            throw new ArchiveFormatError(`archive version ${major}.${minor} is not one this reads (1.13 to 1.16, pg_dump 11 to 17)`);
        }
        r.intSize = r.byte();
        const offSize = r.byte();
        if (r.intSize < 1 || r.intSize > 6 || offSize < 1 || offSize > 8) {
            throw new ArchiveFormatError(`unexpected int size ${r.intSize} or offset size ${offSize}`);
        }
        const format = r.byte();
        if (format !== 1) throw new ArchiveFormatError(`archive format ${format} is not custom (1)`);
        if (version >= 115) r.byte();
        else r.int();
        for (let i = 0; i < 7; i++) r.int(); // creation time
        for (let i = 0; i < 3; i++) r.str(); // database name, server version, pg_dump version

        const count = r.int();
        if (count < 0) throw new ArchiveFormatError(`negative TOC entry count ${count}`);
        const entries: TocEntry[] = [];
        for (let e = 0; e < count; e++) {
            const dumpId = r.int();
            r.int(); // has data
            for (let i = 0; i < 4; i++) r.str(); // tableoid, oid, tag, desc
            r.int(); // section
            for (let i = 0; i < 5; i++) r.str(); // definition, drop and copy statements, namespace, tablespace
            if (version >= 114) r.str(); // table access method
            if (version >= 116) r.int(); // relkind
            r.str(); // owner
            r.str(); // "false" (tables WITH OIDS: never, since 1.9)
            while (r.str()); // dependencies, up to a NULL string
            const offsetAt = r.pos;
            const state = r.byte();
            r.skip(offSize);
            if (state < OFFSET_NOT_SET || state > OFFSET_NO_DATA) {
                throw new ArchiveFormatError(`TOC entry ${dumpId} has data offset state ${state} (expected 1, 2 or 3)`);
            }
            entries.push({ dumpId, state, offsetAt });
        }

        // The data blocks, in file order.
        const found = new Map<number, number>();
        while (r.pos < r.size) {
            const at = r.pos;
            const type = r.byte();
            if (type !== BLOCK_DATA && type !== BLOCK_BLOBS) throw new ArchiveFormatError(`unknown block type ${type} at byte ${at}`);
            const dumpId = r.int();
            if (found.has(dumpId)) throw new ArchiveFormatError(`two data blocks for dump id ${dumpId}`);
            found.set(dumpId, at);
            const chunks = () => {
                for (let n = r.int(); n !== 0; n = r.int()) r.skip(n);
            };
            if (type === BLOCK_DATA) chunks();
            else for (let oid = r.int(); oid !== 0; oid = r.int()) chunks();
        }

        const withData = entries.filter((e) => e.state !== OFFSET_NO_DATA);
        const patches: Array<[number, Buffer]> = [];
        for (const e of withData) {
            const at = found.get(e.dumpId);
            if (at === undefined) throw new ArchiveFormatError(`no data block for TOC entry ${e.dumpId}`);
            if (e.state === OFFSET_SET) continue;
            const field = Buffer.alloc(1 + offSize);
            field[0] = OFFSET_SET;
            for (let i = 0, v = at; i < offSize; i++, v = Math.floor(v / 256)) field[1 + i] = v % 256;
            patches.push([e.offsetAt, field]);
        }
        if (found.size !== withData.length) {
            throw new ArchiveFormatError(`${found.size} data blocks for ${withData.length} TOC entries with data`);
        }
        // Checked everything first: the file changes only when every offset is known.
        for (const [at, field] of patches) fs.writeSync(fd, field, 0, field.length, at);
        return { dataEntries: withData.length, written: patches.length };
    } finally {
        fs.closeSync(fd);
    }
}
