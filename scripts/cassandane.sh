#!/bin/sh
# make cassandane: Cyrus's own replication tests (Cassandane's Replication
# suite) run against the installed Cyrus three ways — stock, our binary as
# sync_client, ours as sync_client and sync_server — then a table of test x
# configuration, and exit 1 if a test that passes with stock Cyrus does not
# pass with ours (or if the stock run gives no results at all).
#
#   scripts/cassandane.sh BINARY
#
# CASSANDANE   the suite: Cassandane's source tarball as released with Cyrus,
#              with setup.sh and run.sh beside it (../shared/cassandane)
# CASS_CONFIGS which configurations, in order (stock client both); stock
#              is the baseline: left out, it runs after ours and only for
#              the tests ours did not pass (none: it does not run at all)
# CASS_SUITE   what Cassandane runs (Replication)
# CASS_BASE    where setup.sh and run.sh work (/opt/cass)
# CASS_ROOT    a Debian root holding the Cyrus to test (make cassandane310:
#              scripts/need-cyrus310.sh's trixie root with Cyrus 3.10.2);
#              empty: the machine's own Cyrus. In a root, Cassandane as
#              released with that Cyrus runs there too (chroot), set up by
#              scripts/cassandane-root-setup.sh, and CASS_BASE is a path
#              inside the root.
# Cassandane writes under CASS_BASE and /var/tmp/cass and uses ports from
# 29100 (29300 in a root): two runs at once would collide, so a lock
# serialises them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: scripts/cassandane.sh BINARY}
suite=${CASSANDANE:-../shared/cassandane}
configs=${CASS_CONFIGS:-stock client both}
what=${CASS_SUITE:-Replication}
base=${CASS_BASE:-/opt/cass}
root=${CASS_ROOT:-}
export CASS_BASE="$base"

if [ ! -f "$suite/setup.sh" ] || [ ! -f "$suite/run.sh" ]; then
  cat >&2 <<EOF
