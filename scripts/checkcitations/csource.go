package main

import (
	"strings"
)

// A check is one invocation of a BUG/WARN macro in a C source file.
type check struct {
	Macro     string // "VM_BUG_ON_PAGE", "WARN_ON_ONCE", ...
	StartLine int    // the line of the macro's name
	EndLine   int    // the line of its closing parenthesis: __LINE__ as GCC 4.x gave it
	Cond      string // its first argument as __stringify prints it ("" for BUG())
}

// checkMacros are the macros whose report prints __FILE__:__LINE__.
var checkMacros = map[string]bool{
	"BUG": true, "BUG_ON": true, "VM_BUG_ON": true, "VM_BUG_ON_PAGE": true,
	"WARN": true, "WARN_ON": true, "WARN_ONCE": true, "WARN_ON_ONCE": true,
	"WARN_ON_SMP": true, "WARN_TAINT": true, "WARN_TAINT_ONCE": true,
	"VM_WARN_ON": true, "VM_WARN_ON_ONCE": true,
}

// blank returns src with comments, string and character literals and
// preprocessor directives (with their continuation lines) replaced by
// spaces, newlines kept, so that offsets and line numbers still match src.
func blank(src string) string {
	b := []byte(src)
	n := len(b)
	lineStart := true
	for i := 0; i < n; {
		c := b[i]
		switch {
		case c == '\n':
			lineStart = true
			i++
			continue
		case c == ' ' || c == '\t':
			i++
			continue
		case lineStart && c == '#':
			// A directive: blank to the end of the logical line.
			for i < n && b[i] != '\n' {
				if b[i] == '\\' && i+1 < n && b[i+1] == '\n' {
					b[i] = ' '
					i += 2
					continue
				}
				if b[i] == '/' && i+1 < n && b[i+1] == '*' {
					i = blankComment(b, i)
					continue
				}
				b[i] = ' '
				i++
			}
			continue
		}
		lineStart = false
		switch {
		case c == '/' && i+1 < n && b[i+1] == '*':
			i = blankComment(b, i)
		case c == '/' && i+1 < n && b[i+1] == '/':
			for i < n && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		case c == '"' || c == '\'':
			q := c
			i++
			for i < n && b[i] != q && b[i] != '\n' {
				if b[i] == '\\' && i+1 < n {
					if b[i+1] != '\n' {
						b[i+1] = ' '
					}
					b[i] = ' '
					i += 2
					continue
				}
				b[i] = ' '
				i++
			}
			i++
		default:
			i++
		}
	}
	return string(b)
}

// blankComment blanks the /* comment */ at b[i:] and returns the offset after it.
func blankComment(b []byte, i int) int {
	b[i], b[i+1] = ' ', ' '
	i += 2
	for i < len(b) {
		if b[i] == '*' && i+1 < len(b) && b[i+1] == '/' {
			b[i], b[i+1] = ' ', ' '
			return i + 2
		}
		if b[i] != '\n' {
			b[i] = ' '
		}
		i++
	}
	return i
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// findChecks returns every BUG/WARN macro invocation in the C source src,
// in source order, outside comments, literals and preprocessor directives.
func findChecks(src string) []check {
	clean := blank(src)
	var out []check
	n := len(clean)
	for i := 0; i < n; i++ {
		if !isIdent(clean[i]) || (i > 0 && isIdent(clean[i-1])) {
			continue
		}
		j := i
		for j < n && isIdent(clean[j]) {
			j++
		}
		name := clean[i:j]
		if !checkMacros[name] {
			i = j - 1
			continue
		}
		k := j
		for k < n && (clean[k] == ' ' || clean[k] == '\t' || clean[k] == '\n') {
			k++
		}
		if k >= n || clean[k] != '(' {
			i = j - 1
			continue
		}
		// Match the parentheses; note where the first argument ends.
		depth, argEnd, end := 0, -1, -1
		for m := k; m < n; m++ {
			switch clean[m] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					end = m
				}
			case ',':
				if depth == 1 && argEnd < 0 {
					argEnd = m
				}
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			break
		}
		if argEnd < 0 {
			argEnd = end
		}
		out = append(out, check{
			Macro:     name,
			StartLine: 1 + strings.Count(clean[:i], "\n"),
			EndLine:   1 + strings.Count(clean[:end], "\n"),
			Cond:      stringify(src[k+1 : argEnd]),
		})
		i = j - 1
	}
	return out
}

// stringify is what the preprocessor's # operator makes of an argument:
// leading and trailing white space dropped, each run of white space
// (comments included) one space.
func stringify(arg string) string {
	return strings.Join(strings.Fields(blankCommentsOnly(arg)), " ")
}

// blankCommentsOnly replaces the comments in s by spaces.
func blankCommentsOnly(s string) string {
	b := []byte(s)
	for i := 0; i+1 < len(b); i++ {
		switch {
		case b[i] == '"' || b[i] == '\'':
			q := b[i]
			for i++; i < len(b) && b[i] != q; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case b[i] == '/' && b[i+1] == '*':
			i = blankComment(b, i) - 1
		case b[i] == '/' && b[i+1] == '/':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		}
	}
	return string(b)
}
