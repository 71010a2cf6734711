# cyrus-replication — see README.md.
#   make demo   build; a sync log; our sync_client into our sync_server (no Cyrus, no root needed);
#               as root with Cyrus installed, also our sync_client between two real Cyrus servers
#   make test   install real Cyrus 3.6 if missing (root) and build the Cyrus 3.10 (Debian trixie) root
#               if missing, then every test, integration included, and the 3.10 and mixed subsets
#   make bench  benchmarks (figures as ratios where a Cyrus counterpart exists)
#   make deb    the Debian package cyrus-replication_<version>_<arch>.deb (no root needed)
#   make man    the man pages, into man/
#   make cassandane  Cyrus's own replication tests: stock Cyrus, ours as sync_client, ours as both (root)
#   make cassandane310  the same, Cassandane 3.10.2 against Cyrus 3.10.2 in the trixie root (root)

GO      ?= go
BIN     := cyrus-replication
PKGS    := ./...
CYRUS_BIN ?= /usr/lib/cyrus/bin
STATICCHECK_VERSION := v0.8.2

export CGO_ENABLED := 0
# urfave_cli_no_docs: no man-page generator (go-md2man, blackfriday) in the
# binary; main_test.go pins the dependency list built this way.
export GOFLAGS := -buildvcs=false -tags=urfave_cli_no_docs

.PHONY: all build demo test unit integration integration310 cyrus cyrus310 lint bench fuzz clean deb man cassandane cassandane310

all: build

build:
	$(GO) build -trimpath -o $(BIN) .

# The sync log on an embedded default config; then a master spool made by
# Cyrus replicated by our sync_client into our sync_server --listen, both
# read back and compared (no Cyrus, no root); then, only as root with Cyrus
# installed, a real Cyrus master and replica on loopback, mail delivered,
# our sync_client replicating it, both sides compared over IMAP.
demo: build
	@sh scripts/demo.sh ./$(BIN)
	@echo; $(GO) run ./internal/demo -bin ./$(BIN)
	@if [ "$$(id -u)" != 0 ] || [ ! -x "$(CYRUS_BIN)/master" ]; then \
	  echo; echo "(the part with real Cyrus 3.6 servers needs root and Cyrus in $(CYRUS_BIN): make test installs it)"; exit 0; fi; \
	  echo; echo "--- replication: our sync_client between two real Cyrus 3.6 servers"; \
	  out=$$(mktemp); $(GO) test -count=1 -run '^TestDemo$$' -v ./integration/ > $$out 2>&1; rc=$$?; \
	  sed -n 's/^    //p; /^--- /p; /^ok /p; /^FAIL/p' $$out; rm -f $$out; exit $$rc

# The Debian package (packaging/debian, scripts/deb.sh) and the man pages
# (internal/mangen, from the applets' flag tables).
deb:
	@GO="$(GO)" sh scripts/deb.sh .

man:
	$(GO) run ./internal/mangen -o man


# Real Cyrus is the oracle: the integration tests need it and root.
cyrus:
	@sh scripts/need-cyrus.sh "$(CYRUS_BIN)"

# Cyrus 3.10, the second oracle: Debian trixie's packages in a root built
# once with debootstrap (installed if missing) from Debian's archive and
# kept in /var/cache/cyrepl/trixie; its programs run chrooted beside 3.6.
cyrus310: cyrus
	@sh scripts/need-cyrus310.sh

# The integration tests run against 3.6 by default; $CYREPL_CYRUS picks
# 3.10 or a mixed pair (master-replica). make test runs these subsets
# against 3.10 (about 8 minutes) and against each of MIXED_PAIRS (the
# upgrade pair, a 3.6 master with a 3.10 replica: about 3 minutes). More:
# make integration310 CYRUS310_TESTS=. MIXED_PAIRS="3.6-3.10 3.10-3.6".
CYRUS310_TESTS ?= ^(TestSyncClientScenarios|TestSyncServerScenarios|TestSyncServerSpoolLikeCyrus|TestSyncServerGetLikeCyrus|TestConfMatchesCyrInfo|TestConfErrorsMatchCyrus|TestCyrSynclog.*|TestSpoolLifecycle|TestSpoolRead|TestSpoolStores|TestRollingFileItems|TestRollingLive|TestRollingUnderMaster|TestRollingBackground|TestRollingSignals|TestRollingTwoChannels|TestSyncClientTermWhileConnecting|TestClientSTARTTLSAgainstCyrus|TestPwcheckSasldbTools|TestSyncClientScenarioVerboseLikeCyrus|TestSyncServerDiskFull|TestArchive.*|TestSyncReset.*|TestTwoskipWrite.*|TestRollingKilled|TestSquatterChannel|TestSquatterChannelNotSquat|TestSquatterChannelLockedAndSignals|TestSpoolCache|TestSpoolSyncCRCs|TestSyncClientBadResponseLikeCyrus|TestSyncClientUsageLikeCyrus|TestSyncServerKilled|TestSyncServerListen|TestSyncServerUnderMaster|TestRollingDeferral|TestRollingWorkers|TestRollingWorkersUserRetry|TestAllWorkers|TestSyncLockExcludesCyrusClient|TestSyncClientLegacySieveLikeCyrus|TestSyncClientScenarioImmediateDelete|TestSpoolSieveDifferential|TestSpoolVirtDomains|TestSpoolLockOrder|TestSpoolLiveReader|TestClientSessionAgainstCyrus|TestCyrusClientAgainstOurServer|TestTypedAgainstCyrus|TestPipelineCyrusReplica|TestReaderOnLogsCyrusWrites|TestSquatterChannelNative|TestSquatLikeCyrus|TestSquatFormat|TestSearchText|TestSquatNamelessFirst)$$
MIXED_TESTS    ?= ^(TestSyncClientScenarios|TestSyncServerScenarios)$$
MIXED_PAIRS    ?= 3.6-3.10
integration310: cyrus310
	CYREPL_CYRUS=3.10 $(GO) test -count=1 -timeout 20m $(GOTESTFLAGS) -run '$(CYRUS310_TESTS)' ./integration/
	@set -e; for p in $(MIXED_PAIRS); do \
	  echo "CYREPL_CYRUS=$$p $(GO) test -count=1 -timeout 20m -run '$(MIXED_TESTS)' ./integration/"; \
	  CYREPL_CYRUS=$$p $(GO) test -count=1 -timeout 20m -run '$(MIXED_TESTS)' ./integration/; \
	done

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above are not formatted"; exit 1; }
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck $(PKGS)

