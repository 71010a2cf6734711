package spool

import (
	"fmt"
	"strconv"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// MarshalN returns the value of e's N record (key "N" + DBName(e.Name)),
// byte for byte as Cyrus writes it: T, then I, P, S, V, C, F when set, M,
// and A when e.ACL is non-nil. M is e.MTime; writers set it to the time of
// the write, as Cyrus does.
//
// cyrus: imap/mboxlist.c mboxlist_entry_dlist, mboxlist_update_entry (3.6.1)
func (e *Entry) MarshalN() ([]byte, error) { return e.marshal(false) }

// MarshalI returns the value of e's I record (key "I" + e.UniqueID): as
// MarshalN but with N (the dbname) in place of I, and the H list of
// e.History (always present, "H ()" when empty).
func (e *Entry) MarshalI() ([]byte, error) { return e.marshal(true) }

func (e *Entry) marshal(byID bool) ([]byte, error) {
	kv := []dlist.KV{{Key: "T", Value: dlist.String(e.Type.String())}}
	if byID {
		kv = append(kv, dlist.KV{Key: "N", Value: dlist.String(DBName(e.Name))})
	} else if e.UniqueID != "" {
		kv = append(kv, dlist.KV{Key: "I", Value: dlist.String(e.UniqueID)})
	}
	if e.Partition != "" {
		kv = append(kv, dlist.KV{Key: "P", Value: dlist.String(e.Partition)})
	}
	if e.Server != "" {
		kv = append(kv, dlist.KV{Key: "S", Value: dlist.String(e.Server)})
	}
	kv = appendNums(kv, uint64(e.UIDValidity), e.CreatedModseq, e.FolderModseq)
	kv = append(kv, dlist.KV{Key: "M", Value: num(uint64(e.MTime))})
	if e.ACL != nil {
		acl := make([]dlist.KV, len(e.ACL))
		for i, a := range e.ACL {
			acl[i] = dlist.KV{Key: a.ID, Value: dlist.String(a.Rights)}
		}
		kv = append(kv, dlist.KV{Key: "A", Value: dlist.KVList(acl...)})
	}
	if byID {
		items := make([]dlist.Value, len(e.History))
		for i, h := range e.History {
			items[i] = h.dlist()
		}
		kv = append(kv, dlist.KV{Key: "H", Value: dlist.List(items...)})
	}
	b, err := dlist.Marshal(dlist.KVList(kv...))
	if err != nil {
		// only an ACL identifier holding a NUL byte gets here
		return nil, fmt.Errorf("spool: mailbox %s: %w", e.Name, err)
	}
	return b, nil
}

// dlist is one item of the H list: N, M, V, C, F when set, T, then P.
func (h HistoryEntry) dlist() dlist.Value {
	kv := []dlist.KV{{Key: "N", Value: dlist.String(DBName(h.Name))}}
	if h.MTime != 0 {
		kv = append(kv, dlist.KV{Key: "M", Value: num(uint64(h.MTime))})
	}
	kv = appendNums(kv, uint64(h.UIDValidity), h.CreatedModseq, h.FolderModseq)
	kv = append(kv, dlist.KV{Key: "T", Value: dlist.String(h.Type.String())})
	if h.Partition != "" {
		kv = append(kv, dlist.KV{Key: "P", Value: dlist.String(h.Partition)})
	}
	return dlist.KVList(kv...)
}

// appendNums appends V, C and F, each only when non-zero.
func appendNums(kv []dlist.KV, uidvalidity, created, folder uint64) []dlist.KV {
	for _, f := range []struct {
		key string
		v   uint64
	}{{"V", uidvalidity}, {"C", created}, {"F", folder}} {
		if f.v != 0 {
			kv = append(kv, dlist.KV{Key: f.key, Value: num(f.v)})
		}
	}
	return kv
}

func num(v uint64) dlist.Value { return dlist.String(strconv.FormatUint(v, 10)) }
