package index

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"slices"
	"sort"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// readChunk is how many bytes Read reads at a time.
const readChunk = 1 << 20

// Index is a decoded cyrus.index: its header and all NumRecords records
// in file (= UID) order, including expunged ones.
type Index struct {
	// Header is the index header.
	Header Header
	// Records holds records 1…NumRecords; Records[i] is recno i+1.
	Records []Record
}

// Parse decodes a complete cyrus.index held in memory, verifying the
// header CRC and every record CRC. Bytes after the last record (an
// interrupted append) are ignored. name is used in error messages.
func Parse(name string, data []byte) (*Index, error) {
	h, err := ParseHeader(name, data)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) < h.Size() {
		return nil, truncatedAt(name, &h, int64(len(data)))
	}
	return parseRecords(name, &h, data[h.StartOffset:])
}

// Read decodes a cyrus.index read through r: first the header, then the
// records (in one read if r can tell its size, else in chunks). name is
// used in error messages.
func Read(name string, r io.ReaderAt) (*Index, error) {
	hb := make([]byte, HeaderSize)
	n, err := r.ReadAt(hb, 0)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(hb)) {
		if !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("index: read header of %s: %w", name, err)
		}
		hb = hb[:n]
	}
	h, err := ParseHeader(name, hb)
	if err != nil {
		return nil, err
	}
	need := h.Size() - int64(h.StartOffset)
	if size, ok := sizeOf(r); ok {
		// one exact read; a short file is reported without reading
		if size < h.Size() {
			return nil, truncatedAt(name, &h, size)
		}
		body := make([]byte, need)
		n, err := r.ReadAt(body, int64(h.StartOffset))
		if int64(n) < need {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("index: read records of %s: %w", name, err)
			}
			return nil, truncatedAt(name, &h, int64(h.StartOffset)+int64(n))
		}
		return parseRecords(name, &h, body)
	}
	// Size unknown: read in chunks so that a garbage num_records cannot
	// make us allocate more than the file holds.
	// Like Cyrus, require the file to reach start_offset even without
	// records.
	var last [1]byte
	if n, _ := r.ReadAt(last[:], int64(h.StartOffset)-1); n != 1 {
		return nil, truncatedAt(name, &h, int64(h.StartOffset)-1)
	}
	body := make([]byte, 0, min(need, readChunk))
	for int64(len(body)) < need {
		chunk := min(need-int64(len(body)), readChunk)
		off := len(body)
		body = slices.Grow(body, int(chunk))[:off+int(chunk)]
		n, err := r.ReadAt(body[off:], int64(h.StartOffset)+int64(off))
		if int64(n) < chunk {
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("index: read records of %s: %w", name, err)
			}
			return nil, truncatedAt(name, &h, int64(h.StartOffset)+int64(off+n))
		}
	}
	return parseRecords(name, &h, body)
}

// sizeOf returns the size of r if it can tell it cheaply (*os.File,
// *bytes.Reader, *strings.Reader, *io.SectionReader).
func sizeOf(r io.ReaderAt) (int64, bool) {
	switch v := r.(type) {
	case interface{ Size() int64 }:
		return v.Size(), true
	case interface{ Stat() (fs.FileInfo, error) }:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			return st.Size(), true
		}
	}
	return 0, false
}

// ReadFile reads the cyrus.index at path while holding a shared fcntl OFD
// lock on it (re-opening if a repack replaced the file meanwhile), as a
// Cyrus reader does, and releases the lock before returning.
//
// cyrus: imap/mailbox.c mailbox_lock_index (3.6.1)
func ReadFile(path string) (*Index, error) {
	f, err := ofd.OpenShared(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer f.Close()
	idx, err := Read(path, f)
	if uerr := ofd.Unlock(f); uerr != nil && err == nil {
		err = fmt.Errorf("index: %w", uerr)
	}
	if err != nil {
		return nil, err
	}
	return idx, nil
}

func truncatedAt(name string, h *Header, size int64) error {
	recno := uint32((size-int64(h.StartOffset))/int64(h.RecordSize)) + 1
	if size < int64(h.StartOffset) {
		recno = 1
	}
	return &FormatError{File: name, Record: recno, Offset: h.RecordOffset(recno), Err: ErrTruncated,
		Detail: fmt.Sprintf("file ends in or before it; %d records need %d bytes", h.NumRecords, h.Size())}
}

// parseRecords decodes h.NumRecords records from body, which starts at
// h.StartOffset.
func parseRecords(name string, h *Header, body []byte) (*Index, error) {
	idx := &Index{Header: *h, Records: make([]Record, h.NumRecords)}
	rs := int(h.RecordSize)
	for i := range idx.Records {
		b := body[i*rs : i*rs+RecordSize]
		r := &idx.Records[i]
		decodeRecord(r, b)
		if got := crc32.ChecksumIEEE(b[:offRecordCRC]); got != r.RecordCRC {
			recno := uint32(i + 1)
			return nil, &FormatError{File: name, Record: recno, Offset: h.RecordOffset(recno), Err: ErrRecordCRC,
				Detail: fmt.Sprintf("uid %d: stored %08X, computed %08X", r.UID, r.RecordCRC, got)}
		}
	}
	return idx, nil
}

// Lookup returns the record with the given UID (binary search, as Cyrus
// does), or nil.
func (x *Index) Lookup(uid uint32) *Record {
	i := sort.Search(len(x.Records), func(i int) bool { return x.Records[i].UID >= uid })
	if i < len(x.Records) && x.Records[i].UID == uid {
		return &x.Records[i]
	}
	return nil
}
