# Helpers for the symbolizer's integration tests and benchmark (sourced).

# The separate debug file of an ELF by its build-id, if installed.
debug_file_of() { # ELF
	_bid=$(readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
	[ -n "$_bid" ] || return 1
	_f=/usr/lib/debug/.build-id/$(echo "$_bid" | cut -c1-2)/$(echo "$_bid" | cut -c3-).debug
	[ -f "$_f" ] || return 1
	echo "$_f"
}

# N random addresses (hex) inside the sized function symbols of SYMFILE,
# reproducible for a given SEED: the functions are drawn uniformly, then an
# offset inside each.
draw_addresses() { # SYMFILE N SEED
	nm -S --defined-only "$1" 2>/dev/null |
		awk 'NF == 4 && $3 ~ /^[tTwWi]$/ && $2 !~ /^0+$/ { print $1, $2 }' |
		sort -u |
		awk -v n="$2" -v seed="$3" '
		function hex(s,   i, c, v) {
			v = 0
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
				v = v * 16 + c
			}
			return v
		}
		{ a[NR] = hex($1); s[NR] = hex($2) }
		END {
			if (NR == 0) exit 1
			srand(seed)
			for (i = 0; i < n; i++) {
				k = int(rand() * NR) + 1
				printf "0x%x\n", a[k] + int(rand() * s[k])
			}
		}'
}

# Turns `addr2line -a ...` output into one line per address: the address, a
# tab, then every line printed for it joined by " | ".
per_address() { # FILE
	awk '/^0x[0-9a-f]+$/ { if (rec != "") print rec; rec = $0 "\t"; next }
		{ rec = rec " | " $0 }
		END { if (rec != "") print rec }' "$1"
}

# Prints "SAME TOTAL" comparing two per_address files line by line.
agreement() { # A B
	paste -d '\n' "$1" "$2" | awk 'NR % 2 { a = $0; next } { n++; if (a == $0) s++ } END { print s + 0, n + 0 }'
}
