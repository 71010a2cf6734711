package conf

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

// DefaultPath is the imapd.conf read without -C. Packagers that keep it
// elsewhere set it at build time:
//
//	go build -ldflags "-X github.com/cyrus-replication/cyrus-replication/conf.DefaultPath=/etc/cyrus/imapd.conf"
var DefaultPath = "/etc/imapd.conf"

// setting is one value read from a file, with where it came from.
type setting struct {
	value string
	file  string
	line  int
	// seen is 1 for a generic key, 2 for a service-specific one
	// (<ident>_<option>), as Cyrus counts them.
	seen int
	// unset marks a deprecated string option whose value Cyrus moved to
	// its replacement.
	unset bool
}

// reader holds the state of one Load: Cyrus reads the top file and its
// @include files into one table.
type reader struct {
	tab      *table
	version  Version
	ident    string
	prefix   string // $CYRUS_PREFIX
	known    map[string]*setting
	overflow map[string]*setting
	included map[string]bool
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// logicalLines splits a file as Cyrus's fgets loop does: a backslash right
// before the LF joins the next physical line (nothing inserted, CR not
// stripped); a NUL byte ends a line's content. Each logical line carries the
// number of its last physical line.
//
// cyrus: lib/libconfig.c config_read_file (3.6.1)
func logicalLines(data []byte, emit func(line []byte, lineno int) error) error {
	var cur []byte
	lineno := 0
	for len(data) > 0 {
		var phys []byte
		nl := bytes.IndexByte(data, '\n')
		hasLF := nl >= 0
		if hasLF {
			phys, data = data[:nl], data[nl+1:]
		} else {
			phys, data = data, nil
		}
		lineno++
		if z := bytes.IndexByte(phys, 0); z >= 0 {
			// strlen() stops at the NUL; the rest of the physical line is lost.
			phys, hasLF = phys[:z], false
		}
		cur = append(cur, phys...)
		if hasLF && len(cur) > 0 && cur[len(cur)-1] == '\\' {
			cur = cur[:len(cur)-1]
			continue
		}
		if err := emit(cur, lineno); err != nil {
			return err
		}
		cur = cur[:0]
	}
	if len(cur) > 0 { // a continuation at the very end of the file
		return emit(cur, lineno)
	}
	return nil
}

func (r *reader) readFile(filename string) error {
	var data []byte
	var err error
	if r.prefix != "" {
		data, err = os.ReadFile(r.prefix + filename)
	}
	if r.prefix == "" || err != nil {
		data, err = os.ReadFile(filename)
	}
	if err != nil {
		return &Error{File: filename, Text: fmt.Sprintf("can't open configuration file %s: %s",
			filename, strerrorOf(err))}
	}
	if r.included[filename] {
		return &Error{File: filename, Text: fmt.Sprintf("configuration file %s included twice", filename)}
	}
	r.included[filename] = true
	return logicalLines(data, func(line []byte, lineno int) error {
		return r.parseLine(filename, string(line), lineno)
	})
}

func (r *reader) parseLine(file, line string, lineno int) error {
	i := 0
	for i < len(line) && libc.IsSpace(line[i]) {
		i++
	}
	if i == len(line) || line[i] == '#' {
		return nil
	}
	start := i
	if line[i] == '@' {
		i++
	}
	for i < len(line) && (isAlnum(line[i]) || line[i] == '-' || line[i] == '_') {
		i++
	}
	// An empty key aborts Cyrus 3.6 (an assertion in its hash table); we
	// call it an invalid name instead.
	if i == len(line) || line[i] != ':' || i == start {
		return &Error{File: file, Line: lineno, Text: fmt.Sprintf(
			"invalid option name on line %d of configuration file %s", lineno, file)}
	}
	key := strings.ToLower(line[start:i])
	value := strings.TrimFunc(line[i+1:], libc.IsSpaceRune)
	if value == "" {
		// Cyrus's wording ends in "of configuration file" with no name.
		return &Error{File: file, Line: lineno, Option: key, Text: fmt.Sprintf(
			"empty option value on line %d of configuration file %s", lineno, file)}
	}
	if strings.HasPrefix(key, "@") {
		if key == "@include" {
			return r.readFile(value)
		}
		return &Error{File: file, Line: lineno, Text: fmt.Sprintf(
			"invalid directive on line %d of configuration file %s", lineno, file)}
	}

	// A <ident>_<known option> key sets that option for this process only.
	name, serviceSpecific := key, false
	if r.ident != "" && strings.HasPrefix(key, strings.ToLower(r.ident)+"_") {
		if _, ok := r.tab.options[key[len(r.ident)+1:]]; ok {
			name, serviceSpecific = key[len(r.ident)+1:], true
		}
	}
	opt, known := r.tab.options[name]
	if !known {
		return r.addOverflow(key, value, file, lineno)
	}

	prev := r.known[name]
	switch {
	case prev != nil && prev.seen == 1 && !serviceSpecific, prev != nil && prev.seen == 2 && serviceSpecific:
		return lineTwice(file, lineno, key)
	case prev != nil && prev.seen == 2 && !serviceSpecific:
		return nil // the service-specific value wins, silently
	}
	if opt.DeprecatedSince != "" {
		// Cyrus also keeps a deprecated option's text under its own name.
		if err := r.addOverflow(key, value, file, lineno); err != nil {
			return err
		}
	}
	if err := validate(r.version, opt, value); err != nil {
		return lineErrorFor(file, lineno, opt, value, err)
	}
	s := &setting{value: value, file: file, line: lineno, seen: 1}
	if serviceSpecific {
		s.seen = 2
	}
	r.known[name] = s
	return nil
}

func lineTwice(file string, lineno int, key string) error {
	return &Error{File: file, Line: lineno, Option: key, Text: fmt.Sprintf(
		"option '%s' was specified twice in config file (second occurrence on line %d) of configuration file %s",
		key, lineno, file)}
}

func (r *reader) addOverflow(key, value, file string, lineno int) error {
	if _, dup := r.overflow[key]; dup {
		return lineTwice(file, lineno, key)
	}
	r.overflow[key] = &setting{value: value, file: file, line: lineno, seen: 1}
	return nil
}

// strerrorOf gives the C library's text for an *os.PathError, as Cyrus
// prints strerror(errno).
func strerrorOf(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}
