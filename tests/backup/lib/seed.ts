// Realistic kline-analytics data, generated inside PostgreSQL (generate_series) so seeding is fast:
// several tables, foreign keys, an enum, jsonb, numeric, bytea, unicode (CJK, accents, emoji),
// NULLs, large TOASTed text, a view, sequences and indexes.

export interface SeedOptions {
    /**
     * Candles, signals and orders as tables partitioned by time (candles by day, signals by month,
     * orders by week), as a kline store of some size keeps them; candles then cover 200 instruments
     * over more days instead of 2,000 over fewer. Same row counts and kinds of values.
     */
    partitioned?: boolean;
}

const EPOCH = "timestamptz '2024-01-01 00:00:00+00'";

/** `CREATE TABLE <table>_<n> PARTITION OF <table>` for `count` ranges of `step` from the epoch. */
function partitions(table: string, step: string, count: number): string {
    return Array.from(
        { length: count },
        (_, n) =>
            `CREATE TABLE ${table}_${String(n).padStart(3, "0")} PARTITION OF ${table} FOR VALUES FROM (${EPOCH} + ${n} * interval '${step}') TO (${EPOCH} + ${n + 1} * interval '${step}');`,
    ).join("\n");
}

/** `scale` 1 ≈ 320k rows / ~70 MB on disk; the benchmark uses larger scales. */
export function seedSql(scale = 1, opts: SeedOptions = {}): string {
    const candles = 200_000 * scale;
    const signals = 60_000 * scale;
    const orders = 60_000 * scale;
    const docs = 400 * scale;
    const parted = opts.partitioned ?? false;
    const instrumentsPerMinute = parted ? 200 : 2000;
    const days = (seconds: number) => seconds / 86_400;
    const byTime = (key: string, step: string, count: number, table: string) =>
        parted ? ` PARTITION BY RANGE (${key});\n${partitions(table, step, count)}` : ";";
    // The primary key of a partitioned table holds its partition key.
    const key = (id: string, time: string) => (parted ? `${id}, ${time}` : id);
    return `
BEGIN;
CREATE TYPE order_side AS ENUM ('buy', 'sell');
CREATE TABLE instruments (
    id integer PRIMARY KEY,
    symbol text NOT NULL UNIQUE,
    name text,
    exchange text NOT NULL,
    listed_on date,
    meta jsonb
);
INSERT INTO instruments
SELECT i, 'SYM' || lpad(i::text, 5, '0'),
       CASE WHEN i % 17 = 0 THEN NULL
            ELSE (ARRAY['贵州茅台', '招商银行', 'Ünïcødé Ägtiengesellschaft', 'Société Générale', '😀 Emoji Capital', 'Tab\tand ''quote'''])[1 + i % 6] || ' #' || i END,
       (ARRAY['SSE', 'SZSE', 'NYSE', 'XETRA'])[1 + i % 4],
       CASE WHEN i % 11 = 0 THEN NULL ELSE date '2000-01-01' + i END,
       jsonb_build_object('lot', 100 * (1 + i % 5), 'tags', jsonb_build_array('kline', i % 3), 'note', CASE WHEN i % 2 = 0 THEN '中文备注' END)
  FROM generate_series(1, 2000) i;

CREATE TABLE candles (
    instrument_id integer NOT NULL,
    bucket_start timestamptz NOT NULL,
    open numeric(18, 6) NOT NULL,
    high numeric(18, 6) NOT NULL,
    low numeric(18, 6) NOT NULL,
    close numeric(18, 6) NOT NULL,
    volume bigint
)${byTime("bucket_start", "1 day", Math.ceil(days((candles / 200) * 60)) + 1, "candles")}
INSERT INTO candles
SELECT 1 + i % ${instrumentsPerMinute}, ${EPOCH} + (i / ${instrumentsPerMinute}) * interval '1 minute',
       round((100 + (i % 997) * 0.37)::numeric, 6), round((101 + (i % 991) * 0.37)::numeric, 6),
       round((99 + (i % 983) * 0.37)::numeric, 6), round((100.5 + (i % 977) * 0.37)::numeric, 6),
       CASE WHEN i % 101 = 0 THEN NULL ELSE (i::bigint * 7919) % 1000003 END
  FROM generate_series(0, ${candles - 1}) i;
-- Keys after the bulk insert: one index build and one validation instead of a check per row.
ALTER TABLE candles ADD PRIMARY KEY (instrument_id, bucket_start),
    ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id);

CREATE TABLE signals (
    id bigserial,
    instrument_id integer NOT NULL,
    kind text NOT NULL,
    strength double precision,
    payload jsonb,
    note text,
    created_at timestamptz NOT NULL
)${byTime("created_at", "1 month", Math.ceil(days(signals * 7) / 28) + 1, "signals")}
INSERT INTO signals (instrument_id, kind, strength, payload, note, created_at)
SELECT 1 + i % 2000, (ARRAY['hammer', 'doji', 'engulfing', '十字星', 'morning_star'])[1 + i % 5],
       CASE WHEN i % 13 = 0 THEN NULL ELSE sin(i) END,
       jsonb_build_object('window', i % 60, 'score', (i % 1000) / 10.0),
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'signal ' || i || ' — généré ✓' END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '7 seconds'
  FROM generate_series(1, ${signals}) i;
ALTER TABLE signals ADD PRIMARY KEY (${key("id", "created_at")}), ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id);

CREATE TABLE orders (
    id bigserial,
    instrument_id integer NOT NULL,
    side order_side NOT NULL,
    price numeric(18, 6) NOT NULL,
    quantity numeric(18, 4) NOT NULL,
    status text NOT NULL,
    client_ref uuid,
    placed_at timestamptz NOT NULL
)${byTime("placed_at", "7 days", Math.ceil(days(orders * 3) / 7) + 1, "orders")}
INSERT INTO orders (instrument_id, side, price, quantity, status, client_ref, placed_at)
SELECT 1 + i % 2000, CASE WHEN i % 2 = 0 THEN 'buy'::order_side ELSE 'sell'::order_side END,
       round((50 + (i % 5003) * 0.01)::numeric, 6), (1 + i % 500)::numeric / 4,
       (ARRAY['new', 'filled', 'partially_filled', 'cancelled'])[1 + i % 4],
       CASE WHEN i % 7 = 0 THEN NULL ELSE md5(i::text)::uuid END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '3 seconds'
  FROM generate_series(1, ${orders}) i;
ALTER TABLE orders ADD PRIMARY KEY (${key("id", "placed_at")}), ADD FOREIGN KEY (instrument_id) REFERENCES instruments (id);
CREATE INDEX orders_instrument_placed ON orders (instrument_id, placed_at);

CREATE TABLE ocr_documents (
    id integer PRIMARY KEY,
    filename text NOT NULL,
    body text,
    image bytea
);
INSERT INTO ocr_documents
SELECT d, 'chart_' || d || '_图表.png',
       CASE WHEN d % 9 = 0 THEN NULL
            ELSE 'K线图识别结果 ' || d || E'\\n' || (SELECT string_agg(md5((d * 10000 + g)::text), ' ') FROM generate_series(1, 1200) g) END,
       CASE WHEN d % 5 = 0 THEN NULL ELSE decode(md5(d::text) || md5((d + 1)::text), 'hex') END
  FROM generate_series(1, ${docs}) d;

CREATE VIEW latest_signals AS
    SELECT DISTINCT ON (instrument_id) instrument_id, kind, strength, created_at
      FROM signals ORDER BY instrument_id, created_at DESC;
COMMIT;
ANALYZE;
`;
}

/** Tables with the key that orders their rows deterministically, for checksums. */
export const SEEDED_TABLES: Record<string, string> = {
    instruments: "id",
    candles: "instrument_id, bucket_start",
    signals: "id",
    orders: "id",
    ocr_documents: "id",
};

/**
 * Per table: the row count and the sum of a 64-bit md5 prefix of every row's text form (any changed,
 * missing or extra row changes it; order-independent, so no sort and no giant string), plus the
 * sequences' positions.
 */
export function checksumSql(): string {
    const parts = Object.entries(SEEDED_TABLES).map(
        ([t]) => `SELECT '${t}' AS tbl, count(*) AS n, sum(('x' || left(md5(t::text), 16))::bit(64)::bigint)::text AS sum FROM ${t} t`,
    );
    parts.push(`SELECT 'seq:signals_id_seq', last_value, is_called::text FROM signals_id_seq`);
    parts.push(`SELECT 'seq:orders_id_seq', last_value, is_called::text FROM orders_id_seq`);
    return parts.join("\nUNION ALL\n") + "\nORDER BY 1;";
}
