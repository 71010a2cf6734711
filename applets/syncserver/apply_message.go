package syncserver

import (
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// applyMessage is APPLY MESSAGE. The file literals were staged while the
// line was read (staging.receive); the command itself has nothing left to
// do. NIL items (files the client could not read) are ignored, as Cyrus
// ignores items that are not files.
//
// cyrus: imap/sync_support.c sync_apply_message (3.6.1)
func (r *replica) applyMessage(*protocol.ApplyMessage) error { return nil }
