#!/usr/bin/env bash
# Makes PostgreSQL and Redis available for `make run` and `make test`, on a machine where they may be neither
# installed nor running, and writes the URLs to .data/env.sh.
#
#   scripts/services.sh ensure   use LAWKA_DATABASE_URL / LAWKA_REDIS_URL when set, else servers already listening
#                                on 127.0.0.1:5432 / :6379, else private instances under .data/ (installed with
#                                apt-get when missing)
#   scripts/services.sh stop     stop the private instances; system servers are never touched
#
# LAWKA_PRIVATE_SERVICES=1 skips the detection of servers on 5432/6379 and always uses the private instances.
# Everything this script writes inside the repository lives in .data/. Messages go to stderr; stdout stays clean.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA="$REPO/.data"
ENV_FILE="$DATA/env.sh"

# Private ports sit below the kernel's ephemeral range (32768–60999), so a busy
# machine's outgoing connections never hold them.
PG_PORT=25432
PG_DIR="$DATA/postgres"
PG_SOCK="$DATA/postgres-socket"
PG_LOG="$DATA/postgres.log"
PG_SYSTEM_URL='postgres://postgres@127.0.0.1:5432/lawka?sslmode=disable'
PG_PRIVATE_URL="postgres://postgres@127.0.0.1:${PG_PORT}/lawka?sslmode=disable"

REDIS_PORT=26379
REDIS_DIR="$DATA/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$DATA/redis.log"
REDIS_SYSTEM_URL='redis://127.0.0.1:6379/0'
REDIS_PRIVATE_URL="redis://127.0.0.1:${REDIS_PORT}/0"

APT_UPDATED=0
ME="$(id -un)"
ME_UID="$(id -u)"

