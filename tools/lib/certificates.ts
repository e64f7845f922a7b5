// A throw-away certificate authority and one server certificate for localhost / 127.0.0.1, made by
// openssl: the loopback kube-apiserver of tools/verify and the MinIO servers of the tests that speak
// TLS (pgBackRest's S3 client verifies the server). EC P-256 keys; nothing here outlives the run.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface ServerCertificateOptions {
    /** The openssl executable (callers name their own install hint when it is missing). */
    openssl: string;
    /** Directory the files are written into (it must exist). */
    dir: string;
    /** Common names of the authority and of the server. */
    caName: string;
    serverName: string;
    /** File names of the server certificate and key inside `dir` (MinIO wants public.crt and private.key). */
    certFile: string;
    keyFile: string;
    /** Validity in days (default 2). */
    days?: number;
}

export interface ServerCertificate {
    /** The authority's certificate and key: ca.crt, ca.key in `dir`. */
    caFile: string;
    caKeyFile: string;
    certFile: string;
    keyFile: string;
}

/** Writes ca.crt, ca.key and a server certificate for localhost and 127.0.0.1 signed by that authority. */
export function makeServerCertificate(o: ServerCertificateOptions): ServerCertificate {
    const days = String(o.days ?? 2);
    const run = (args: string[]) => execFileSync(o.openssl, args, { cwd: o.dir, stdio: ["ignore", "pipe", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run([
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        days,
        "-subj",
        `/CN=${o.caName}`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    const csr = `${o.certFile}.csr`;
    const ext = `${o.certFile}.ext`;
    run(["req", ...ec, "-keyout", o.keyFile, "-out", csr, "-subj", `/CN=${o.serverName}`]);
    fs.writeFileSync(
        path.join(o.dir, ext),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
    );
    run([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        o.certFile,
        "-days",
        days,
        "-extfile",
        ext,
    ]);
    return {
        caFile: path.join(o.dir, "ca.crt"),
        caKeyFile: path.join(o.dir, "ca.key"),
        certFile: path.join(o.dir, o.certFile),
        keyFile: path.join(o.dir, o.keyFile),
    };
}
