-- SPDX-License-Identifier: MIT
-- The read-only role for support staff on PostgreSQL: trackwatch_readonly (NOLOGIN) may read
-- every Trackwatch table and view and change nothing: no INSERT, UPDATE, DELETE or TRUNCATE
-- anywhere, so the control plane (feature_flag_overrides, rollout_percentages,
-- circuit_breakers, breaker_transitions, control_audit, control_version, control_rollbacks,
-- ...) cannot be changed through it. Give it to people's login roles:
--     CREATE ROLE jane LOGIN PASSWORD '...' IN ROLE trackwatch_readonly;
-- and start the console read-only (trackwatch --read-only --db postgresql://jane@host/db).
--
-- Run it in the Trackwatch database, as a superuser or as the role the engines migrate with
-- (the tables' owner; then trackwatch_readonly must already exist, as creating it needs
-- CREATEROLE). Idempotent: run it again at any time.
--
-- It also takes away what a reader does not need and could misuse to stall the engines:
--   - TEMP on the database (temporary tables), from PUBLIC; granted back to the writer;
--   - EXECUTE on the advisory-lock functions (pg_advisory_lock, pg_try_advisory_lock,
--     pg_advisory_xact_lock and their shared variants), from PUBLIC; granted back to the
--     writer. Holding the migrations' lock key used to freeze every engine start and every
--     trackwatchctl command. Changing these functions' privileges needs a superuser: run as
--     the tables' owner, the script says so in a NOTICE and leaves them as they are.
-- The writer is the tables' owner (the role that migrated), else the database's owner. If the
-- engines log in as another role, grant it the same: GRANT TEMP ON DATABASE ... and GRANT
-- EXECUTE ON FUNCTION pg_try_advisory_lock(bigint), ... (see the loop below).
--
-- Tables that later migrations create are covered by default privileges of the tables' owner
-- (the role that created schema_migrations, i.e. the one that migrates): every table or view it
-- creates in schema public from now on is readable by trackwatch_readonly, with nothing to run
-- after an upgrade. Default privileges belong to one database and one creating role: run this
-- script in each Trackwatch database, and again if another role starts running the migrations.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trackwatch_readonly') THEN
        CREATE ROLE trackwatch_readonly NOLOGIN;
    END IF;
END;
$$;

DO $$
DECLARE
    owner_role TEXT;
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO trackwatch_readonly', current_database());
    -- The tables' owner: who migrated (schema_migrations), else the database's owner.
    SELECT tableowner INTO owner_role
    FROM pg_tables WHERE schemaname = 'public' AND tablename = 'schema_migrations';
    IF owner_role IS NULL THEN
        SELECT pg_get_userbyid(datdba) INTO owner_role
        FROM pg_database WHERE datname = current_database();
    END IF;
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
                   'GRANT SELECT ON TABLES TO trackwatch_readonly', owner_role);
END;
$$;

GRANT USAGE ON SCHEMA public TO trackwatch_readonly;
-- Reading only: SELECT on every table, view and materialized view there is now.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO trackwatch_readonly;
-- And nothing more, even if it was granted by hand before: no writes, no sequences (nextval),
-- no creating objects in the schema.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON ALL TABLES IN SCHEMA public FROM trackwatch_readonly;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM trackwatch_readonly;
REVOKE CREATE ON SCHEMA public FROM trackwatch_readonly;

-- What a reader does not need. See the header: TEMP and the advisory locks go to the writer
-- only.
DO $$
DECLARE
    writer TEXT;
    fn REGPROCEDURE;
BEGIN
    SELECT tableowner INTO writer
    FROM pg_tables WHERE schemaname = 'public' AND tablename = 'schema_migrations';
    IF writer IS NULL THEN
        SELECT pg_get_userbyid(datdba) INTO writer
        FROM pg_database WHERE datname = current_database();
    END IF;
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM trackwatch_readonly',
                   current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), writer);
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE NOTICE 'not a superuser: the advisory-lock functions keep their privileges; run '
                     'this script as a superuser to take them from PUBLIC';
        RETURN;
    END IF;
    FOR fn IN
        SELECT p.oid::regprocedure FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'pg_catalog' AND p.proname LIKE 'pg\_%advisory%lock%'
          AND p.proname NOT LIKE '%unlock%'
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', fn);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM trackwatch_readonly', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn, writer);
    END LOOP;
END;
$$;
