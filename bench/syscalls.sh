#!/bin/sh
# bench/syscalls.sh PROG OP INFO DIR N: the system calls of one operation of
# bench_loadable (count-OP), counted by strace: the process run with 1000
# operations and with none, the difference divided by 1000.  Prints
#   <op> N=<n>: <all> system calls, <file> on files (%file), per operation
set -eu
prog=$1 op=$2 info=$3 dir=$4 n=$5
k=1000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
calls() {
	strace -f -qq -c -o "$tmp/$1.$2" ${3:+-e trace=$3} "$prog" "count-$op" "$info" "$dir" "$2" \
		>/dev/null
	# The summary's last line: % time, seconds, usecs/call, calls[, errors] total
	awk '$NF == "total" { print $4 }' "$tmp/$1.$2"
}
# Once first, so that both runs find the directory's index written.
"$prog" "count-$op" "$info" "$dir" 0 >/dev/null
all0=$(calls all 0) all1=$(calls all $k)
file0=$(calls file 0 %file) file1=$(calls file $k %file)
awk -v op="$op" -v n="$n" -v a0="$all0" -v a1="$all1" -v f0="$file0" -v f1="$file1" -v k="$k" \
	'BEGIN { printf "  %-12s N=%-6s %6.2f system calls, %5.2f on files (%%file), per operation\n",
		 op, n, (a1 - a0) / k, (f1 - f0) / k }'