make cassandane: no Cassandane suite at $suite
  It is the directory that holds Cassandane's source as released with Cyrus
  (cassandane-3.6.1.tar.gz: cassandane/ and perl/imap/ of the cyrus-imapd
  release tag, https://github.com/cyrusimap/cyrus-imapd) with the setup.sh
  and run.sh that run it against Debian's Cyrus; on the project's machines it
  is ../shared/cassandane beside the repository.
  Point at a copy with:  make cassandane CASSANDANE=/path/to/cassandane
EOF
  exit 1
fi
suite=$(cd "$suite" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "make cassandane must run as root: Cassandane's setup installs Debian packages and runs Cyrus as the cyrus user." >&2
  exit 1
fi
bin=$(readlink -f "$bin")
[ -x "$bin" ] || { echo "make cassandane: not executable: $bin" >&2; exit 1; }
if [ -n "$root" ]; then
  sh "$here/need-cyrus310.sh" "$root" || exit 1
  root=$(cd "$root" && pwd)
fi
# host: Cassandane's base as the machine sees it
host=$root$base
mkdir -p "$host" || exit 1

exec 9>"$host/.cyrepl-run.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  echo "[cassandane] another Cassandane run holds $base; waiting"
  flock 9
fi

# inroot CMD [ARG...]: CMD in the root (chrooted, /proc and /dev mounted in
# a mount namespace of its own that ends with it), or on the machine.
inroot() {
  if [ -z "$root" ]; then
    "$@"
    return
  fi
  unshare --mount --propagation private -- sh -c \
    'r=$1; shift; mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && exec chroot "$r" "$@"' \
    sh "$root" "$@"
}

# setup.sh is idempotent but slow to re-check: it runs again only when it,
# or the source it unpacks, changed since its last success here. In a root,
# the suite's run.sh, the tarball of the root's Cyrus and our binary are
# copied into it (CASS_BASE/suite) and cassandane-root-setup.sh does
# setup.sh's work there.
stamp="$host/.cyrepl-setup"
if [ -n "$root" ]; then
  version=$(chroot "$root" dpkg-query -W -f='${Version}' cyrus-common | sed 's/-.*//')
  tarball=$suite/cassandane-$version.tar.gz
  [ -f "$tarball" ] || { echo "make cassandane: no Cassandane for the root's Cyrus $version: $tarball" >&2; exit 1; }
  mkdir -p "$host/suite" || exit 1
  cp "$suite/run.sh" "$tarball" "$here/cassandane-root-setup.sh" "$here/cassandane-privdev.sh" "$host/suite/" || exit 1
  cp "$bin" "$host/suite/cyrus-replication.new" && mv "$host/suite/cyrus-replication.new" "$host/suite/cyrus-replication" || exit 1
  # our binary and its catcher as they are seen from the machine and in the root
  bin=$host/suite/cyrus-replication
  runbin=$base/suite/cyrus-replication
  setup="sh $base/suite/cassandane-root-setup.sh $base/suite/${tarball##*/} $base /var/tmp/cass 29300"
  sum=$(cat "$here/cassandane-root-setup.sh" "$tarball" | sha256sum | cut -d' ' -f1)
else
  runbin=$bin
  setup=$suite/setup.sh
  sum=$(cat "$suite/setup.sh" "$suite"/cassandane-*.tar.gz | sha256sum | cut -d' ' -f1)
fi
if [ -f "$host/cassandane.ini" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
  echo "[cassandane] setup: done before (remove $stamp to redo it)"
else
  echo "[cassandane] setup: $setup${root:+ (in $root)}"
  if [ -n "$root" ]; then
    # shellcheck disable=SC2086 # a command line of paths without blanks
    inroot $setup
  else
    "$setup"
  fi || { echo "make cassandane: $setup failed" >&2; exit 1; }
  echo "$sum" > "$stamp"
fi
runsh=$suite/run.sh
privdev=$here/cassandane-privdev.sh
asuser=""
if [ -n "$root" ]; then
  runsh=$base/suite/run.sh
  privdev=$base/suite/cassandane-privdev.sh
  # run.sh as cyrus from the start: trixie's Test::TCP (some of 3.10.2's
  # test modules load it) turns on Test2's IPC, whose temporary directory
  # testrunner.pl would make as root and no longer open once it has become
  # cyrus ("Bail out!" lines that run.sh takes for tests).
  asuser="setpriv --reuid=cyrus --regid=mail --init-groups"
fi

# Our static binary does not load Cassandane's syslog shim: its lines go to
# /dev/log. A run with our binary gets a /dev/log of its own (a private
# mount namespace, scripts/cassandane-privdev.sh) on which
# scripts/cassandane-devlog.py copies what our processes send into the
# instances' logs, whatever their ident (run.sh's own catcher goes by
# program name and misses a sync_server run under a service name). The
# machine's /dev/log is never touched: a syslog daemon, or an integration
# test binding it or moving it aside meanwhile, changes nothing.
rootdir=$(sed -n 's/^rootdir *= *//p' "$host/cassandane.ini" | head -1)
devlog="$base/devlog.sock"
if ! command -v unshare >/dev/null 2>&1; then
  echo "make cassandane: unshare (util-linux) is needed to give our binary a /dev/log of its own" >&2
  exit 1
fi

# run CONFIG: one run of the suite; its results land in $results/CONFIG.
results=$(mktemp -d)
catcher=""
stop_catcher() {
  [ -n "$catcher" ] && kill "$catcher" 2>/dev/null && wait "$catcher" 2>/dev/null
  catcher=""
}
trap 'stop_catcher; rm -rf "$results"' EXIT
trap 'exit 130' INT TERM
run() {
  case $1 in
    stock) set -- "$1" ;;
    client) set -- "$1" --sync-client "$runbin" --no-catch-syslog ;;
    both) set -- "$1" --sync-client "$runbin" --sync-server "$runbin" --no-catch-syslog ;;
    *) echo "make cassandane: unknown configuration $1 (stock, client, both)" >&2; return 1 ;;
  esac
  config=$1
  shift
  tag=cyrepl-$config
  private=""
  if [ "$config" != stock ]; then
    python3 "$here/cassandane-devlog.py" "$root${rootdir:-/var/tmp/cass}" "$bin" "$root$devlog" &
    catcher=$!
    sleep 1
    kill -0 "$catcher" 2>/dev/null || { catcher=""; echo "make cassandane: the syslog catcher did not start" >&2; return 1; }
    private=1
  fi
  start=$(date +%s)
  echo "[cassandane] $config: run.sh $* $what"
  # shellcheck disable=SC2086 # $tests: test names, no blanks
  if [ -n "$private" ]; then
    # (a root's namespace is already private)
    if [ -n "$root" ]; then
      inroot sh "$privdev" "$devlog" $asuser "$runsh" --tag "$tag" "$@" $tests > "$results/$config.out" 2>&1
    else
      unshare --mount --propagation private sh "$privdev" "$devlog" \
        "$runsh" --tag "$tag" "$@" $tests > "$results/$config.out" 2>&1
    fi
  else
    inroot $asuser "$runsh" --tag "$tag" "$@" $tests > "$results/$config.out" 2>&1
  fi
  stop_catcher
  echo "[cassandane] $config: $(($(date +%s) - start)) s; log $host/logs/$tag-$what.log"
  # run.sh's summary: "PASS Replication.test_x" (FAIL, ERROR, SKIP)
  awk '$1 ~ /^(PASS|FAIL|ERROR|SKIP)$/ && NF == 2 {print $2, $1}' "$results/$config.out" > "$results/$config"
}

