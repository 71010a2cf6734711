package syncclient

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// cyrusSignals adds to ctx (which SIGINT and SIGTERM already cancel) the
// rest of Cyrus's signal handling: SIGQUIT is a graceful shutdown too, and
// SIGHUP is caught and otherwise ignored — Cyrus's sync_client installs a
// handler for it and never looks at it, so master's SIGHUP on a reload
// neither stops nor restarts it. Like Cyrus's sleep() interrupted by the
// signal, a SIGHUP ends the rolling loop's current wait early: hup
// receives it.
//
// cyrus: lib/signals.c signals_add_handlers, signals_poll_mask;
// imap/sync_client.c main (3.6.1)
func cyrusSignals(ctx context.Context) (_ context.Context, hup <-chan os.Signal, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	quit := make(chan os.Signal, 1)
	hupc := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGQUIT)
	signal.Notify(hupc, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-quit:
			cancel()
		case <-done:
		}
	}()
	return ctx, hupc, func() {
		signal.Stop(quit)
		signal.Stop(hupc)
		close(done)
		cancel()
	}
}
