#!/bin/sh
# Prove scripts/install-deps.sh: every Debian package whose files a full build
# opens is installed by it, or came with the base image.
#
#   sh scripts/check-deps.sh          trace a full build of every board, judge it
#   sh scripts/check-deps.sh --judge OPENED OWNERS DB LISTED
#                                     judge recorded facts (tests/deps/ fixtures)
#
# A full build (every board's image and module files, every test program, one
# program of each sanitizer and of the fuzzer toolchain, one boot of each
# image) runs in a scratch copy
# of the tree under `strace -f -e trace=open,openat,execve`.  Every file it
# opened under /usr is mapped to its package with `dpkg -S`.  A package passes
# when install-deps.sh (or a board's BOARD_PACKAGES) names it, when a named
# package depends on it (recursively, as installed), or when it is in the base
# image's essential set: Essential: yes, Priority required or important, and
# what those depend on.  Anything else fails, named with a file it gave; so do
# files under /usr that no package owns (installed by hand).
#
# Why a build machine that passes the tests is not proof enough: a package
# once installed by hand stays installed, and the tests cannot tell.
set -eu

# judge OPENED OWNERS DB LISTED
#   OPENED  one path a line (files the build opened)
#   OWNERS  "PATH<TAB>PACKAGE[, PACKAGE...]" for the paths some package owns
#   DB      the installed packages: "NAME:ARCH<TAB>PRIORITY<TAB>ESSENTIAL<TAB>
#           PROVIDES<TAB>DEPENDS" (dpkg-query's fields, see below)
#   LISTED  the packages install-deps installs, one a line (NAME or NAME:ARCH)
# Prints one line a problem and exits 1 if there is any.
judge() {
	awk -F '\t' -v native="$native" -v probes="$PROBES" '
	function key(name, arch) {
		sub(/[ (].*/, "", name)
		if (name ~ /:/) {
			arch = name; sub(/.*:/, "", arch); sub(/:.*/, "", name)
			if (arch == "any") arch = ""
		}
		if (arch == "" || arch == "all") arch = native
		return name ":" arch
	}
	# A dependency of a package of architecture @arch: the same
	# architecture if installed, else the native one (Multi-Arch: foreign).
	function dep(name, arch,   k) {
		k = key(name, arch)
		if (k in installed || k in provider) return k
		return key(name, native)
	}
	FILENAME == ARGV[1] { opened[$0] = 1; next }
	FILENAME == ARGV[2] {
		n = split($2, pkgs, /, */)
		for (i = 1; i <= n; i++) owner[$1] = owner[$1] (i > 1 ? " " : "") key(pkgs[i], "")
		next
	}
	FILENAME == ARGV[3] {
		k = key($1, ""); installed[k] = 1; arch_of[k] = k; sub(/.*:/, "", arch_of[k])
		if ($3 == "yes" || $2 == "required" || $2 == "important") base[k] = 1
		deps[k] = $5
		n = split($4, pv, /, */)
		for (i = 1; i <= n; i++) if (pv[i] != "") provider[key(pv[i], arch_of[k])] = provider[key(pv[i], arch_of[k])] " " k
		next
	}
	FILENAME == ARGV[4] { if ($0 != "") listed[key($0, "")] = 1; next }
	# Mark @k allowed, and everything it depends on (alternatives: every
	# installed one; virtual names: their installed providers).
	function allow(k,   n, alts, i, m, alt, j, p, np) {
		if (k in allowed) return
		allowed[k] = 1
		for (p = split(provider[k], np, " "); p > 0; p--) allow(np[p])
		n = split(deps[k], alts, /, */)
		for (i = 1; i <= n; i++) {
			m = split(alts[i], alt, / *\| */)
			for (j = 1; j <= m; j++) {
				if (alt[j] == "") continue
				allow(dep(alt[j], arch_of[k]))
			}
		}
	}
	END {
		for (k in listed) {
			if (!(k in installed) && !(k in provider))
				printf "install-deps: lists %s, which is not installed here\n", k
			allow(k)
		}
		for (k in base) allow(k)
		bad = 0
		for (f in opened) {
			if (probes != "" && f ~ probes) continue
			if (!(f in owner)) {
				if (f ~ /^\/usr\/local\//) {
					printf "%s: opened by the build, from no Debian package (installed by hand?)\n", f
					bad = 1
				}
				continue
			}
			n = split(owner[f], o, " ")
			ok = 0
			for (i = 1; i <= n; i++) if (o[i] in allowed) ok = 1
			if (!ok && !(o[1] in named)) {
				named[o[1]] = f
				bad = 1
			}
		}
		for (p in named)
			printf "%s: the build opened %s, but install-deps.sh does not install it\n", p, named[p]
		exit bad
	}' "$1" "$2" "$3" "$4"
}

# Files a tool opens to look around, not to use: clang reads the version
# of any CUDA installation under /usr/local at every start, whatever it
# compiles.  A build of this project uses nothing from them.
PROBES='^/usr/local/cuda[^/]*/'

native=${CHECK_DEPS_ARCH:-$(dpkg --print-architecture 2>/dev/null || echo amd64)}

if [ "${1:-}" = "--judge" ]; then
	[ $# -eq 5 ] || { echo "usage: check-deps.sh --judge OPENED OWNERS DB LISTED" >&2; exit 2; }
	judge "$2" "$3" "$4" "$5"
	exit $?
fi

cd "$(dirname "$0")/.."
top=$(pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/manifold-deps.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

# A copy of the tree as a clone would have it (no build/), so that the build
# is whole whatever build/ holds.
mkdir "$scratch/tree" "$scratch/trace"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$scratch/tree"
else
	tar -C "$top" --exclude=./build -cf - . | tar -C "$scratch/tree" -xf -
fi

echo "check-deps: a full build of every board under strace ($scratch)"
boards=$(cd "$scratch/tree" && make --no-print-directory -s check-boards)
if ! (cd "$scratch/tree" &&
	strace -f -qq --seccomp-bpf -e trace=open,openat,execve -e signal=none \
		-o "$scratch/trace/log" -ff \
		sh -c 'set -e
			for b in '"$boards"'; do make -j2 --no-print-directory BOARD=$b check-build; done
			make -j2 --no-print-directory sanitizers-build-sample') \
	>"$scratch/build.log" 2>&1; then
	tail -n 30 "$scratch/build.log"
	echo "check-deps: the traced build failed (above)" >&2
	exit 1
fi

# Files opened (or executed) with success, as the kernel saw the path, then
# with ".." and symbolic links resolved: dpkg knows files by their real path
# or, on a merged /usr, by their path outside /usr.
cat "$scratch"/trace/log.* |
	sed -n 's/^[a-z]*(\(AT_FDCWD, \)\{0,1\}"\(\/[^"]*\)".* = [0-9][0-9]*\( .*\)\{0,1\}$/\2/p' |
	sort -u >"$scratch/paths"
: >"$scratch/opened"
while IFS= read -r p; do
	[ -f "$p" ] || continue
	r=$(realpath -e "$p" 2>/dev/null) || continue
	case "$r" in /usr/*) printf '%s\n' "$r" ;; esac
done <"$scratch/paths" | sort -u >"$scratch/opened"

# Owners: dpkg -S of each path, and of its alias outside /usr.
sed 's,^/usr\(/\(bin\|sbin\|lib\|lib32\|lib64\|libx32\)/\),\1,' "$scratch/opened" |
	paste "$scratch/opened" - >"$scratch/aliases"
cut -f1,2 "$scratch/aliases" | tr '\t' '\n' | sort -u |
	xargs -r dpkg-query -S 2>/dev/null |
	sed -n 's/^\([^:][^ ]*\(, [^ ]*\)*\): \(\/.*\)$/\3\t\1/p' | sed 's/:$//' >"$scratch/owned-raw"
awk -F '\t' 'FILENAME == ARGV[1] { o[$1] = $2; next }
	{ if ($1 in o) print $1 "\t" o[$1]; else if ($2 in o) print $1 "\t" o[$2] }' \
	"$scratch/owned-raw" "$scratch/aliases" >"$scratch/owners"

dpkg-query -W -f='${binary:Package}:${Architecture}\t${Priority}\t${Essential}\t${Provides}\t${Pre-Depends}, ${Depends}\n' |
	sed 's/^\([^:\t]*\):[^:\t]*:\([^\t]*\)/\1:\2/' >"$scratch/db"
{
	sh scripts/install-deps.sh --list check
	for b in $boards; do sed -n 's/^BOARD_PACKAGES *:= *//p' "boards/$b/board.mk"; done | tr ' ' '\n'
} >"$scratch/listed"

n=$(wc -l <"$scratch/opened")
if judge "$scratch/opened" "$scratch/owners" "$scratch/db" "$scratch/listed"; then
	echo "check-deps: $n files under /usr opened, every package they came from is installed by install-deps.sh or the base image"
else
	echo "check-deps: add the packages above to scripts/install-deps.sh" >&2
	exit 1
fi
