package spool

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// DirHash returns Cyrus's one-letter hash directory for name: with
// fulldirhash a letter 'A'…'W' computed from the bytes before the first
// '.', otherwise the lower-cased first letter, 'q' if it is not a–z.
//
// cyrus: lib/util.c dir_hash_c (3.6.1)
func DirHash(name string, full bool) byte {
	if full {
		var n uint32
		for i := 0; i < len(name) && name[i] != '.'; i++ {
			n = ((n << 3) ^ (n >> 5)) ^ uint32(name[i])
		}
		return byte('A' + n%23)
	}
	if name == "" {
		return 'q'
	}
	c := name[0]
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if c < 'a' || c > 'z' {
		return 'q'
	}
	return c
}

// Layout holds what decides where Cyrus puts files: hashimapspool,
// fulldirhash and the deleted prefix. It is separate from Spool so that a
// writer and tests can compute paths without a configuration file.
type Layout struct {
	// HashSpool is hashimapspool.
	HashSpool bool
	// FullDirHash is fulldirhash.
	FullDirHash bool
	// NS parses internal names (deletedprefix, default domain).
	NS conf.Namespace
}

// ByNamePath returns root followed by the legacy by-name path of the
// internal name intname, as Cyrus builds legacy mailbox directories and
// named-lock files (docs/spool-layout.md).
//
// cyrus: imap/mboxname.c mboxname_hash (3.6.1)
func (l Layout) ByNamePath(root, intname string) string {
	m := l.NS.ParseInternal(intname)
	var b strings.Builder
	b.WriteString(root)
	if m.Domain != "" {
		b.WriteString("/domain/")
		if l.HashSpool {
			b.WriteByte(DirHash(m.Domain, l.FullDirHash))
			b.WriteByte('/')
		}
		b.WriteString(m.Domain)
	}
	var boxes []string
	if m.Deleted != 0 {
		boxes = append(boxes, l.NS.DeletedPrefix)
	}
	if m.LocalPart != "" {
		boxes = append(boxes, "user", m.LocalPart)
	}
	boxes = append(boxes, m.Boxes...)
	if m.Deleted != 0 {
		boxes = append(boxes, fmt.Sprintf("%X", uint32(m.Deleted)))
	}
	if l.HashSpool && len(boxes) > 0 {
		idx := boxes[0]
		if len(boxes) > 1 {
			idx = boxes[1]
		}
		b.WriteByte('/')
		b.WriteByte(DirHash(idx, l.FullDirHash))
	}
	for _, box := range boxes {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(box, ".", "^"))
	}
	return b.String()
}

// ByIDPath returns root/uuid/<u0>/<u1>/<uniqueid>, the 3.6 by-id layout.
//
// cyrus: imap/mboxname.c mboxname_id_hash (3.6.1)
func ByIDPath(root, uniqueid string) string {
	if len(uniqueid) < 2 {
		return filepath.Join(root, "uuid", uniqueid)
	}
	return root + "/uuid/" + uniqueid[:1] + "/" + uniqueid[1:2] + "/" + uniqueid
}

// MetaFile names a per-mailbox metadata file.
type MetaFile int

// The metadata files and where Cyrus may move them (metapartition_files,
// metadir-*-<partition>).
const (
	// MetaHeader is cyrus.header.
	MetaHeader MetaFile = iota
	// MetaIndex is cyrus.index.
	MetaIndex
	// MetaCache is cyrus.cache.
	MetaCache
	// MetaAnnotations is cyrus.annotations (placed like the index).
	MetaAnnotations
	// MetaSquat is cyrus.squat.
	MetaSquat
	// MetaArchiveCache is the cyrus.cache of archived messages.
	MetaArchiveCache
)

var metaFiles = []struct {
	file, confkey, bit string
}{
	MetaHeader:       {"cyrus.header", "metadir-header-", "header"},
	MetaIndex:        {"cyrus.index", "metadir-index-", "index"},
	MetaCache:        {"cyrus.cache", "metadir-cache-", "cache"},
	MetaAnnotations:  {"cyrus.annotations", "metadir-index-", "annotations"},
	MetaSquat:        {"cyrus.squat", "metadir-squat-", "squat"},
	MetaArchiveCache: {"cyrus.cache", "metadir-archivecache-", "archivecache"},
}

// String returns the file name (cyrus.header, …).
func (m MetaFile) String() string { return metaFiles[m].file }
