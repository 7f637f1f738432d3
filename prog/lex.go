// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A program is read line by line; each line is split into tokens.

type tokKind int

const (
	tIdent tokKind = iota // [A-Za-z_][A-Za-z0-9_.-]*
	tNum                  // [0-9][A-Za-z0-9_]*: 42, 0x1000, 4K, 10ms
	tStr                  // "a Go string"
	tPath                 // /bare/path
	tPunct                // ( ) , = : + - | * { }
)

type token struct {
	kind tokKind
	text string // as written
	val  string // tStr: the unquoted string
	col  int    // 1-based byte column
}

func (t token) is(punct string) bool { return t.kind == tPunct && t.text == punct }

func (t token) describe() string {
	if t.kind == tStr {
		return "string " + t.text
	}
	return strconv.Quote(t.text)
}

type lexError struct {
	col       int
	msg, hint string
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '.' || c == '-'
}
func isNumChar(c byte) bool { return isLetter(c) || isDigit(c) }

// isPathChar is what a bare path may hold; printPathChar is the subset
// Print writes bare (anything else is quoted).
func isPathChar(c byte) bool {
	return isLetter(c) || isDigit(c) || strings.IndexByte("./+-~@%", c) >= 0
}

func printPathChar(c byte) bool {
	return isLetter(c) || isDigit(c) || strings.IndexByte("./+-", c) >= 0
}

// lexLine splits one line into tokens and its comment (the text after #,
// trailing blanks removed).
func lexLine(line string) (toks []token, comment string, hasComment bool, err *lexError) {
	i := 0
	for i < len(line) {
		c := line[i]
		start := i
		switch {
		case c == ' ' || c == '\t':
			i++
			continue
		case c == '#':
			return toks, strings.TrimRight(line[i+1:], " \t\r"), true, nil
		case isLetter(c):
			for i < len(line) && isIdentChar(line[i]) {
				i++
			}
			toks = append(toks, token{kind: tIdent, text: line[start:i], col: start + 1})
		case isDigit(c):
			for i < len(line) && isNumChar(line[i]) {
				i++
			}
			toks = append(toks, token{kind: tNum, text: line[start:i], col: start + 1})
			if i < len(line) && line[i] == '.' {
				return nil, "", false, &lexError{col: i + 1, msg: "unexpected \".\" in a number",
					hint: "numbers are whole: write 1536M, not 1.5G"}
			}
		case c == '/':
			i++
			for i < len(line) && isPathChar(line[i]) {
				i++
			}
			toks = append(toks, token{kind: tPath, text: line[start:i], val: line[start:i], col: start + 1})
		case c == '"':
			q, qerr := strconv.QuotedPrefix(line[i:])
			if qerr != nil {
				return nil, "", false, &lexError{col: i + 1, msg: "malformed string",
					hint: "strings are double-quoted, with Go escapes: \"/mnt/ext4/a file\""}
			}
			v, _ := strconv.Unquote(q)
			i += len(q)
			toks = append(toks, token{kind: tStr, text: q, val: v, col: start + 1})
		case strings.IndexByte("(),=:+-|*{}", c) >= 0:
			i++
			toks = append(toks, token{kind: tPunct, text: line[start:i], col: start + 1})
		default:
			r := fmt.Sprintf("%q", line[i:i+1])
			if c >= 0x80 {
				r = "non-ASCII byte"
			}
			return nil, "", false, &lexError{col: i + 1, msg: "unexpected " + r,
				hint: "a line is a header directive (mem 1G) or a call (main: r0 = mmap(4M, rw)); # starts a comment"}
		}
	}
	return toks, "", false, nil
}

// Numbers.

var errSyntax = fmt.Errorf("syntax")

// parseUint reads a decimal or 0x-hex number without a suffix.
func parseUint(s string) (uint64, error) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, errSyntax
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

var sizeUnits = []struct {
	suffix byte
	shift  uint
}{{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}}

// parseSize reads a size: a number, or a decimal number with a K, M, G or
// T suffix (powers of 1024).
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, errSyntax
	}
	for _, u := range sizeUnits {
		if s[len(s)-1] == u.suffix {
			num := s[:len(s)-1]
			for i := 0; i < len(num); i++ {
				if !isDigit(num[i]) {
					return 0, errSyntax
				}
			}
			v, err := strconv.ParseUint(num, 10, 64)
			if err != nil {
				return 0, err
			}
			if v > math.MaxUint64>>u.shift {
				return 0, strconv.ErrRange
			}
			return v << u.shift, nil
		}
	}
	return parseUint(s)
}

// formatSize prints a size with the largest suffix that divides it.
func formatSize(v uint64) string {
	if v == 0 {
		return "0"
	}
	for _, u := range sizeUnits {
		if v&(1<<u.shift-1) == 0 {
			return strconv.FormatUint(v>>u.shift, 10) + string(u.suffix)
		}
	}
	return strconv.FormatUint(v, 10)
}

// formatOffset prints a signed size.
func formatOffset(v int64) string {
	if v < 0 {
		return "-" + formatSize(uint64(-(v+1))+1)
	}
	return formatSize(uint64(v))
}

var durationUnits = []struct {
	suffix string
	ns     int64
}{{"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1}}

// parseDuration reads a duration: a decimal number with ns, us, ms or s,
// or 0.
func parseDuration(s string) (int64, error) {
	if s == "0" {
		return 0, nil
	}
	end := len(s)
	for end > 0 && !isDigit(s[end-1]) {
		end--
	}
	num, unit := s[:end], s[end:]
	for _, u := range durationUnits {
		if unit != u.suffix {
			continue
		}
		for i := 0; i < len(num); i++ {
			if !isDigit(num[i]) {
				return 0, errSyntax
			}
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, err
		}
		if v > math.MaxInt64/u.ns {
			return 0, strconv.ErrRange
		}
		return v * u.ns, nil
	}
	return 0, errSyntax
}

// formatDuration prints a duration in the largest unit that divides it.
func formatDuration(v int64) string {
	if v == 0 {
		return "0"
	}
	for _, u := range durationUnits {
		if v%u.ns == 0 {
			return strconv.FormatInt(v/u.ns, 10) + u.suffix
		}
	}
	return strconv.FormatInt(v, 10) + "ns"
}

// formatPath prints a path bare when it is safe to, quoted otherwise.
func formatPath(s string) string {
	if len(s) > 0 && s[0] == '/' {
		ok := true
		for i := 0; i < len(s); i++ {
			if !printPathChar(s[i]) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	return strconv.Quote(s)
}

// isResName says whether s names a resource: r followed by digits.
func isResName(s string) bool {
	if len(s) < 2 || s[0] != 'r' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
