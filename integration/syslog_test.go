package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCyrSynclogSyslogMatchesCyrus makes both cyr_synclogs fail to write
// their log (sync/ is a file, not a directory) and wants the same syslog
// lines: ident, facility, severity and text (paths mapped).
func TestCyrSynclogSyslogMatchesCyrus(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	t.Run("syslog_prefix", func(t *testing.T) {
		syslogDiff(t, sl, "sync_log: 1", `sync_log_channels: "" squatter`, "syslog_prefix: cyrepl")
	})
	t.Run("defaults", func(t *testing.T) { syslogDiff(t, sl, "sync_log: 1") })
	t.Run("syslog_facility", func(t *testing.T) { syslogDiff(t, sl, "sync_log: 1", "syslog_facility: LOCAL3") })
}

func syslogDiff(t *testing.T, sl *Syslog, conf ...string) {
	p := newSynclogPair(t, conf...)
	for _, d := range []string{p.cyrusDir, p.oursDir} {
		os.WriteFile(filepath.Join(d, "sync"), []byte("not a directory"), 0o644)
		Chown(t, filepath.Join(d, "sync"))
	}
	run := func(prog, conf string) []string {
		res := p.cy.Run(t, nil, prog, "-C", conf, "-u", "fred")
		if res.Code != 0 {
			t.Errorf("%s exit %d (a write failure is only logged): %s", prog, res.Code, res.Stderr)
		}
		var out []string
		for _, l := range sl.Take("cyr_synclog") {
			// Cyrus's start-up opens its database environment and, in a
			// bare test configdirectory, complains about db/skipstamp (3.6:
			// one line, 3.10: two); we open no database environment.
			if strings.HasPrefix(l.Msg, "DBERROR: read failed, assuming the worst: filename=<") ||
				strings.HasPrefix(l.Msg, "skipstamp is missing, have you run `ctl_cyrusdb -r`?: filename=<") ||
				strings.HasPrefix(l.Msg, "DBERROR: skipstamp unreadable, assuming the worst: filename=<") {
				continue
			}
			out = append(out, fmt.Sprintf("%s fac=%d sev=%d %s", l.Ident, l.Facility, l.Severity, l.Msg))
		}
		return out
	}
	want := run(p.cy.Prog("cyr_synclog"), p.cyrusConf)
	got := run(p.ours, p.oursConf)
	if len(want) == 0 {
		t.Fatal("Cyrus logged nothing: the test proves nothing")
	}
	norm := strings.NewReplacer(p.cyrusDir, "DIR", p.oursDir, "DIR")
	if w, g := norm.Replace(strings.Join(want, "\n")), norm.Replace(strings.Join(got, "\n")); w != g {
		t.Errorf("syslog differs:\n ours:\n%s\n Cyrus:\n%s", g, w)
	}
}
