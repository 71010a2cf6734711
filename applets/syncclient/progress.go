package syncclient

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

// progressEvery is how often the progress line is redrawn at most.
const progressEvery = 200 * time.Millisecond

// progress is the single self-overwriting line a long one-shot run (-A,
// -u) shows on a terminal (ours: Cyrus's sync_client shows nothing):
// users done of the total, messages and bytes uploaded, rates. It is
// shown only when stderr is a terminal and without -v (whose lines are
// the progress then), so what scripts and -v see stays Cyrus's. It is
// also the run's stderr: a message written there first clears the line.
// A nil *progress shows nothing.
type progress struct {
	w     io.Writer
	now   func() time.Time
	width int // columns, 0: unknown

	mu          sync.Mutex
	start, last time.Time
	total, done int
	msgs, bytes int64
	shown       bool // the line is on the screen
}

// newProgress is the progress line on stderr, or nil when stderr is not
// a terminal or -v is given.
func newProgress(stderr io.Writer, verbose int) *progress {
	f, ok := stderr.(*os.File)
	if !ok || verbose > 0 || !isTerminal(f) {
		return nil
	}
	p := &progress{w: f, now: time.Now}
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
		p.width = int(ws.Col)
	}
	p.start = p.now()
	return p
}

// isTerminal tells whether f is a terminal (it has termios settings).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// setTotal sets how many users the run will sync.
func (p *progress) setTotal(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total = n
	p.mu.Unlock()
}

// userDone counts a user synced (or failed: it is behind us either way).
func (p *progress) userDone() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done++
	p.draw(p.done == p.total)
	p.mu.Unlock()
}

// sent counts bytes of a message file streamed and, at its end, the
// message.
func (p *progress) sent(n int, eof bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.bytes += int64(n)
	if eof {
		p.msgs++
	}
	p.draw(false)
	p.mu.Unlock()
}

// finish draws the final state and ends the line, if there was one.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last.IsZero() {
		return // nothing was shown (the run ended before any user)
	}
	p.draw(true)
	io.WriteString(p.w, "\n")
	p.shown = false
}

// Write is the run's stderr: the line is cleared, p written; the next
// update draws the line again below it.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
	return p.w.Write(b)
}

// draw rewrites the line, at most every progressEvery unless force. The
// caller holds p.mu.
func (p *progress) draw(force bool) {
	now := p.now()
	if !force && p.shown && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	secs := now.Sub(p.start).Seconds()
	line := fmt.Sprintf("sync_client: %d/%d users, %d messages, %s sent", p.done, p.total, p.msgs, humanBytes(float64(p.bytes)))
	if secs >= 1 {
		line += fmt.Sprintf(", %.1f msg/s, %s/s", float64(p.msgs)/secs, humanBytes(float64(p.bytes)/secs))
	}
	if p.width > 1 && len(line) > p.width-1 {
		line = line[:p.width-1] // a wrapped line could not be overwritten
	}
	io.WriteString(p.w, "\r"+line+"\x1b[K")
	p.shown = true
}

// humanBytes is n in B, KiB, MiB, GiB or TiB.
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// countUsers is how many users -A will sync (the walk of run.all, without
// syncing): a first pass over mailboxes.db, made only for the progress
// line.
func (r *run) countUsers(ctx context.Context, list *spool.MailboxList, prefix string) int {
	n, prev := 0, ""
	for e, err := range list.Entries(ctx) {
		if err != nil {
			break
		}
		if !strings.HasPrefix(e.Name, prefix) || e.Deleted() || e.Intermediate() {
			continue
		}
		m := r.s.ns.ParseInternal(e.Name)
		if u := m.UserID(); u != "" && m.Deleted == 0 && u != prev {
			n, prev = n+1, u
		}
	}
	return n
}
