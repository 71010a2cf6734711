package twoskip

import (
	"encoding/binary"
	"hash/crc32"
)

// Magic is the 20-byte magic at the start of every twoskip file.
//
// cyrus: lib/cyrusdb_twoskip.c HEADER_MAGIC (3.6.1)
const Magic = "\xA1\x02\x8B\x0Dtwoskip file\x00\x00\x00\x00"

// HeaderSize is the size of the file header in bytes; the DUMMY record
// starts right after it.
const HeaderSize = 64

// Version is the only twoskip format version (1, unchanged up to 3.12).
const Version = 1

// FlagDirty is the header flag set while a write transaction is in
// progress (or after a crash in one).
const FlagDirty = 1

// MaxLevel is the highest skiplist level of a record (the DUMMY's level).
const MaxLevel = 31

// Header is the decoded 64-byte twoskip file header.
//
// cyrus: lib/cyrusdb_twoskip.c read_header (3.6.1)
type Header struct {
	// Version is the format version (bytes 20–23); always 1.
	Version uint32
	// Generation counts repacks (bytes 24–31); starts at 1.
	Generation uint64
	// NumRecords is the number of live keys (bytes 32–39).
	NumRecords uint64
	// RepackSize is the file size after the last repack (bytes 40–47).
	RepackSize uint64
	// CurrentSize is the file size at the last commit (bytes 48–55); bytes
	// beyond it are uncommitted.
	CurrentSize uint64
	// Flags holds header flags (bytes 56–59); see FlagDirty.
	Flags uint32
	// CRC is the CRC32 of bytes 0–59 as stored (bytes 60–63).
	CRC uint32
}

// Dirty reports whether the DIRTY flag is set: a transaction was in
// progress when the header was read, or a writer crashed.
func (h Header) Dirty() bool { return h.Flags&FlagDirty != 0 }

// ParseHeader decodes and verifies a twoskip file header from the first
// HeaderSize bytes of b. name is used in error messages only.
func ParseHeader(name string, b []byte) (Header, error) {
	fe := func(err error, detail string) error {
		return &FormatError{File: name, Offset: 0, Detail: detail, Err: err}
	}
	if len(b) < HeaderSize {
		return Header{}, fe(ErrTruncated, "file shorter than the 64-byte header")
	}
	if string(b[:len(Magic)]) != Magic {
		return Header{}, fe(ErrMagic, "")
	}
	be := binary.BigEndian
	h := Header{
		Version:     be.Uint32(b[20:]),
		Generation:  be.Uint64(b[24:]),
		NumRecords:  be.Uint64(b[32:]),
		RepackSize:  be.Uint64(b[40:]),
		CurrentSize: be.Uint64(b[48:]),
		Flags:       be.Uint32(b[56:]),
		CRC:         be.Uint32(b[60:]),
	}
	if got := crc32.ChecksumIEEE(b[:60]); got != h.CRC {
		return Header{}, fe(ErrHeaderCRC, hexPair(h.CRC, got))
	}
	if h.Version > Version { // cyrus rejects only newer versions
		return Header{}, fe(ErrVersion, "version "+itoa(uint64(h.Version)))
	}
	return h, nil
}
