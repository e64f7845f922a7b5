// The backup and restore jobs' database roles on the stack's own PostgreSQL (dbInCluster): the
// server container runs scripts/db-roles.sql (the SQL docs/backups.md gives a DBA) after every start,
// so the roles exist, with the stack's passwords, on a new volume and on an existing one alike.
import * as k8s from "@pulumi/kubernetes";
import * as fs from "fs";
import * as path from "path";

export const DB_ROLES_SQL_PATH = path.join(__dirname, "..", "..", "scripts", "db-roles.sql");
/** Keys of the role passwords in the database's Secret. */
export const DB_ROLE_PASSWORD_KEYS = { backup: "backup-password", restore: "restore-password" } as const;
/** The environment variables scripts/db-roles.sql reads the passwords from. */
export const DB_ROLE_PASSWORD_ENV = { backup: "BACKUP_DB_PASSWORD", restore: "RESTORE_DB_PASSWORD" } as const;
/** How long the hook waits for the server (a first start initialises the volume first). */
export const DB_ROLES_WAIT_SECONDS = 600;

export interface DbRoleNames {
    backupUser: string;
    restoreUser: string;
}

/**
 * The script the hook runs: wait until the server answers on TCP (the official entrypoint's
 * first-init server listens on the Unix socket only, so this is the real server), then run the
 * role SQL as the database's superuser (POSTGRES_USER). Passwords stay in the environment.
 */
export function dbRolesScript(port: number, roles: DbRoleNames, sql = fs.readFileSync(DB_ROLES_SQL_PATH, "utf8")): string {
    return [
        "set -eu",
        'export PGPASSWORD="$POSTGRES_PASSWORD"',
        `deadline=$((SECONDS + ${DB_ROLES_WAIT_SECONDS}))`,
        `until pg_isready -q -h 127.0.0.1 -p ${port} -U "$POSTGRES_USER" -d postgres; do`,
        `  if [ "$SECONDS" -ge "$deadline" ]; then echo "db-roles: PostgreSQL did not answer on 127.0.0.1:${port} within ${DB_ROLES_WAIT_SECONDS} s" >&2; exit 1; fi`,
        "  sleep 2",
        "done",
        `psql -X -q -h 127.0.0.1 -p ${port} -U "$POSTGRES_USER" -d postgres -v backup_user=${roles.backupUser} -v restore_user=${roles.restoreUser} -v app_user="$POSTGRES_USER" -f - <<'DB_ROLES_SQL'`,
        sql.trimEnd(),
        "DB_ROLES_SQL",
    ].join("\n");
}

/** The server container's env entries for the role passwords and its postStart hook. */
export function dbRolesContainerParts(
    port: number,
    secretName: string,
    roles: DbRoleNames,
): { env: k8s.types.input.core.v1.EnvVar[]; lifecycle: k8s.types.input.core.v1.Lifecycle } {
    const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: secretName, key } } });
    return {
        env: [
            { name: DB_ROLE_PASSWORD_ENV.backup, ...fromSecret(DB_ROLE_PASSWORD_KEYS.backup) },
            { name: DB_ROLE_PASSWORD_ENV.restore, ...fromSecret(DB_ROLE_PASSWORD_KEYS.restore) },
        ],
        lifecycle: { postStart: { exec: { command: ["bash", "-c", dbRolesScript(port, roles)] } } },
    };
}
