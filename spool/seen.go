package spool

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// SeenPath returns userid's seen database (docs/spool-layout.md).
//
// cyrus: imap/seen_db.c seen_getpath (3.6.1)
func (s *Spool) SeenPath(userid string) (string, error) { return s.UserFilePath(userid, "seen") }

// SeenState returns every entry of userid's seen database, in key order.
// A user without a seen database has none.
//
// cyrus: imap/seen_db.c seen_readit, parse_data (3.6.1)
func (s *Spool) SeenState(userid string) ([]Seen, error) {
	path, err := s.SeenPath(userid)
	if err != nil {
		return nil, err
	}
	db, err := openKV(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: seen: %w", err)
	}
	var out []Seen
	err = db.forEachPrefix(nil, func(k, v []byte) error {
		sd, err := ParseSeen(string(k), string(v))
		if err != nil {
			return fmt.Errorf("spool: %s: %w", path, err)
		}
		out = append(out, sd)
		return nil
	})
	return out, err
}

// ParseSeen decodes one seen record: version 1 "1 <lastread> <lastuid>
// <lastchange> <seenuids>", or the version-less pre-2.x form "<lastread>
// <lastuid> <seenuids>" (lastchange = lastread).
//
// cyrus: imap/seen_db.c parse_data (3.6.1)
func ParseSeen(uniqueid, v string) (Seen, error) {
	bad := func() (Seen, error) { return Seen{}, fmt.Errorf("bad seen record for %s: %q", uniqueid, v) }
	f := strings.SplitN(v, " ", 5)
	num := func(s string) (int64, bool) { n, err := strconv.ParseInt(s, 10, 64); return n, err == nil }
	sd := Seen{UniqueID: uniqueid}
	if len(f) >= 4 && f[0] == "1" {
		lr, ok1 := num(f[1])
		lu, ok2 := num(f[2])
		lc, ok3 := num(f[3])
		if !ok1 || !ok2 || !ok3 {
			return bad()
		}
		sd.LastRead, sd.LastUID, sd.LastChange = lr, uint32(lu), lc
		if len(f) == 5 {
			sd.SeenUIDs = f[4]
		}
		return sd, nil
	}
	f = strings.SplitN(v, " ", 3)
	if len(f) < 2 {
		return bad()
	}
	lr, ok1 := num(f[0])
	lu, ok2 := num(f[1])
	if !ok1 || !ok2 {
		return bad()
	}
	sd.LastRead, sd.LastUID, sd.LastChange = lr, uint32(lu), lr
	if len(f) == 3 {
		sd.SeenUIDs = f[2]
	}
	return sd, nil
}
