#!/usr/bin/env bash
# The portal's two PostgreSQL roles (RELIABILITY A7, docs/OPERATIONS.md §2):
#   ketnghia_owner  owns the database and every table; only migrate and restore sign in as it;
#   ketnghia_app    web, worker and beat: no superuser, owns nothing, and each migrate grants it exactly
#                   what the portal needs (operations/privileges.py).
# The postgres image runs this once, as the superuser, when it initialises an empty data volume. Running it
# again is safe and sets the passwords anew (docs/OPERATIONS.md, "Rotating the database passwords").
# tests/security/test_least_privilege.py runs it against the test server, with role names of its own.
set -euo pipefail

: "${POSTGRES_OWNER_PASSWORD:?must be set (postgres.env)}"
: "${POSTGRES_APP_PASSWORD:?must be set (.env)}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-ketnghia}" \
    -v owner="${POSTGRES_OWNER_ROLE:-ketnghia_owner}" -v app="${POSTGRES_APP_ROLE:-ketnghia_app}" \
    -v owner_password="$POSTGRES_OWNER_PASSWORD" -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password') \gexec

-- The owner creates the tables (migrate); nobody else may create anything in the schema.
ALTER DATABASE :"DBNAME" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Only the two roles connect, and nobody creates temporary tables but the owner.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app";
SQL
