// The backup benchmark's arguments and the median it counts by (the benchmark itself is not a test).
import { strict as assert } from "assert";
import { Measured, benchArgs, median } from "../../bench/backup";

const run = (seconds: number): Measured => ({ seconds, peakRssBytes: 0, stdout: String(seconds) });

describe("npm run bench:backup arguments", () => {
    it("defaults to scale 40, three runs of the compared steps, the partitioned layout", () => {
        assert.deepEqual(benchArgs([], {}), { scale: 40, repeat: 3, flat: false });
        assert.deepEqual(benchArgs([], { BENCH_SCALE: "2" }), { scale: 2, repeat: 3, flat: false });
        assert.deepEqual(benchArgs(["--scale", "0.5", "--repeat", "1", "--flat"], { BENCH_SCALE: "2" }), {
            scale: 0.5,
            repeat: 1,
            flat: true,
        });
        assert.equal(benchArgs(["--scale", "3", "--help"], {}), "help");
    });

    it("refuses missing and out-of-range values and unknown arguments, naming the usage", () => {
        const cases: [string[], RegExp][] = [
            [["--scale"], /--scale needs a value; usage: npm run bench:backup/],
            [["--scale", "--flat"], /--scale needs a value/],
            [["--repeat"], /--repeat needs a value/],
            [["--scale", "0"], /--scale needs a number from 0\.1 to 100 \(got '0'\)/],
            [["--scale", "1e3"], /--scale needs a number from 0\.1 to 100 \(got '1e3'\)/],
            [["--repeat", "0"], /--repeat needs a whole number from 1 to 9 \(got '0'\)/],
            [["--repeat", "2.5"], /--repeat needs a whole number from 1 to 9/],
            [["--fast"], /unknown argument --fast; usage:/],
        ];
        for (const [argv, re] of cases) assert.throws(() => benchArgs(argv, {}), re, argv.join(" "));
        assert.throws(() => benchArgs([], { BENCH_SCALE: "huge" }), /--scale needs a number from 0\.1 to 100 \(got 'huge'\)/);
    });

    it("counts a step by its median run (the lower middle of an even count)", () => {
        assert.equal(median([run(30), run(10), run(20)]).seconds, 20);
        assert.equal(median([run(5)]).seconds, 5);
        assert.equal(median([run(4), run(1), run(3), run(2)]).seconds, 2);
        assert.throws(() => median([]), /median of no runs/);
    });
});
