#!/bin/sh
# The one user's password comes from the environment (never baked into the image); PgBouncer
# uses it both to check the servers (SCRAM) and to sign in to PostgreSQL.
set -eu
: "${DB_USER:?set DB_USER}" "${DB_PASSWORD:?set DB_PASSWORD}"
umask 077
printf '"%s" "%s"\n' "$DB_USER" "$DB_PASSWORD" > /etc/pgbouncer/userlist.txt
chown postgres:postgres /etc/pgbouncer/userlist.txt
exec pgbouncer -u postgres /etc/pgbouncer/pgbouncer.ini
