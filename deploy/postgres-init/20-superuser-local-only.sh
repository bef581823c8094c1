#!/usr/bin/env bash
# The superuser signs in only from inside the postgres container (docker compose exec postgres psql -U postgres,
# trusted on the local socket): the password the image needs to initialise is removed, so no network login,
# from the portal's containers or anywhere else, can use it.
set -euo pipefail

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-ketnghia}" \
    -v superuser="${POSTGRES_USER:-postgres}" <<'SQL'
ALTER ROLE :"superuser" PASSWORD NULL;
SQL
