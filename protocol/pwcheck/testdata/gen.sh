#!/bin/sh
# Regenerates the fixtures of protocol/pwcheck with Debian's tools
# (sasl2-bin: saslpasswd2, sasldblistusers2; db5.3-util: db5.3_dump,
# db5.3_load). Run from anywhere: sh protocol/pwcheck/testdata/gen.sh
#
# For every database X it writes X.list (what sasldblistusers2 prints,
# sasldbs only) and X.dump (db5.3_dump -p), which the tests compare with
# what our reader finds. The fuzz seeds are rewritten too.
set -eu
cd "$(dirname "$0")"
for t in saslpasswd2 sasldblistusers2 db5.3_dump db5.3_load md5sum od; do
	command -v $t >/dev/null || { echo "$t missing: apt-get install sasl2-bin db5.3-util" >&2; exit 1; }
done
rm -f ./*.db ./*.list ./*.dump

add() { # db realm user password
	printf '%s' "$4" | saslpasswd2 -p -c -f "$1" -u "$2" "$3"
}

# small.db: several users and realms, a long password (an overflow item),
# a password with a NUL, a user name in capitals, a key too long for a
# page (an overflow key), a deleted user.
add small.db realm.test alice secret
add small.db realm.test bob bobpw
add small.db other.test alice other-alice
add small.db server.test carol carolpw
add small.db server.test Frank frankpw
add small.db realm.test dave "$(printf 'long%.0s' $(seq 500))"
printf 'ab\000cd' | saslpasswd2 -p -c -f small.db -u realm.test nul
add small.db realm.test "$(printf 'u%.0s' $(seq 1100))" longname
add small.db realm.test erin erinpw
saslpasswd2 -d -f small.db -u realm.test erin

# many.db: enough users for several pages and bucket splits.
i=0
while [ $i -lt 300 ]; do
	add many.db many.test "user$i" "pw$i"
	i=$((i + 1))
done

# many512.db: the same with small pages and a high fill factor: bucket
# overflow pages (chains).
db5.3_dump many.db | db5.3_load -c db_pagesize=512 -c h_ffactor=40 many512.db

# small-be.db: the same data big-endian; small-v8.db: the same file made
# hash version 8 with its bucket pages P_HASH_UNSORTED, as libdb 4.2-4.5
# wrote them (libdb 5.3 reads both).
db5.3_dump small.db | db5.3_load -c db_lorder=4321 small-be.db
cp small.db small-v8.db
pages=$(($(stat -c %s small-v8.db) / 4096))
printf '\010' | dd of=small-v8.db bs=1 seek=16 conv=notrunc 2>/dev/null
p=1
while [ $p -lt $pages ]; do
	if [ "$(od -An -tu1 -j $((p * 4096 + 25)) -N1 small-v8.db | tr -d ' ')" = 13 ]; then
		printf '\002' | dd of=small-v8.db bs=1 seek=$((p * 4096 + 25)) conv=notrunc 2>/dev/null
	fi
	p=$((p + 1))
done

# legacy.db: cmusaslsecretPLAIN secrets (salt, NUL, MD5(salt "sasldb"
# password)) as SASL v1 conversions left them; "both" has a userPassword
# too.
salt=0123456789abcdef
secret() { printf '%s\\00%s' "$salt" "$(printf '%ssasldb%s' "$salt" "$1" | md5sum | cut -c1-32 | sed 's/../\\&/g')"; }
{
	printf 'VERSION=3\nformat=print\ntype=hash\nHEADER=END\n'
	printf ' legacy\\00realm.test\\00cmusaslsecretPLAIN\n %s\n' "$(secret oldpw)"
	printf ' both\\00realm.test\\00cmusaslsecretPLAIN\n %s\n' "$(secret oldpw)"
	printf ' both\\00realm.test\\00userPassword\n newpw\n'
	printf ' big\\00realm.test\\00userPassword\n %s\n' "$(printf 'x%.0s' $(seq 8200))"
	printf 'DATA=END\n'
} | db5.3_load legacy.db

# dups.db, dupsort.db: duplicates on the page and off it (sasldb never has
# any; libdb databases may).
dups() {
	printf 'VERSION=3\nformat=print\ntype=hash\n'
	printf '%s\n' "$@"
	printf 'HEADER=END\n'
	i=0
	while [ $i -lt 300 ]; do printf ' many\n value%04d\n' $((299 - i)); i=$((i + 1)); done
	printf ' few\n one\n few\n two\n single\n only\n'
	printf 'DATA=END\n'
}
dups duplicates=1 | db5.3_load dups.db
dups duplicates=1 dupsort=1 | db5.3_load dupsort.db

# Databases we refuse: checksummed, and a btree.
db5.3_dump small.db | db5.3_load -c chksum=1 chksum.db
db5.3_dump small.db | sed "s/^type=hash/type=btree/; /^h_nelem=/d" | db5.3_load btree.db

for f in small.db many.db many512.db small-be.db small-v8.db legacy.db; do
	sasldblistusers2 -f "$f" >"${f%.db}.list"
done
for f in small.db many.db many512.db small-be.db small-v8.db legacy.db dups.db dupsort.db; do
	db5.3_dump -p "$f" >"${f%.db}.dump"
done

# Fuzz seeds: small page sizes, so that mutations reach the structure.
seeddir=fuzz/FuzzBDB
rm -rf "$seeddir"
mkdir -p "$seeddir"
seed() { # name file
	{
		printf 'go test fuzz v1\n[]byte("'
		od -An -v -tx1 "$2" | tr -d ' \n' | sed 's/../\\x&/g'
		printf '")\n'
	} >"$seeddir/$1"
}
tmp=$(mktemp -d)
db5.3_dump small.db | db5.3_load -c db_pagesize=512 "$tmp/small512"
db5.3_dump small.db | db5.3_load -c db_pagesize=512 -c db_lorder=4321 "$tmp/small512be"
db5.3_dump dups.db | db5.3_load -c db_pagesize=512 "$tmp/dups512"
add "$tmp/one" realm.test alice secret
seed small512 "$tmp/small512"
seed small512be "$tmp/small512be"
seed dups512 "$tmp/dups512"
seed one "$tmp/one"
rm -rf "$tmp"
