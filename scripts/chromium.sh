#!/usr/bin/env bash
# Prints the path of a Chromium binary on stdout, for the browser tests: $LAWKA_CHROMIUM when set, else `chromium`
# or `chromium-browser` on PATH, else Debian's `chromium` package is installed with apt-get (through sudo when not
# root) and /usr/bin/chromium is printed. A browser is never downloaded any other way.
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }
die() { printf 'chromium.sh: %s\n' "$*" >&2; exit 1; }

# True when Debian's chromium package is known to dpkg but not fully installed (an installation still running in
# the background, or one that was interrupted).
half_installed() {
	local status
	command -v dpkg-query >/dev/null 2>&1 || return 1
	status="$(dpkg-query -W -f='${Status}' chromium 2>/dev/null)" || return 1
	[[ -n "$status" && "$status" != "install ok installed" ]]
}

# apt-get as root or through sudo; while another apt/dpkg holds the lock, waits and tries again (10 minutes at most).
apt_get() {
	local -a cmd
	local errf deadline
	command -v apt-get >/dev/null 2>&1 ||
		die "no Chromium found and apt-get is missing; install Chromium yourself and set LAWKA_CHROMIUM to its path"
	if [[ "$(id -u)" -eq 0 ]]; then
		cmd=(env DEBIAN_FRONTEND=noninteractive apt-get)
	elif command -v sudo >/dev/null 2>&1; then
		cmd=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
	else
		die "no Chromium found; installing it needs root or sudo (apt-get install chromium), or set LAWKA_CHROMIUM"
	fi
	errf="$(mktemp)"
	deadline=$((SECONDS + 600))
	while :; do
		if "${cmd[@]}" -o DPkg::Lock::Timeout=60 "$@" >&2 2>"$errf"; then
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

if [[ -n "${LAWKA_CHROMIUM:-}" ]]; then
	path="$(command -v -- "$LAWKA_CHROMIUM" 2>/dev/null || true)"
	[[ -n "$path" && -f "$path" && -x "$path" ]] || die "LAWKA_CHROMIUM='$LAWKA_CHROMIUM' is not an executable file"
	printf '%s\n' "$path"
	exit 0
fi

for name in chromium chromium-browser; do
	if path="$(command -v "$name" 2>/dev/null)" && [[ -x "$path" ]]; then
		if [[ "$path" == /usr/bin/chromium ]] && half_installed; then
			break # finish the package's installation below before using it
		fi
		printf '%s\n' "$path"
		exit 0
	fi
done

say "Chromium not found; installing Debian's chromium package with apt-get…"
apt_get update || die "apt-get update failed"
apt_get install -y chromium || die "apt-get install chromium failed"
[[ -x /usr/bin/chromium ]] || die "the chromium package was installed but /usr/bin/chromium is missing"
printf '%s\n' /usr/bin/chromium
