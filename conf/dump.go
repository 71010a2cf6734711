package conf

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

// WriteAll prints every known option with its value, then every unknown
// key, in the format of Cyrus's `cyr_info conf-all`: one "name: value" line
// each, switches as yes/no, known options in Cyrus's table order. (Cyrus
// prints the unknown keys in hash-table order; we sort them.)
//
// cyrus: imap/cyr_info.c do_conf (3.6.1, 3.10.2)
func (c *Config) WriteAll(w io.Writer) error {
	var b strings.Builder
	for _, name := range c.tab.order {
		o := c.tab.options[name]
		switch o.Type {
		case TypeBitfield:
			b.WriteString(name + ":")
			for _, n := range c.bitfieldEntries(o) {
				b.WriteString(" " + n)
			}
			b.WriteString("\n")
		case TypeDuration, TypeByteSize:
			v, ok := c.raw(name)
			if !ok {
				v = "(null)" // printf("%s", NULL) in glibc
			}
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		case TypeEnum:
			v, _ := c.String(name)
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		case TypeInt:
			fmt.Fprintf(&b, "%s: %d\n", name, c.Int(name))
		case TypeString, TypeStringList:
			v, _ := c.String(name)
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		case TypeSwitch:
			v := "no"
			if c.Switch(name) {
				v = "yes"
			}
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	keys := make([]string, 0, len(c.overflow))
	for k := range c.overflow {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, c.overflow[k].value)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bitfieldEntries reproduces cyr_info's listing of a BITFIELD: Cyrus's
// table has one entry per name, aliases included, each carrying the bit of
// its value's position; cyr_info prints entry j when bit j is set, so
// entries after an alias are shifted. Kept, quirk and all.
func (c *Config) bitfieldEntries(o *Option) []string {
	var names []string
	var bits []uint
	for bit, v := range o.Values {
		for _, alias := range strings.Split(v, "=") {
			names = append(names, alias)
			bits = append(bits, uint(bit))
		}
	}
	var set uint64
	v, _ := c.raw(o.Name)
	for _, f := range strings.FieldsFunc(v, libc.IsSpaceRune) {
		for i, n := range names {
			if n == f {
				set |= 1 << bits[i]
				break
			}
		}
	}
	var out []string
	for j, n := range names {
		// (1<<j) is a C int: the shift count wraps at 32 and bit 31 is
		// sign-extended when widened to the 64-bit field.
		mask := uint64(int64(int32(1) << (uint(j) & 31)))
		if set&mask != 0 {
			out = append(out, n)
		}
	}
	return out
}
