package squatterchannel

import "context"

// dispatch indexes the mailboxes of queue, up to parallel at once and
// never one mailbox twice at a time, in queue order (each is taken up, and
// should_index asked, in that order). handle sees each outcome, one at a
// time: it may append to the queue (more) or end the dispatch (stop).
// Once ctx ends no mailbox is taken up; dispatch returns when those in
// progress are done. With parallel 1 this is Cyrus's loop.
func (r *runner) dispatch(ctx context.Context, queue []string, parallel int, blocking bool,
	before func(name string) bool, handle func(o outcome) (more []string, stop bool)) {
	if parallel < 1 {
		parallel = 1
	}
	results := make(chan outcome)
	busy := map[string]bool{}
	stopped := false
	next := 0
	for {
		for !stopped && ctx.Err() == nil && next < len(queue) && len(busy) < parallel && !busy[queue[next]] {
			name := queue[next]
			next++
			if !before(name) {
				continue
			}
			busy[name] = true
			go func() { results <- r.index(ctx, name, blocking) }()
		}
		if len(busy) == 0 {
			return
		}
		o := <-results
		delete(busy, o.name)
		more, stop := handle(o)
		queue = append(queue, more...)
		stopped = stopped || stop
	}
}
