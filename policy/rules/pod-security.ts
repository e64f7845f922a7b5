// Pod Security Standards, level `restricted` (which includes `baseline`), checked on the pod
// template of every workload so a violation stops the preview instead of the admission controller
// rejecting pods at runtime. Follows https://kubernetes.io/docs/concepts/security/pod-security-standards/.
import { containerRule, containersOf, describeContainer, podRule } from "./pods";

const RESTRICTED_VOLUME_TYPES = new Set([
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]);
const VOLUME_META_KEYS = new Set(["name"]);
const SAFE_SYSCTLS = new Set([
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const SECCOMP_OK = new Set(["RuntimeDefault", "Localhost"]);

export const podSecurityRestricted = podRule(
    "pod-security-restricted",
    "Every pod template meets the Pod Security Standard 'restricted': non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, no host namespaces, ports or paths.",
    (pod) => {
        const spec = pod.spec;
        const psc = spec.securityContext ?? {};
        const out: string[] = [];
        const bad = (what: string) => out.push(`${pod.label}: ${what}`);

        for (const key of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (spec[key] === true) bad(`${key} must not be true`);
        }
        if (spec.securityContext?.windowsOptions?.hostProcess === true) bad("windowsOptions.hostProcess must not be true");
        for (const volume of spec.volumes ?? []) {
            const types = Object.keys(volume ?? {}).filter((k) => !VOLUME_META_KEYS.has(k));
            for (const t of types) {
                if (!RESTRICTED_VOLUME_TYPES.has(t))
                    bad(`volume "${volume.name}" uses ${t}; allowed: ${[...RESTRICTED_VOLUME_TYPES].join(", ")}`);
            }
        }
        for (const sysctl of psc.sysctls ?? []) {
            if (!SAFE_SYSCTLS.has(sysctl?.name)) bad(`sysctl ${sysctl?.name} is not in the safe set`);
        }
        if (psc.runAsUser === 0) bad("securityContext.runAsUser must not be 0 (root)");
        checkSeLinux(psc.seLinuxOptions, "securityContext", bad);
        if (psc.seccompProfile?.type !== undefined && !SECCOMP_OK.has(psc.seccompProfile.type)) {
            bad(`securityContext.seccompProfile.type ${psc.seccompProfile.type} is not allowed; use RuntimeDefault`);
        }
        if (psc.appArmorProfile?.type === "Unconfined") bad("securityContext.appArmorProfile.type must not be Unconfined");

        for (const c of containersOf(spec)) {
            const who = describeContainer(c);
            const sc = c.container.securityContext ?? {};
            if (sc.privileged === true) bad(`${who}: securityContext.privileged must not be true`);
            if (sc.allowPrivilegeEscalation !== false) bad(`${who}: securityContext.allowPrivilegeEscalation must be false`);
            const drop: string[] = sc.capabilities?.drop ?? [];
            if (!drop.includes("ALL")) bad(`${who}: securityContext.capabilities.drop must include ALL`);
            for (const cap of sc.capabilities?.add ?? []) {
                if (cap !== "NET_BIND_SERVICE") bad(`${who}: capability ${cap} must not be added (only NET_BIND_SERVICE is allowed)`);
            }
            const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
            if (runAsNonRoot !== true) bad(`${who}: runAsNonRoot must be true (in the pod or container securityContext)`);
            if (sc.runAsUser === 0) bad(`${who}: securityContext.runAsUser must not be 0 (root)`);
            const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
            if (!SECCOMP_OK.has(seccomp))
                bad(`${who}: seccompProfile.type must be RuntimeDefault or Localhost (in the pod or container securityContext)`);
            if (sc.procMount !== undefined && sc.procMount !== "Default") bad(`${who}: securityContext.procMount must be Default`);
            if (sc.appArmorProfile?.type === "Unconfined") bad(`${who}: securityContext.appArmorProfile.type must not be Unconfined`);
            if (sc.windowsOptions?.hostProcess === true) bad(`${who}: windowsOptions.hostProcess must not be true`);
            checkSeLinux(sc.seLinuxOptions, `${who}: securityContext`, bad);
            for (const port of c.container.ports ?? []) {
                if (port?.hostPort !== undefined && port.hostPort !== 0) bad(`${who}: hostPort ${port.hostPort} must not be used`);
            }
        }
        return out;
    },
);

function checkSeLinux(opts: any, where: string, bad: (what: string) => void): void {
    if (!opts) return;
    if (opts.type !== undefined && !SELINUX_TYPES.has(opts.type)) bad(`${where}.seLinuxOptions.type ${opts.type} is not allowed`);
    if (opts.user) bad(`${where}.seLinuxOptions.user must not be set`);
    if (opts.role) bad(`${where}.seLinuxOptions.role must not be set`);
}

/** Not part of the PSS profile, but part of this project's hardening baseline: containers cannot write their image. */
export const readOnlyRootFilesystem = containerRule(
    "read-only-root-filesystem",
    "Every container runs with a read-only root filesystem (writable paths come from emptyDir volumes).",
    ["containers", "initContainers"],
    (container, who) =>
        container.securityContext?.readOnlyRootFilesystem === true ? [] : [`${who}: securityContext.readOnlyRootFilesystem must be true`],
);
