package syncclient

import (
	"bufio"
	"io"
	"strings"
)

// readObjects reads -f's file as Cyrus does: a line at a time through a
// 512-byte buffer (so a longer line is split), the trailing LF removed,
// empty lines and lines starting with '#' skipped, nothing else trimmed.
//
// cyrus: imap/sync_client.c do_user / do_mailboxes input loops (3.6.1)
func readObjects(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var out []string
	for {
		var line []byte
		for len(line) < 511 {
			c, err := br.ReadByte()
			if err != nil {
				if err == io.EOF {
					if len(line) > 0 {
						out = appendObject(out, string(line))
					}
					return out, nil
				}
				return out, err
			}
			line = append(line, c)
			if c == '\n' {
				break
			}
		}
		out = appendObject(out, string(line))
	}
}

func appendObject(out []string, line string) []string {
	line = strings.TrimSuffix(line, "\n")
	if line == "" || line[0] == '#' {
		return out
	}
	return append(out, line)
}
