package synclog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxWord is Cyrus 3.6's maxword default: the longest type or
// argument the reader accepts.
const DefaultMaxWord = 131072

// Malformed is a line the parser skipped. Cyrus syslogs "Invalid input" or
// "Garbage at end of input line" for some of these and, for an unparsable
// argument, silently drops the rest of the file; we report each one and
// carry on with the next line.
type Malformed struct {
	// File is the log file ("" for a stream).
	File string
	// Line is the 1-based line the item started on.
	Line int
	// Content is the start of the offending text, at most 200 bytes.
	Content string
	// Reason says what is wrong, in Cyrus's words where Cyrus has some.
	Reason string
}

func (m *Malformed) Error() string {
	return fmt.Sprintf("%s:%d: %s: %q", m.File, m.Line, m.Reason, m.Content)
}

// Parser reads items from a sync log.
//
// Grammar (the IMAP tokenizer Cyrus reads the log with):
//
//	item    = type SP astring [SP astring] [CR] LF
//	type    = 1*<any byte but white space, "(", ")", DQUOTE>
//	astring = atom / quoted / literal
//	atom    = 1*<any byte but white space, "(", ")", DQUOTE>   ; not starting with "{"
//	quoted  = DQUOTE *(<any byte but CR, LF, DQUOTE, "\"> / "\" <any byte but CR, LF>) DQUOTE
//	literal = "{" number "}" CRLF <number bytes, no NUL>
//
// Blank lines are skipped. The type is upper-cased.
//
// cyrus: imap/sync_log.c sync_log_reader_getitem, imap/imapparse.c (3.6.1)
type Parser struct {
	// File names the source in Malformed reports.
	File string
	// MaxWord bounds every type and argument (DefaultMaxWord if 0).
	MaxWord int

	r    *bufio.Reader
	line int    // lines consumed so far
	raw  []byte // the current item's bytes, for reports
}

// NewParser returns a parser reading r.
func NewParser(r io.Reader, file string) *Parser {
	return &Parser{File: file, r: bufio.NewReaderSize(r, 64<<10), line: 0}
}

// errSyntax carries the reason of a malformed item inside the parser.
type errSyntax string

func (e errSyntax) Error() string { return string(e) }

const eof = -1

func (p *Parser) getc() int {
	c, err := p.r.ReadByte()
	if err != nil {
		return eof
	}
	if c == '\n' {
		p.line++
	}
	if len(p.raw) < 200 {
		p.raw = append(p.raw, c)
	}
	return int(c)
}

func (p *Parser) ungetc(c int) {
	if c == eof {
		return
	}
	p.r.UnreadByte()
	if c == '\n' {
		p.line--
	}
	if len(p.raw) > 0 && len(p.raw) < 200 {
		p.raw = p.raw[:len(p.raw)-1]
	}
}

func (p *Parser) maxWord() int {
	if p.MaxWord > 0 {
		return p.MaxWord
	}
	return DefaultMaxWord
}

func isAtomEnd(c int) bool {
	return c == eof || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
		c == '(' || c == ')' || c == '"'
}

// Next returns the next item; io.EOF at the end; a *Malformed for a line
// it skipped (call Next again to go on); any other error is from the
// underlying reader.
func (p *Parser) Next() (Item, error) {
	for {
		p.raw = p.raw[:0]
		start := p.line + 1
		it, blank, err := p.item()
		if err == io.EOF {
			return Item{}, io.EOF
		}
		if blank {
			continue
		}
		if err != nil {
			var syn errSyntax
			if !errors.As(err, &syn) {
				return Item{}, err
			}
			content := strings.TrimRight(string(p.raw), "\r\n")
			p.eatLine()
			return Item{}, &Malformed{File: p.File, Line: start, Content: content, Reason: string(syn)}
		}
		return it, nil
	}
}

