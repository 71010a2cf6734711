package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// maxEntry bounds one entry read by ReadEntry (Cyrus's items are 32-bit
// lengths; real entries are far smaller).
const maxEntry = 1 << 30

// ReadEntry reads the cache entry starting at offset in a cyrus.cache
// file: ten items, each a 4-byte big-endian length, the bytes and padding
// to 4. It returns the entry bytes exactly as stored (their CRC32 is the
// record's cache_crc). Offset 0 (the generation word) and entries that
// run past the end of the file are errors naming the offset.
//
// cyrus: imap/mailbox.c cache_parserecord (3.6.1)
func ReadEntry(f io.ReaderAt, offset uint64) ([]byte, error) {
	if offset < 4 {
		return nil, fmt.Errorf("cache: entry at offset %d: not an entry offset", offset)
	}
	if offset > 1<<62 {
		return nil, fmt.Errorf("cache: entry at offset %d: offset out of range", offset)
	}
	var entry []byte
	pos := int64(offset)
	var lb [4]byte
	for i := Item(0); i < NumItems; i++ {
		if _, err := f.ReadAt(lb[:], pos); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("cache: entry at offset %d: %s item at %d: past the end of the file", offset, i, pos)
			}
			return nil, fmt.Errorf("cache: entry at offset %d: read %s item at %d: %w", offset, i, pos, err)
		}
		n := int64(binary.BigEndian.Uint32(lb[:]))
		total := 4 + n + int64(pad4(int(n&3)))
		if int64(len(entry))+total > maxEntry {
			return nil, fmt.Errorf("cache: entry at offset %d: %s item at %d: length %d too large", offset, i, pos, n)
		}
		item := make([]byte, total)
		if _, err := f.ReadAt(item, pos); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("cache: entry at offset %d: %s item at %d: length %d runs past the end of the file", offset, i, pos, n)
			}
			return nil, fmt.Errorf("cache: entry at offset %d: read %s item at %d: %w", offset, i, pos, err)
		}
		entry = append(entry, item...)
		pos += total
	}
	return entry, nil
}

// localMidnight is the start of t's day in the local time zone, as
// Cyrus's localtime/mktime pair gives it.
func localMidnight(t int64) int64 {
	tm := time.Unix(t, 0).In(time.Local)
	y, mo, d := tm.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.Local).Unix()
}
