# Assertions for guest scenarios; sourced. Each failure names what was
# checked, what was seen and what was wanted, then exits 1.

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# assert_eq GOT WANT WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# expect_fail PATTERN CMD...: CMD must exit non-zero and say PATTERN
# (case-insensitive, fixed string) on stdout or stderr.
expect_fail() {
	pat=$1
	shift
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded, want an error mentioning '$pat': $out"
	fi
	printf '%s\n' "$out" | grep -qiF -- "$pat" ||
		fail "'$*' failed without mentioning '$pat': $out"
	log "refused as expected: $* -> $out"
}