// eatLine skips to just after the next LF (or the end).
func (p *Parser) eatLine() {
	if len(p.raw) > 0 && p.raw[len(p.raw)-1] == '\n' {
		return
	}
	for {
		c := p.getc()
		if c == eof || c == '\n' {
			return
		}
	}
}

func (p *Parser) item() (it Item, blank bool, err error) {
	typ, c, err := p.word()
	if err != nil {
		return it, false, err
	}
	if typ == "" && c == eof {
		return it, false, io.EOF
	}
	if c == '\r' {
		c = p.getc()
	}
	if c == '\n' {
		if typ == "" {
			return it, true, nil
		}
		// Cyrus skips such a line without a word; we report it.
		return it, false, errSyntax("Missing argument")
	}
	if c != ' ' || typ == "" {
		return it, false, errSyntax("Invalid input")
	}
	it.Type = strings.ToUpper(typ)
	for {
		arg, err := p.astring()
		if err != nil {
			return it, false, err
		}
		it.Args = append(it.Args, arg)
		c = p.getc()
		if c != ' ' || len(it.Args) == 2 {
			break
		}
	}
	if c == '\r' {
		c = p.getc()
	}
	if c != '\n' {
		if c == eof {
			return it, false, errSyntax("Incomplete last line")
		}
		return it, false, errSyntax("Garbage at end of input line")
	}
	return it, false, nil
}

// word reads a type word and returns it with the byte that ended it.
func (p *Parser) word() (string, int, error) {
	var b []byte
	for {
		c := p.getc()
		if isAtomEnd(c) {
			return string(b), c, nil
		}
		b = append(b, byte(c))
		if len(b) > p.maxWord() {
			return "", 0, errSyntax("word too long")
		}
	}
}

// astring reads one argument; the byte after it is left unread.
func (p *Parser) astring() (string, error) {
	c := p.getc()
	switch {
	case c == eof || c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n':
		p.ungetc(c)
		return "", errSyntax("Missing argument")
	case c == '"':
		return p.quoted()
	case c == '{':
		return p.literal()
	}
	var b []byte
	for !isAtomEnd(c) {
		b = append(b, byte(c))
		if len(b) > p.maxWord() {
			return "", errSyntax("word too long")
		}
		c = p.getc()
	}
	p.ungetc(c)
	return string(b), nil
}

func (p *Parser) quoted() (string, error) {
	var b []byte
	for {
		c := p.getc()
		if c == '\\' {
			c = p.getc()
		} else if c == '"' {
			return string(b), nil
		}
		if c == eof || c == '\r' || c == '\n' {
			p.ungetc(c)
			return "", errSyntax("Unterminated quoted string")
		}
		b = append(b, byte(c))
		if len(b) > p.maxWord() {
			return "", errSyntax("quoted value too long")
		}
	}
}

func (p *Parser) literal() (string, error) {
	var digits []byte
	c := p.getc()
	for c >= '0' && c <= '9' && len(digits) < 10 {
		digits = append(digits, byte(c))
		c = p.getc()
	}
	if c == '+' {
		// Cyrus 3.6's reader fails on a non-synchronising literal (and
		// drops the rest of the file); only {N} reads.
		p.ungetc(c)
		return "", errSyntax("Non-synchronising literal")
	}
	n, err := strconv.Atoi(string(digits))
	if len(digits) == 0 || err != nil || c != '}' {
		p.ungetc(c)
		return "", errSyntax("Bad literal")
	}
	if p.getc() != '\r' || p.getc() != '\n' {
		return "", errSyntax("Bad literal")
	}
	if n > p.maxWord() {
		return "", errSyntax("literal too long")
	}
	// The literal's bytes are consumed whatever they hold, as Cyrus does.
	b := make([]byte, 0, n)
	for i := 0; i < n; i++ {
		c := p.getc()
		if c == eof {
			return "", errSyntax("Truncated literal")
		}
		b = append(b, byte(c))
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return "", errSyntax("NUL in literal")
	}
	return string(b), nil
}