unit:
	$(GO) test -count=1 $$($(GO) list $(PKGS) | grep -v /integration)

integration: cyrus
	$(GO) test -count=1 -timeout 20m ./integration/

# GOTESTFLAGS: more go test flags (-v to see each test's time).
test: build lint cyrus cyrus310
	$(GO) test -count=1 -timeout 25m $(GOTESTFLAGS) $(PKGS)
	$(MAKE) --no-print-directory integration310

# Unit benchmarks, then sync_client -A of a generated corpus by Cyrus's and by
# ours into fresh real replicas (BENCH_USERS, BENCH_FOLDERS, BENCH_MESSAGES
# size it; default 20 x 5 x 400; the corpus is kept in /tmp between runs).
# Then rolling replication, Cyrus's client and ours side by side: lag at
# 5/s and 50/s, CPU, RSS, catch-up and idle CPU (BENCH_ROLL_USERS,
# BENCH_ROLL_SECONDS, BENCH_ROLL_CATCHUP, BENCH_ROLL_IDLE, BENCH_ROLL_IMAP=0
# size it; default 4 users, 10 s per rate, 10000 items, 10 s idle). It
# measures once, so it runs apart from the rounds above, with 1x (-v: its
# table in full). Last, mailbox updates per second over a 70 ms round trip
# (a latency proxy before the replica; BENCH_LAT_USERS, BENCH_LAT_FOLDERS,
# BENCH_LAT_ROUNDS, BENCH_LAT_DELAY_MS size it; default 10 x 10, 2 rounds,
# 35 ms each way), Cyrus's client and ours with and without workers and
# pipelining. Then SQUAT indexing, Cyrus's squatter and our
# squatter-channel on one user's INBOX: a full index and incremental
# cycles of 100 messages, each index compared byte for byte
# (BENCH_SQUAT_MESSAGES, BENCH_SQUAT_CYCLES size it; default 10000, 5).
BENCH_ROUNDS ?= 3
bench: cyrus
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list $(PKGS) | grep -v /integration)
	$(GO) test -run '^$$' -bench InitialSyncAll -benchtime $(BENCH_ROUNDS)x -timeout 60m ./integration/
	$(GO) test -run '^$$' -bench '^BenchmarkRolling$$' -benchtime 1x -v -timeout 30m ./integration/
	$(GO) test -run '^$$' -bench '^BenchmarkSlowLinkUpdates$$' -benchtime 1x -v -timeout 30m ./integration/
	$(GO) test -run '^$$' -bench '^BenchmarkThroughput$$' -benchtime 1x -v -timeout 60m ./integration/
	$(GO) test -run '^$$' -bench '^BenchmarkSquatter$$' -benchtime 1x -v -timeout 30m ./integration/

# Cassandane, Cyrus's own test suite: its Replication tests with stock
# Cyrus, our binary as sync_client, and ours as sync_client and sync_server
# (CASS_CONFIGS picks); a table of the results, and a failure for any test
# that passes with stock Cyrus and not with ours. As root. CASSANDANE is the
# suite (Cassandane's source as released with Cyrus, setup.sh, run.sh).
CASSANDANE ?= $(CURDIR)/../shared/cassandane
CASS_CONFIGS ?= stock client both
cassandane: build
	@CASSANDANE="$(CASSANDANE)" CASS_CONFIGS="$(CASS_CONFIGS)" sh scripts/cassandane.sh ./$(BIN)

# Cassandane as released with 3.10.2, set up and run inside the trixie root
# of make cyrus310 against its Cyrus 3.10.2 (CASS_CONFIGS as above).
CYRUS310_ROOT ?= /var/cache/cyrepl/trixie
cassandane310: build
	@CASSANDANE="$(CASSANDANE)" CASS_CONFIGS="$(CASS_CONFIGS)" CASS_ROOT="$(CYRUS310_ROOT)" sh scripts/cassandane.sh ./$(BIN)

# Every fuzz target of the tree, FUZZTIME each (seeds live in testdata/fuzz/).
FUZZTIME ?= 30s
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
	    echo "== $$(dirname $$f) $$t"; \
	    $(GO) test "./$$(dirname $$f)" -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; done

clean:
	rm -rf $(BIN) man cyrus-replication_*.deb
