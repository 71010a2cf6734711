package integration

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// TestSynclogConcurrentWritersAndReader has several of our cyr_synclog
// processes and several of Cyrus's append to the same channels while our
// reader keeps taking the log away (log -> log-run) and reading it. Every
// item must be read exactly once, and no line may be torn.
func TestSynclogConcurrentWritersAndReader(t *testing.T) {
	RequireCyrus(t)
	p := newSynclogPair(t, "sync_log: 1", `sync_log_channels: "" squatter`)
	const writers, items = 3, 60 // per program kind

	// Both kinds write into the same configdirectory (Cyrus's).
	progs := map[string]string{"cyrus": p.cy.Prog("cyr_synclog"), "ours": p.ours}
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for kind, prog := range progs {
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < items; i++ {
					// A long quoted name makes a torn line likely if locking were wrong.
					name := fmt.Sprintf("user.%s%d.folder %d %s", kind, w, i, strings.Repeat("x", 300))
					out, err := p.cy.Command(prog, "-C", p.cyrusConf, "-m", name).CombinedOutput()
					if err != nil {
						errs <- fmt.Errorf("%s: %v %s", prog, err, out)
						return
					}
				}
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	syncDir := filepath.Join(p.cyrusDir, "sync")
	counts := map[string]map[string]int{"": {}, "squatter": {}}
	var malformed []string
	readOnce := func(channel string) {
		r := synclog.NewChannelReader(syncDir, channel, nil)
		parser, err := r.Begin()
		if errors.Is(err, synclog.ErrNoLog) {
			return
		}
		if err != nil {
			t.Fatalf("Begin %q: %v", channel, err)
		}
		its, err := synclog.ReadAll(parser, func(m *synclog.Malformed) { malformed = append(malformed, m.Error()) })
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range its {
			counts[channel][it.String()]++
		}
		if err := r.End(); err != nil {
			t.Fatal(err)
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(5 * time.Millisecond):
		}
		readOnce("")
		readOnce("squatter")
	}
	readOnce("")
	readOnce("squatter")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(malformed) > 0 {
		t.Errorf("torn or malformed lines: %q", malformed)
	}
	for channel, c := range counts {
		if len(c) != 2*writers*items {
			t.Errorf("channel %q: read %d distinct items, want %d", channel, len(c), 2*writers*items)
		}
		for it, n := range c {
			if n != 1 {
				t.Errorf("channel %q: %s read %d times", channel, it, n)
			}
		}
	}
}
