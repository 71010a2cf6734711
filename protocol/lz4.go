package protocol

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

// Our LZ4 stream: lz4's frame reader fills its whole buffer before it
// returns, which deadlocks a request/response protocol, so the stream is a
// sequence of LZ4 blocks (github.com/pierrec/lz4/v4's block codec), each
// ended at a flush:
//
//	block  = header payload
//	header = uint32 (big-endian): bit 31 set if the payload is stored raw,
//	         bits 0-30 the payload's length; uint32: the raw length
//
// A raw block holds at most lz4BlockMax bytes.
const lz4BlockMax = 64 << 10

type lz4Writer struct {
	w       io.Writer
	pending []byte
	out     []byte
	c       lz4.Compressor
}

func newLZ4Writer(w io.Writer) *lz4Writer {
	return &lz4Writer{w: w, out: make([]byte, 8+lz4.CompressBlockBound(lz4BlockMax))}
}

func (l *lz4Writer) Write(p []byte) (int, error) {
	l.pending = append(l.pending, p...)
	for len(l.pending) >= lz4BlockMax {
		if err := l.block(l.pending[:lz4BlockMax]); err != nil {
			return 0, err
		}
		l.pending = l.pending[lz4BlockMax:]
	}
	return len(p), nil
}

// Flush writes what is pending as a block.
func (l *lz4Writer) Flush() error {
	if len(l.pending) == 0 {
		return nil
	}
	err := l.block(l.pending)
	l.pending = l.pending[:0]
	return err
}

func (l *lz4Writer) block(raw []byte) error {
	n, err := l.c.CompressBlock(raw, l.out[8:])
	if err != nil {
		return fmt.Errorf("protocol: lz4: %w", err)
	}
	var payload []byte
	if n == 0 || n >= len(raw) { // incompressible
		binary.BigEndian.PutUint32(l.out[0:], 1<<31|uint32(len(raw)))
		payload = raw
	} else {
		binary.BigEndian.PutUint32(l.out[0:], uint32(n))
		payload = l.out[8 : 8+n]
	}
	binary.BigEndian.PutUint32(l.out[4:], uint32(len(raw)))
	if _, err := l.w.Write(l.out[:8]); err != nil {
		return err
	}
	_, err = l.w.Write(payload)
	return err
}

type lz4Reader struct {
	r    *bufio.Reader
	in   []byte
	buf  []byte
	data []byte // decoded, not yet read
}

func newLZ4Reader(r io.Reader) *lz4Reader {
	return &lz4Reader{r: bufio.NewReader(r), in: make([]byte, lz4.CompressBlockBound(lz4BlockMax)),
		buf: make([]byte, lz4BlockMax)}
}

// Read returns data from at most one block, so it never waits for more
// than the peer has flushed.
func (l *lz4Reader) Read(p []byte) (int, error) {
	if len(l.data) == 0 {
		var hdr [8]byte
		if _, err := io.ReadFull(l.r, hdr[:]); err != nil {
			return 0, err
		}
		h, rawLen := binary.BigEndian.Uint32(hdr[:4]), int(binary.BigEndian.Uint32(hdr[4:]))
		stored, n := h&(1<<31) != 0, int(h&^(1<<31))
		if rawLen > lz4BlockMax || n > len(l.in) || (stored && n != rawLen) {
			return 0, fmt.Errorf("protocol: lz4: bad block header (%d bytes, raw %d)", n, rawLen)
		}
		if _, err := io.ReadFull(l.r, l.in[:n]); err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		if stored {
			copy(l.buf, l.in[:n])
		} else if m, err := lz4.UncompressBlock(l.in[:n], l.buf[:rawLen]); err != nil || m != rawLen {
			return 0, fmt.Errorf("protocol: lz4: corrupt block: %v", err)
		}
		l.data = l.buf[:rawLen]
	}
	k := copy(p, l.data)
	l.data = l.data[k:]
	return k, nil
}