tests=$what
ours=""
for c in $configs; do [ "$c" = stock ] || ours="$ours $c"; done
case " $configs " in
*" stock "*)
  order="stock$ours"
  for c in $order; do run "$c" || exit 1; done
  ;;
*)
  # Ours first; the baseline only where ours did not pass.
  for c in $ours; do run "$c" || exit 1; done
  # (SKIP: tests Cassandane itself leaves out for this Cyrus; run.sh takes
  # the names without Cassandane's "Cyrus::")
  tests=$(for c in $ours; do awk '$2 != "PASS" && $2 != "SKIP" {sub(/^Cyrus::/, "", $1); print $1}' "$results/$c"; done | sort -u | tr '\n' ' ')
  for c in $ours; do
    if ! grep -q ' PASS$' "$results/$c"; then
      echo "make cassandane: the run with ours ($c) gave no passing test; its output:" >&2
      cat "$results/$c.out" >&2
      exit 1
    fi
  done
  if [ -z "$tests" ]; then
    echo "[cassandane] every test passed with ours ($ours ): the stock baseline is not needed"
    order=${ours# }
    : > "$results/stock"
  else
    echo "[cassandane] not passed with ours: $tests- the stock baseline for those"
    run stock || exit 1
    # a baseline that did not run a test must not excuse ours
    for t in $tests; do
      if ! awk -v t="$t" '$1 == t || $1 == "Cyrus::" t {f = 1} END {exit !f}' "$results/stock"; then
        echo "make cassandane: the stock baseline gave no result for $t; its output:" >&2
        cat "$results/stock.out" >&2
        exit 1
      fi
    done
    order="stock$ours"
  fi
  partial=1
  ;;
esac

if [ -z "${partial:-}" ] && { [ ! -s "$results/stock" ] || ! grep -q ' PASS$' "$results/stock"; }; then
  echo "make cassandane: the stock run gave no passing test; its output:" >&2
  cat "$results/stock.out" >&2
  exit 1
fi

# The table: every test any run reported, one column per configuration.
printf '\n%-58s' "$what"
for c in $order; do printf ' %-6s' "$c"; done
echo
for c in $order; do cut -d' ' -f1 "$results/$c"; done | sort -u | while read -r t; do
  printf '%-58s' "${t#Cyrus::}"
  for c in $order; do
    r=$(awk -v t="$t" '$1 == t {print $2}' "$results/$c")
    printf ' %-6s' "${r:--}"
  done
  echo
done
printf '%-58s' "passed"
for c in $order; do printf ' %-6s' "$(grep -c ' PASS$' "$results/$c")"; done
echo

status=0
for c in $order; do
  [ "$c" = stock ] && continue
  while read -r t r; do
    [ "$r" = PASS ] || continue
    got=$(awk -v t="$t" '$1 == t {print $2}' "$results/$c")
    if [ "$got" != PASS ]; then
      echo "REGRESSION: $t passes with stock Cyrus, ${got:-is missing} with ours ($c)"
      status=1
    fi
  done < "$results/stock"
done
[ $status = 0 ] && echo "[cassandane] every test that passes with stock Cyrus passes with ours"
exit $status
