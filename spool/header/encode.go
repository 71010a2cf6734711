package header

import (
	"fmt"
	"hash/crc32"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Encode returns the file content Cyrus 3.6 writes for h: Magic, then one
// dlist kvlist line (T, N, I, Q if set, A as a kvlist, U up to the last
// used slot with NIL for free ones). It also sets h.FileCRC, which
// cyrus.index must store as header_file_crc.
//
// cyrus: imap/mailbox.c mailbox_header_data_cstring, mailbox_commit_header (3.6.1)
func (h *Header) Encode() ([]byte, error) {
	if h.OldFormat || h.Type == "" || h.Name == "" {
		return nil, fmt.Errorf("header: %s: cannot write an old-format header", h.Name)
	}
	kv := []dlist.KV{
		{Key: "T", Value: dlist.String(h.Type)},
		{Key: "N", Value: dlist.String(h.Name)},
		{Key: "I", Value: dlist.String(h.UniqueID)},
	}
	if h.QuotaRoot != "" {
		kv = append(kv, dlist.KV{Key: "Q", Value: dlist.String(h.QuotaRoot)})
	}
	acl := make([]dlist.KV, len(h.ACL))
	for i, a := range h.ACL {
		acl[i] = dlist.KV{Key: a.ID, Value: dlist.String(a.Rights)}
	}
	kv = append(kv, dlist.KV{Key: "A", Value: dlist.KVList(acl...)})
	if flags := trimFlags(h.UserFlags); len(flags) > 0 {
		items := make([]dlist.Value, len(flags))
		for i, f := range flags {
			if f == "" {
				items[i] = dlist.Nil()
			} else {
				items[i] = dlist.String(f)
			}
		}
		kv = append(kv, dlist.KV{Key: "U", Value: dlist.List(items...)})
	}
	line, err := dlist.Marshal(dlist.KVList(kv...))
	if err != nil {
		return nil, fmt.Errorf("header: %s: %w", h.Name, err)
	}
	out := make([]byte, 0, len(Magic)+len(line)+1)
	out = append(out, Magic...)
	out = append(out, line...)
	out = append(out, '\n')
	h.FileCRC = crc32.ChecksumIEEE(out)
	return out, nil
}
