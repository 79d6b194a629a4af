#!/bin/sh
# bench/bench_elf.sh: `make bench-elf`.  Loading N module files with
# manifold's ELF loader (static musl program, .o files) against musl's
# dlopen + dlsym of the same code as .so files (dynamic musl program), at
# each N of BENCH_ELF_SIZES, RUNS fresh processes each; prints the least
# disturbed (minimum) microseconds a module and the ratio, the goal being
# at most 0.5.  Everything lands in build/bench/elf/.
set -eu
B=build/bench/elf
SIZES=${BENCH_ELF_SIZES:-100 1000}
RUNS=${BENCH_ELF_RUNS:-5}
CC=${BENCH_MUSLCC:-musl-gcc}
CFLAGS="-std=gnu11 -O2 -Wall -Wextra -Werror"
MODFLAGS="$CFLAGS -fno-common"
max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
mkdir -p "$B/objs" "$B/sos"

$CC $CFLAGS -static -Iruntime -Ibench -o "$B/bench_elf_static" bench/bench_elf.c bench/bench_elf_own.c \
	runtime/loadable/elf/*.c runtime/util/alloc.c -pthread
$CC $CFLAGS -Ibench -Wl,--export-dynamic -o "$B/bench_elf_dlopen" bench/bench_elf.c bench/bench_elf_dl.c
$CC $MODFLAGS -fno-pie -c -o "$B/module.o" bench/elf_module.c
$CC $MODFLAGS -fPIC -shared -o "$B/module.so" bench/elf_module.c
file "$B/bench_elf_static" | grep -q 'statically linked' || { echo "bench_elf_static is not static"; exit 1; }
i=0
while [ $i -lt "$max" ]; do
	f=$(printf 'm%05d' $i)
	[ -f "$B/objs/$f.o" ] || cp "$B/module.o" "$B/objs/$f.o"
	[ -f "$B/sos/$f.so" ] || cp "$B/module.so" "$B/sos/$f.so"
	i=$((i + 1))
done

# The minimum of RUNS processes, wall and CPU microseconds a module.
measure() {
	r=0
	while [ $r -lt "$RUNS" ]; do "$@"; r=$((r + 1)); done |
		awk 'NR == 1 || $3 < w { w = $3 } NR == 1 || $4 < c { c = $4 } END { print w, c }'
}
printf '%-6s %10s %10s %7s   %10s %10s %7s\n' N "elf wall" "dl wall" ratio "elf cpu" "dl cpu" ratio
for n in $SIZES; do
	e=$(measure "$B/bench_elf_static" "$B/objs" "$n")
	d=$(measure "$B/bench_elf_dlopen" "$B/sos" "$n")
	echo "$n $e $d" | awk '{ printf "%-6s %10.1f %10.1f %7.2f   %10.1f %10.1f %7.2f\n",
		$1, $2, $4, $2 / $4, $3, $5, $3 / $5 }'
done
