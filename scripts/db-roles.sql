-- The backup and restore jobs' own database roles (docs/backups.md "Database roles"). Idempotent:
-- creates missing roles and sets their passwords, rights and memberships every time it runs. The
-- stack's own PostgreSQL (dbInCluster) runs it on every start; a DBA runs it on an external server:
--
--   BACKUP_DB_PASSWORD=... RESTORE_DB_PASSWORD=... psql -X -d postgres -f scripts/db-roles.sql \
--     -v backup_user=kline_backup -v restore_user=kline_restore -v app_user=kline
--
-- Role names come as psql variables, passwords only from the environment (never a command line).
-- Needs psql 15 or newer (\getenv) and a role that may create roles and grant pg_read_all_data.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
\getenv backup_password BACKUP_DB_PASSWORD
\getenv restore_password RESTORE_DB_PASSWORD
SELECT :{?backup_user} AND :{?restore_user} AND :{?app_user} AS have_names,
       :{?backup_password} AND :{?restore_password} AS have_passwords \gset
\if :have_names
\else
DO $$ BEGIN RAISE EXCEPTION 'db-roles.sql: role names missing: pass -v backup_user=<backupDbUser> -v restore_user=<restoreDbUser> -v app_user=<dbUser>'; END $$;
\endif
\if :have_passwords
\else
DO $$ BEGIN RAISE EXCEPTION 'db-roles.sql: set BACKUP_DB_PASSWORD and RESTORE_DB_PASSWORD in the environment (the passwords of backupDbUser and restoreDbUser)'; END $$;
\endif
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'backup_user') AS create_backup,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'restore_user') AS create_restore \gset
\if :create_backup
CREATE ROLE :"backup_user";
\endif
\if :create_restore
CREATE ROLE :"restore_user";
\endif
-- Backup: read everything, write nothing (PostgreSQL 14+ predefined role).
ALTER ROLE :"backup_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'backup_password';
GRANT pg_read_all_data TO :"backup_user";
-- Restore: create databases, and act for the application's role so restored objects get their owner
-- back and the database a forced restore replaces can be renamed.
ALTER ROLE :"restore_user" LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD :'restore_password';
GRANT :"app_user" TO :"restore_user";
