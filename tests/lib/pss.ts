// An independent, field-by-field reading of the Pod Security Standards "restricted" profile
// (https://kubernetes.io/docs/concepts/security/pod-security-standards/), used to check every pod
// template the program renders. Returns the violations; an empty list means the pod passes.
const ALLOWED_VOLUME_TYPES = new Set([
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]);

export function restrictedViolations(spec: any): string[] {
    const v: string[] = [];
    if (!spec) return ["no pod spec"];
    if (spec.hostNetwork) v.push("hostNetwork");
    if (spec.hostPID) v.push("hostPID");
    if (spec.hostIPC) v.push("hostIPC");
    if (spec.securityContext?.sysctls?.length) v.push("sysctls");
    for (const vol of spec.volumes ?? []) {
        const type = Object.keys(vol).find((k) => k !== "name");
        if (!type || !ALLOWED_VOLUME_TYPES.has(type)) v.push(`volume ${vol.name} of type ${type}`);
    }
    const podSc = spec.securityContext ?? {};
    const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
    if (containers.length === 0) v.push("no containers");
    for (const c of containers) {
        const sc = c.securityContext ?? {};
        const where = `container ${c.name}`;
        if (sc.privileged) v.push(`${where}: privileged`);
        if (sc.allowPrivilegeEscalation !== false) v.push(`${where}: allowPrivilegeEscalation must be false`);
        if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) v.push(`${where}: runAsNonRoot must be true`);
        if ((sc.runAsUser ?? podSc.runAsUser) === 0) v.push(`${where}: runAsUser 0`);
        const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") v.push(`${where}: seccompProfile must be RuntimeDefault or Localhost`);
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push(`${where}: capabilities must drop ALL`);
        const add: string[] = sc.capabilities?.add ?? [];
        if (add.some((cap) => cap !== "NET_BIND_SERVICE")) v.push(`${where}: adds capabilities ${add.join(",")}`);
        for (const p of c.ports ?? []) if (p.hostPort) v.push(`${where}: hostPort ${p.hostPort}`);
        if (sc.procMount && sc.procMount !== "Default") v.push(`${where}: procMount`);
        if (sc.seLinuxOptions?.type && !["container_t", "container_init_t", "container_kvm_t"].includes(sc.seLinuxOptions.type)) {
            v.push(`${where}: seLinuxOptions.type`);
        }
        if (sc.appArmorProfile?.type && sc.appArmorProfile.type === "Unconfined") v.push(`${where}: AppArmor Unconfined`);
    }
    return v;
}
