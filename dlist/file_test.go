package dlist

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func fileLit(content string) string {
	return "%{default " + sha1hex(content) + " " + itoa(len(content)) + "}\r\n" + content
}

func itoa(n int) string { return string(Uint64(uint64(n)).s) }

// TestFileLiteralCallback checks how file literal content reaches the
// FileFunc and that the stream stays in sync whatever the callback reads.
func TestFileLiteralCallback(t *testing.T) {
	msg1 := "Subject: one\r\n\r\nbody\r\n"
	msg2 := "Subject: two\r\n\r\n"
	in := "(" + fileLit(msg1) + " " + fileLit(msg2) + " NIL " + fileLit("") + ")\r\n"
	for _, mode := range []string{"all", "none", "some", "byte"} {
		t.Run(mode, func(t *testing.T) {
			var got []string
			d := NewDecoder(bufio.NewReader(strings.NewReader(in)), &DecodeOptions{
				File: func(part, guid string, size int64, r io.Reader) error {
					if part != "default" {
						t.Errorf("partition %q", part)
					}
					var b []byte
					var err error
					switch mode {
					case "all":
						b, err = io.ReadAll(r)
					case "some":
						b = make([]byte, 3)
						n, _ := io.ReadFull(r, b)
						b = b[:n]
					case "byte":
						b, err = io.ReadAll(io.LimitReader(oneByte{r}, size+5))
					}
					got = append(got, string(b))
					return err
				},
			})
			v, err := d.ReadValue()
			if err != nil {
				t.Fatal(err)
			}
			if err := d.ReadLineEnd(); err != nil {
				t.Fatalf("stream out of sync: %v", err)
			}
			if d.Offset() != int64(len(in)) {
				t.Errorf("Offset = %d, want %d", d.Offset(), len(in))
			}
			items := v.Items()
			if len(items) != 4 || items[2].Kind() != KindNil {
				t.Fatalf("items = %#v", items)
			}
			f := items[1].File()
			if f == nil || f.GUID != sha1hex(msg2) || f.Size != int64(len(msg2)) || f.Partition != "default" {
				t.Fatalf("file = %+v", f)
			}
			if mode == "all" || mode == "byte" {
				if got[0] != msg1 || got[1] != msg2 || got[2] != "" {
					t.Errorf("callback got %q", got)
				}
			}
		})
	}
}

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestFileLiteralGUID(t *testing.T) {
	content := "hello world\r\n"
	// Upper-case GUIDs are accepted and stored in lower case.
	in := "%{p " + strings.ToUpper(sha1hex(content)) + " 13}\n" + content
	d := NewDecoder(bufio.NewReader(strings.NewReader(in)), &DecodeOptions{
		File: func(part, guid string, size int64, r io.Reader) error {
			if guid != sha1hex(content) {
				t.Errorf("guid %q not lower-cased", guid)
			}
			return nil
		},
	})
	if _, err := d.ReadValue(); err != nil {
		t.Fatal(err)
	}

	// A mismatch is reported to the callback's reader and by the decoder,
	// after the content has been consumed.
	bad := "%{p " + sha1hex("other") + " 13}\r\n" + content + " x"
	var cbErr error
	d = NewDecoder(bufio.NewReader(strings.NewReader(bad)), &DecodeOptions{
		File: func(part, guid string, size int64, r io.Reader) error {
			_, cbErr = io.Copy(io.Discard, r)
			return cbErr
		},
	})
	_, err := d.ReadValue()
	var me *GUIDMismatchError
	if !errors.As(err, &me) || !errors.As(cbErr, &me) {
		t.Fatalf("mismatch: decoder %v, callback %v", err, cbErr)
	}
	if me.Got != sha1hex(content) {
		t.Errorf("Got = %s", me.Got)
	}
	if rest, _ := io.ReadAll(d.r); string(rest) != " x" {
		t.Errorf("after mismatch the stream is at %q", rest)
	}

	// Same when the callback reads nothing.
	d = NewDecoder(bufio.NewReader(strings.NewReader(bad)), &DecodeOptions{
		File: func(part, guid string, size int64, r io.Reader) error { return nil },
	})
	if _, err := d.ReadValue(); !errors.As(err, &me) {
		t.Fatalf("mismatch, nothing read: %v", err)
	}
}

func TestFileLiteralErrors(t *testing.T) {
	content := "abc"
	boom := errors.New("disk full")
	d := NewDecoder(bufio.NewReader(strings.NewReader(fileLit(content)+" rest")), &DecodeOptions{
		File: func(part, guid string, size int64, r io.Reader) error { return boom },
	})
	if _, err := d.ReadValue(); !errors.Is(err, boom) {
		t.Fatalf("callback error: %v", err)
	}
	if rest, _ := io.ReadAll(d.r); string(rest) != " rest" {
		t.Errorf("content not drained after callback error: %q", rest)
	}

	d = NewDecoder(bufio.NewReader(strings.NewReader(fileLit(content)+" rest")), nil)
	if _, err := d.ReadValue(); !errors.Is(err, ErrNoFileFunc) {
		t.Fatalf("no FileFunc: %v", err)
	}
	if rest, _ := io.ReadAll(d.r); string(rest) != " rest" {
		t.Errorf("content not skipped without FileFunc: %q", rest)
	}
	d = NewDecoder(bufio.NewReader(strings.NewReader("%{p 123 3}\r\nabc rest")), nil)
	if _, err := d.ReadValue(); err == nil || !strings.Contains(err.Error(), "40 hex") {
		t.Fatalf("bad GUID: %v", err)
	}
	if rest, _ := io.ReadAll(d.r); string(rest) != " rest" {
		t.Errorf("content not skipped after bad GUID: %q", rest)
	}
	if _, err := Unmarshal([]byte(fileLit(content)), nil); !errors.Is(err, ErrNoFileFunc) {
		t.Fatalf("Unmarshal with a file literal: %v", err)
	}

	short := "%{p " + sha1hex("abcdef") + " 6}\r\nabc"
	d = NewDecoder(bufio.NewReader(strings.NewReader(short)), &DecodeOptions{
		File: func(part, guid string, size int64, r io.Reader) error {
			_, err := io.ReadAll(r)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("callback read error %v", err)
			}
			return err
		},
	})
	if _, err := d.ReadValue(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short content: %v", err)
	}
}

// TestFileLiteralLarge streams a file bigger than the bufio buffer through
// a callback that copies to a writer (WriteTo path) and one that reads
// with a small buffer (Read path).
func TestFileLiteralLarge(t *testing.T) {
	content := strings.Repeat("0123456789abcdef\r\n", 100000)
	in := "(" + fileLit(content) + ")"
	for _, viaCopy := range []bool{true, false} {
		var buf bytes.Buffer
		d := NewDecoder(bufio.NewReader(strings.NewReader(in)), &DecodeOptions{
			Limits: Limits{MaxTotal: 4096}, // file content is not charged
			File: func(part, guid string, size int64, r io.Reader) error {
				if viaCopy {
					_, err := io.Copy(&buf, r)
					return err
				}
				_, err := io.CopyBuffer(struct{ io.Writer }{&buf}, struct{ io.Reader }{r}, make([]byte, 1000))
				return err
			},
		})
		if _, err := d.ReadValue(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != content {
			t.Errorf("viaCopy=%v: content differs (%d bytes)", viaCopy, buf.Len())
		}
	}
}
