package cache

import (
	"reflect"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestParseKnownGUID: given the message's own GUID, ParseKnownGUID yields
// exactly what Parse does.
func TestParseKnownGUID(t *testing.T) {
	for _, msg := range []string{
		"Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\none\r\n--x--\r\n",
		"x",
	} {
		want, err := Parse([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseKnownGUID([]byte(msg), guid.Sum([]byte(msg)))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: ParseKnownGUID = %+v, Parse = %+v", msg, got, want)
		}
	}
	if _, err := ParseKnownGUID(nil, guid.GUID{}); err == nil {
		t.Error("ParseKnownGUID of an empty message: no error")
	}
}
