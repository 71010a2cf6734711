package dlist

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"testing"
)

// fuzzLimits keep a fuzz run's memory small while still exercising every
// limit check.
var fuzzLimits = Limits{
	MaxAtom: 4096, MaxQuoted: 4096, MaxLiteral: 1 << 16, MaxFileSize: 1 << 16,
	MaxDepth: 32, MaxListItems: 4096, MaxTotal: 4 << 20,
}

// FuzzDecode feeds wire lines (item = key SP value, optional CRLF, file
// literals allowed) to the Decoder. Whatever decodes must re-encode, with
// either literal form, to bytes that decode to the same item and re-encode
// to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("MAILBOX %(UNIQUEID x RECORD (%(UID 1 FLAGS (\\Seen $L) GUID NIL)))\r\n"))
	f.Add([]byte("VALUE {5+}\r\n\\Sent\r\n"))
	f.Add([]byte("MESSAGE (" + "%{default " + hexSHA1("") + " 0}\r\n" + ")\r\n"))
	f.Fuzz(checkDecodeRoundTrip)
}

// checkDecodeRoundTrip is the body of FuzzDecode.
func checkDecodeRoundTrip(t *testing.T, data []byte) {
	files := map[string][]byte{}
	d := NewDecoder(bufio.NewReader(bytes.NewReader(data)), &DecodeOptions{
		Limits: fuzzLimits,
		File: func(part, guid string, size int64, r io.Reader) error {
			b, err := io.ReadAll(r)
			if err == nil {
				files[guid] = b
			}
			return err
		},
	})
	key, v, err := d.ReadItem()
	if err != nil {
		return
	}
	_ = d.ReadLineEnd()
	for _, nonSync := range []bool{false, true} {
		enc1 := fuzzEncode(t, key, v, nonSync, files)
		key2, v2 := fuzzDecodeAll(t, enc1)
		if key2 != key || !Equal(v, v2) {
			t.Fatalf("round trip changed the item:\n in: %q\nenc: %q", data, enc1)
		}
		if enc2 := fuzzEncode(t, key2, v2, nonSync, files); !bytes.Equal(enc1, enc2) {
			t.Fatalf("encoding is not a fixpoint:\n%q\n%q", enc1, enc2)
		}
	}
}

// FuzzUnmarshal feeds on-disk style values to Unmarshal.
func FuzzUnmarshal(f *testing.F) {
	for _, seed := range []string{
		"%(T e N user\x1falice\x1fSent2 P default V 1795445368 C 1 F 3 M 1795445687 A %(alice lrswipkxtecdan) H (%(N user\x1falice\x1fSent M 1795445687 V 1795445368 C 1 F 3 T ed)))",
		"%(S (2693 100000) M (6 1000) AS (59) NF (4) MODSEQ 15)",
		"%(T e N user.dave I gqqmdttpcufeqgdyewxeyt7x A %(dave lrswipkxtecdan) U (Work NIL))",
		"(\"a\\\"b\" {3}\r\na\x00b NIL \\Flag () %())",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data, &fuzzLimits)
		if err != nil {
			return
		}
		enc1, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		v2, err := Unmarshal(enc1, nil)
		if err != nil || !Equal(v, v2) {
			t.Fatalf("round trip failed (%v):\n in: %q\nenc: %q", err, data, enc1)
		}
		if enc2, _ := Marshal(v2); !bytes.Equal(enc1, enc2) {
			t.Fatalf("encoding is not a fixpoint:\n%q\n%q", enc1, enc2)
		}
	})
}

func hexSHA1(s string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(s))) }

func fuzzEncode(t *testing.T, key string, v Value, nonSync bool, files map[string][]byte) []byte {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, &EncodeOptions{
		NonSyncLiterals: nonSync,
		VerifyFiles:     true,
		File: func(part, guid string, size int64) (io.Reader, error) {
			return bytes.NewReader(files[guid]), nil
		},
	})
	if err := enc.EncodeItem(key, v); err != nil {
		t.Fatalf("EncodeItem: %v", err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fuzzDecodeAll(t *testing.T, b []byte) (string, Value) {
	d := NewDecoder(bufio.NewReader(bytes.NewReader(b)), &DecodeOptions{
		Limits: Limits{MaxDepth: fuzzLimits.MaxDepth, MaxFileSize: fuzzLimits.MaxFileSize},
		File: func(part, guid string, size int64, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		},
	})
	key, v, err := d.ReadItem()
	if err != nil {
		t.Fatalf("re-decoding %q: %v", b, err)
	}
	if d.Offset() != int64(len(b)) {
		t.Fatalf("re-decoding %q stopped at %d", b, d.Offset())
	}
	return key, v
}
