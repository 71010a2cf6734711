package guid

import (
	"bufio"
	"os"
	"regexp"
	"testing"
)

// mbexamine prints "UID:%08u ... GUID:<hex>" for every message of the
// mailbox whose message files 1. and 2. are copied into testdata.
func TestFileMatchesMbexamine(t *testing.T) {
	f, err := os.Open("testdata/user.cassandane.mbexamine.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	uidRe := regexp.MustCompile(`UID:0*(\d+) `)
	guidRe := regexp.MustCompile(`GUID:([0-9a-f]{40})`)
	var uid string
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := uidRe.FindStringSubmatch(sc.Text()); m != nil {
			uid = m[1]
		}
		m := guidRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		path := "testdata/" + uid + "."
		if _, err := os.Stat(path); err != nil {
			continue
		}
		g, err := File(path)
		if err != nil {
			t.Fatal(err)
		}
		if g.String() != m[1] {
			t.Errorf("GUID of %s = %s, mbexamine says %s", path, g, m[1])
		}
		p, err := Parse(m[1])
		if err != nil || p != g {
			t.Errorf("Parse(%s) = %v, %v", m[1], p, err)
		}
		checked++
	}
	if checked < 2 {
		t.Fatalf("checked %d message files, want 2", checked)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"", "00", "zz" + string(make([]byte, 38))} {
		if _, err := Parse(bad); err != ErrSyntax {
			t.Errorf("Parse(%q) err = %v", bad, err)
		}
	}
	var g GUID
	if !g.IsZero() || g.String() != "0000000000000000000000000000000000000000" {
		t.Error("zero GUID")
	}
	if err := g.UnmarshalText([]byte("994EA7094265323CE0B24FE938F64C2EE99587B9")); err != nil || g.String() != "994ea7094265323ce0b24fe938f64c2ee99587b9" {
		t.Errorf("UnmarshalText: %v %v", g, err)
	}
	if _, err := File("testdata/nonexistent."); err == nil {
		t.Error("File of a missing file succeeded")
	}
}
