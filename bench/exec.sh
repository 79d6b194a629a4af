#!/bin/sh
# bench/exec.sh IMAGE OUT [RUNS]: the whole-process figure a user sees.
# The least time of RUNS runs of the image to the end of its boot (its
# console reads a closed input and exits; the default modules.conf built
# into it; no control socket), beside a static musl program that prints one
# line, the floor, in rounds that alternate the two; and their ratio.
set -eu
image=$1
out=$2
runs=${3:-100}
mkdir -p "$out"
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$out/hello.c"
musl-gcc -static -O2 -o "$out/hello" "$out/hello.c"
${HOSTCC:-gcc} -O2 -o "$out/exec_time" "$(dirname "$0")/exec_time.c"

img=""
floor=""
for round in 1 2 3 4 5; do
	i=$("$out/exec_time" "$runs" "$image" -q -S '')
	f=$("$out/exec_time" "$runs" "$out/hello")
	{ [ -z "$img" ] || [ "$i" -lt "$img" ]; } && img=$i
	{ [ -z "$floor" ] || [ "$f" -lt "$floor" ]; } && floor=$f
done
awk -v i="$img" -v f="$floor" -v n="$((runs * 5))" 'BEGIN {
	printf "exec of the host image to the end of its boot: %d us; a static musl program printing one line: %d us; %.1fx (least of %d runs each)\n", i, f, i / f, n }'