say() { printf '%s\n' "$*" >&2; }
die() { printf 'services.sh: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$ME_UID" -eq 0 ]]; }

# retry TRIES SECONDS CMD...: runs CMD until it succeeds, at most TRIES times, sleeping SECONDS in between.
retry() {
	local tries="$1" pause="$2" i
	shift 2
	for ((i = 1; i <= tries; i++)); do
		"$@" && return 0
		((i < tries)) && sleep "$pause"
	done
	return 1
}

# ---------------------------------------------------------------------------------------------------------------
# apt-get, as root or through sudo, waiting (bounded) while another apt/dpkg holds the lock.

apt_get() {
	local -a cmd
	if is_root; then
		cmd=(env DEBIAN_FRONTEND=noninteractive apt-get)
	elif command -v sudo >/dev/null 2>&1; then
		cmd=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
	else
		die "need to run apt-get $* but I am not root and sudo is missing; install the package yourself"
	fi
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install the package yourself (this script knows Debian only)"

	local errf deadline
	errf="$(mktemp)"
	deadline=$((SECONDS + 600))
	while :; do
		if "${cmd[@]}" -o DPkg::Lock::Timeout=60 "$@" 2>"$errf"; then
			cat "$errf" >&2
			rm -f "$errf"
			return 0
		fi
		if grep -qiE 'could not get lock|unable to acquire the dpkg|unable to lock' "$errf" && ((SECONDS < deadline)); then
			say "apt/dpkg is busy (another installation is running); waiting…"
			sleep 5
			continue
		fi
		cat "$errf" >&2
		rm -f "$errf"
		return 1
	done
}

apt_install() {
	if ((APT_UPDATED == 0)); then
		say "Running apt-get update…"
		apt_get update || die "apt-get update failed"
		APT_UPDATED=1
	fi
	say "Installing $*…"
	apt_get install -y --no-install-recommends "$@" || die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL

# Directory with initdb/pg_ctl: the version the data directory was made with, else the highest one installed.
pg_bindir() {
	local want="" v best=""
	[[ -f "$PG_DIR/PG_VERSION" ]] && want="$(<"$PG_DIR/PG_VERSION")"
	if [[ -n "$want" ]]; then
		[[ -x "/usr/lib/postgresql/$want/bin/pg_ctl" ]] && { printf '%s\n' "/usr/lib/postgresql/$want/bin"; return 0; }
		return 1
	fi
	for v in /usr/lib/postgresql/*/bin/initdb; do
		[[ -x "$v" && -x "${v%/initdb}/pg_ctl" ]] || continue
		v="${v#/usr/lib/postgresql/}"
		v="${v%%/*}"
		[[ -z "$best" || "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n 1)" == "$v" ]] && best="$v"
	done
	[[ -n "$best" ]] || return 1
	printf '%s\n' "/usr/lib/postgresql/$best/bin"
}

# The account that owns (or will own) the private cluster: whoever made an existing data directory, else the
# owner of .data. PostgreSQL refuses to run as root, so root uses the `postgres` system user.
pg_owner() {
	local owner dir
	for dir in "$PG_DIR" "$DATA"; do
		if [[ -d "$dir" ]]; then
			owner="$(stat -c %U "$dir")"
			[[ "$owner" != root ]] && { printf '%s\n' "$owner"; return 0; }
		fi
	done
	if is_root; then
		id -u postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user (normally created by Debian's postgresql package)"
		printf '%s\n' postgres
	else
		printf '%s\n' "$ME"
	fi
}

# Runs a command as the owner of the private services, from / so that an unreadable working directory does not matter.
as_owner() {
	local owner="$1"
	shift
	if [[ "$owner" == "$ME" ]]; then
		(cd / && "$@")
	elif is_root; then
		if command -v runuser >/dev/null 2>&1; then
			(cd / && runuser -u "$owner" -- "$@")
		else
			# shellcheck disable=SC2016 # expanded by the inner shell
			(cd / && su "$owner" -s /bin/sh -c 'exec "$0" "$@"' -- "$@")
		fi
	elif command -v sudo >/dev/null 2>&1; then
		(cd / && sudo -u "$owner" -- "$@")
	else
		die "the private services in $DATA belong to '$owner'; run this as root or as '$owner'"
	fi
}

# The owner must be able to reach .data: add search permission (only that) to any directory on the way that lacks it.
ensure_traversable() {
	local owner="$1" d="" part
	local -a parts
	as_owner "$owner" test -x "$DATA" && return 0
	IFS=/ read -r -a parts <<<"${DATA#/}"
	for part in "${parts[@]}"; do
		d="$d/$part"
		if ! as_owner "$owner" test -x "$d"; then
			say "Adding search permission (o+x) to $d so that user '$owner' can reach $DATA"
			chmod o+x "$d"
		fi
	done
}

pg_accepts() { # host port
	command -v pg_isready >/dev/null 2>&1 || return 1
	pg_isready -q -h "$1" -p "$2" -t 3 || return 1
	if command -v psql >/dev/null 2>&1; then
		PGCONNECT_TIMEOUT=3 psql -X -w -q -h "$1" -p "$2" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1 || return 1
	fi
	return 0
}

pg_write_conf() {
	local owner="$1" sock="$PG_SOCK" conf="$PG_DIR/lawka.conf"
	# A Unix socket path is limited to 107 bytes; with a deep checkout, listen on TCP only.
	if ((${#sock} + 20 > 107)); then
		say "Note: $PG_SOCK is too long for a Unix socket; the private PostgreSQL listens on TCP only"
		sock=""
	fi
	{
		printf '# Written by scripts/services.sh on every start; edit the script, not this file.\n'
		printf "listen_addresses = '127.0.0.1'\n"
		printf 'port = %d\n' "$PG_PORT"
		printf "unix_socket_directories = '%s'\n" "${sock//\'/\'\'}"
		printf 'max_connections = 200\n'
	} | as_owner "$owner" tee "$conf" >/dev/null
}

pg_private() {
	local bindir owner group out
	local -a locale_opt
	if ! bindir="$(pg_bindir)"; then
		if [[ -f "$PG_DIR/PG_VERSION" ]]; then
			die "$PG_DIR was made by PostgreSQL $(<"$PG_DIR/PG_VERSION"), which is not installed; install postgresql-$(<"$PG_DIR/PG_VERSION") or remove $PG_DIR"
		fi
		apt_install postgresql
		bindir="$(pg_bindir)" || die "PostgreSQL was installed but no /usr/lib/postgresql/<version>/bin/pg_ctl was found"
	fi
	owner="$(pg_owner)"
	group="$(id -gn "$owner")"

	mkdir -p "$DATA"
	if [[ "$owner" != "$ME" ]]; then
		ensure_traversable "$owner"
		install -d -m 700 -o "$owner" -g "$group" "$PG_DIR"
		install -d -m 700 -o "$owner" -g "$group" "$PG_SOCK"
		touch "$PG_LOG"
		chown "$owner:$group" "$PG_LOG"
	else
		install -d -m 700 "$PG_DIR" "$PG_SOCK"
	fi

	if as_owner "$owner" "$bindir/pg_ctl" status -D "$PG_DIR" >/dev/null 2>&1; then
		retry 30 1 "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 ||
			die "the private PostgreSQL in $PG_DIR runs but does not answer on 127.0.0.1:$PG_PORT; see $PG_LOG"
		say "PostgreSQL: private instance in .data/postgres (127.0.0.1:$PG_PORT), already running"
		return 0
	fi
	if pg_accepts 127.0.0.1 "$PG_PORT"; then
		say "PostgreSQL: reusing the server already listening on 127.0.0.1:$PG_PORT (not started from this checkout)"
		return 0
	fi

	if [[ ! -f "$PG_DIR/PG_VERSION" ]]; then
		if [[ -n "$(ls -A "$PG_DIR")" ]]; then
			die "$PG_DIR is neither empty nor a PostgreSQL data directory; remove it and run again"
		fi
		if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
			locale_opt=(--locale=C.UTF-8)
		else
			locale_opt=(--no-locale)
		fi
		say "Creating a private PostgreSQL cluster in $PG_DIR ($bindir)…"
		if ! out="$(as_owner "$owner" "$bindir/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 "${locale_opt[@]}" 2>&1)"; then
			printf '%s\n' "$out" >&2
			die "initdb failed"
		fi
		printf "\ninclude_if_exists = 'lawka.conf'\n" | as_owner "$owner" tee -a "$PG_DIR/postgresql.conf" >/dev/null
	fi
	pg_write_conf "$owner"

	say "Starting the private PostgreSQL (log: $PG_LOG)…"
	if ! as_owner "$owner" "$bindir/pg_ctl" start -w -t 60 -D "$PG_DIR" -l "$PG_LOG" >&2; then
		tail -n 20 "$PG_LOG" >&2 || true
		die "could not start the private PostgreSQL; see $PG_LOG"
	fi
	say "PostgreSQL: private instance in .data/postgres (127.0.0.1:$PG_PORT)"
}

pg_stop() {
	[[ -f "$PG_DIR/PG_VERSION" ]] || { say "PostgreSQL: no private instance in .data/postgres"; return 0; }
	local bindir owner
	bindir="$(pg_bindir)" || die "PostgreSQL $(<"$PG_DIR/PG_VERSION") is not installed; cannot stop $PG_DIR"
	owner="$(pg_owner)"
	if as_owner "$owner" "$bindir/pg_ctl" status -D "$PG_DIR" >/dev/null 2>&1; then
		as_owner "$owner" "$bindir/pg_ctl" stop -w -m fast -D "$PG_DIR" >&2 || die "could not stop the private PostgreSQL"
		say "PostgreSQL: private instance stopped"
	else
		say "PostgreSQL: private instance not running"
	fi
}

# ---------------------------------------------------------------------------------------------------------------
# Redis

redis_pings() { # port
	if command -v redis-cli >/dev/null 2>&1; then
		[[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
	else
		# shellcheck disable=SC2016 # expanded by the inner shell
		timeout 3 bash -c '
			exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
			printf "PING\r\n" >&3
			IFS= read -r line <&3 || exit 1
			[[ "$line" == "+PONG"* ]]
		' _ "$1" 2>/dev/null
	fi
}

# A process that exists and is not a zombie (whoever owns it).
pid_alive() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	stat="${stat##*) }"
	[[ "${stat:0:1}" != Z ]]
}

# Prints the pid of the private redis-server if its pid file names a live redis-server process.
redis_private_pid() {
	local pid
	[[ -f "$REDIS_PID" ]] || return 1
	pid="$(tr -dc '0-9' <"$REDIS_PID")"
	[[ -n "$pid" ]] && pid_alive "$pid" || return 1
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]] || return 1
	printf '%s\n' "$pid"
}

redis_private() {
	local server owner
	server="$(command -v redis-server || true)"
	if [[ -z "$server" ]]; then
		apt_install redis-server
		server="$(command -v redis-server || echo /usr/bin/redis-server)"
		[[ -x "$server" ]] || die "redis-server was installed but is not on PATH"
	fi
	mkdir -p "$DATA"
	# Redis runs as whoever owns .data (root may be starting a normal user's checkout).
	owner="$(stat -c %U "$DATA")"
	if [[ "$owner" != "$ME" ]] && is_root; then
		install -d -o "$owner" -g "$(id -gn "$owner")" "$REDIS_DIR"
		[[ -e "$REDIS_LOG" ]] && chown "$owner:$(id -gn "$owner")" "$REDIS_LOG"
	else
		mkdir -p "$REDIS_DIR"
	fi

	if redis_private_pid >/dev/null; then
		retry 20 0.5 redis_pings "$REDIS_PORT" || die "the private redis-server runs but does not answer on 127.0.0.1:$REDIS_PORT; see $REDIS_LOG"
		say "Redis: private instance in .data/redis (127.0.0.1:$REDIS_PORT), already running"
		return 0
	fi
	if redis_pings "$REDIS_PORT"; then
		say "Redis: reusing the server already listening on 127.0.0.1:$REDIS_PORT (not started from this checkout)"
		return 0
	fi

	say "Starting the private Redis (log: $REDIS_LOG)…"
	rm -f "$REDIS_PID"
	as_owner "$owner" "$server" --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
		--pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --save "" --appendonly yes >&2 ||
		die "could not start redis-server; see $REDIS_LOG"
	if ! retry 40 0.25 redis_pings "$REDIS_PORT"; then
		tail -n 20 "$REDIS_LOG" >&2 || true
		die "the private redis-server did not answer on 127.0.0.1:$REDIS_PORT; see $REDIS_LOG"
	fi
	say "Redis: private instance in .data/redis (127.0.0.1:$REDIS_PORT)"
}

redis_gone() { ! pid_alive "$1"; }

redis_stop() {
	local pid
	if ! pid="$(redis_private_pid)"; then
		say "Redis: private instance not running"
		return 0
	fi
	as_owner "$(stat -c %U "/proc/$pid")" kill -TERM "$pid" || die "could not signal the private redis-server (pid $pid)"
	retry 40 0.25 redis_gone "$pid" || die "the private redis-server (pid $pid) did not stop"
	say "Redis: private instance stopped"
}

# ---------------------------------------------------------------------------------------------------------------

# The same PostgreSQL server with database `postgres` (for tests, which create their own databases).
maintenance_url() {
	local url="$1" scheme rest authority query=""
	if [[ "$url" == *://* ]]; then
		scheme="${url%%://*}"
		rest="${url#*://}"
		if [[ "$rest" == *\?* ]]; then
			query="${rest#*\?}"
			rest="${rest%%\?*}"
		fi
		authority="${rest%%/*}"
		printf '%s://%s/postgres%s\n' "$scheme" "$authority" "${query:+?$query}"
	elif [[ "$url" =~ (^|[[:space:]])dbname=[^[:space:]]+ ]]; then
		printf '%s\n' "${url/${BASH_REMATCH[0]}/${BASH_REMATCH[1]}dbname=postgres}"
	else
		printf '%s dbname=postgres\n' "$url"
	fi
}

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

write_env() {
	local db="$1" redis="$2" test_db="$3" test_redis="$4" tmp
	mkdir -p "$DATA"
	tmp="$(mktemp "$DATA/.env.sh.XXXXXX")"
	{
		printf '# Written by scripts/services.sh ensure; do not edit.\n'
		printf 'export LAWKA_DATABASE_URL=%s\n' "$(shell_quote "$db")"
		printf 'export LAWKA_REDIS_URL=%s\n' "$(shell_quote "$redis")"
		printf 'export LAWKA_TEST_DATABASE_URL=%s\n' "$(shell_quote "$test_db")"
		printf 'export LAWKA_TEST_REDIS_URL=%s\n' "$(shell_quote "$test_redis")"
	} >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$ENV_FILE"
}

ensure() {
	local private="${LAWKA_PRIVATE_SERVICES:-0}" db redis
	mkdir -p "$DATA"
	# Keeps .data out of git without touching the repository's own .gitignore.
	[[ -e "$DATA/.gitignore" ]] || printf '*\n' >"$DATA/.gitignore"
	[[ "$private" == 1 || "$private" == true ]] && private=1 || private=0

	if [[ -n "${LAWKA_DATABASE_URL:-}" ]]; then
		db="$LAWKA_DATABASE_URL"
		say "PostgreSQL: LAWKA_DATABASE_URL from the environment"
	elif ((private == 0)) && pg_accepts 127.0.0.1 5432; then
		db="$PG_SYSTEM_URL"
		say "PostgreSQL: the server already running on 127.0.0.1:5432"
	else
		pg_private
		db="$PG_PRIVATE_URL"
	fi

	if [[ -n "${LAWKA_REDIS_URL:-}" ]]; then
		redis="$LAWKA_REDIS_URL"
		say "Redis: LAWKA_REDIS_URL from the environment"
	elif ((private == 0)) && redis_pings 6379; then
		redis="$REDIS_SYSTEM_URL"
		say "Redis: the server already running on 127.0.0.1:6379"
	else
		redis_private
		redis="$REDIS_PRIVATE_URL"
	fi

	write_env "$db" "$redis" "${LAWKA_TEST_DATABASE_URL:-$(maintenance_url "$db")}" "${LAWKA_TEST_REDIS_URL:-$redis}"
	say "Wrote ${ENV_FILE#"$REPO"/}"
}

stop() {
	pg_stop
	redis_stop
}

# Nothing belongs on stdout: send everything (including tools' chatter) to stderr.
exec 1>&2

case "${1:-}" in
ensure) ensure ;;
stop) stop ;;
*)
	say "usage: $0 ensure|stop"
	exit 2
	;;
esac
