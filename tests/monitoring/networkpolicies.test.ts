// The blackbox exporter's destination as a pure function of the probed URL: its port, at its
// address literal when it has one, otherwise at public addresses only.
import { strict as assert } from "assert";
import { probeDestination } from "../../components/monitoring/networkpolicies";
import { NON_PUBLIC_IPV4 } from "../../components/shared/network";

describe("monitoring: the blackbox exporter's egress follows the probed URL", () => {
    const table: Array<[string, unknown[], number]> = [
        ["https://kline.example.com/readyz", [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } }], 443],
        ["https://kline.example.com:8443/readyz", [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } }], 8443],
        ["http://10.30.2.4/readyz", [{ ipBlock: { cidr: "10.30.2.4/32" } }], 80],
        ["http://[2600:1f14::5]:8080/readyz", [{ ipBlock: { cidr: "2600:1f14::5/128" } }], 8080],
    ];
    for (const [url, to, port] of table) {
        it(`${url}: port ${port} at ${url.includes("example.com") ? "public addresses" : "its address"}`, () => {
            assert.deepEqual(probeDestination(url), { to, ports: [{ protocol: "TCP", port }] });
        });
    }
});
