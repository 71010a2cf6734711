package syncclient

import (
	"os"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/cache"
)

// buildCache derives the cyrus.cache entry and the parsed record fields
// of a message copied back from the replica, as Cyrus's message_parse
// does in sync_append_copyfile.
//
// cyrus: imap/sync_support.c sync_append_copyfile; imap/message.c message_parse (3.6.1)
func buildCache(f *os.File) (spool.CacheEntry, error) {
	st, err := f.Stat()
	if err != nil {
		return spool.CacheEntry{}, err
	}
	m, err := cache.ParseReader(f, st.Size())
	if err != nil {
		return spool.CacheEntry{}, err
	}
	return spool.CacheEntry{Bytes: m.Entry, CRC: m.CRC, Version: m.CacheVersion,
		HeaderSize: m.HeaderSize, SentDate: m.SentDate, GMTime: m.GMTime}, nil
}
