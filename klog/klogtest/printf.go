// SPDX-License-Identifier: GPL-2.0-only

// Package klogtest helps tests check kernel log lines against the C format
// strings the kernel prints them with.
package klogtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Printf matches line against a C printk format string and returns the
// values of its conversions: int64 for the decimal conversions (%d, %i,
// %u with h, l, ll length modifiers), uint64 for %x, string for %s. It checks the
// line exactly: the values, formatted back with the same widths and
// flags, must give the line byte for byte (so "%5d" must be padded to 5
// columns, "%lukB" must have no space before kB). Supported: flags "-0 ",
// a width, a precision for %s, and "%%".
func Printf(line, format string) ([]any, error) {
	var re strings.Builder
	var gofmt strings.Builder
	var kinds []byte
	re.WriteString("^")
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			re.WriteString(regexp.QuoteMeta(string(c)))
			gofmt.WriteByte(c)
			continue
		}
		j := i + 1
		if j < len(format) && format[j] == '%' {
			re.WriteString("%")
			gofmt.WriteString("%%")
			i = j
			continue
		}
		spec := "%"
		for j < len(format) && strings.IndexByte("-0 +#", format[j]) >= 0 {
			spec += string(format[j])
			j++
		}
		for j < len(format) && (format[j] >= '0' && format[j] <= '9' || format[j] == '.') {
			spec += string(format[j])
			j++
		}
		for j < len(format) && strings.IndexByte("hlzL", format[j]) >= 0 {
			j++ // length modifiers do not change the text
		}
		if j >= len(format) {
			return nil, fmt.Errorf("format %q: incomplete conversion", format)
		}
		switch v := format[j]; v {
		case 'd', 'i':
			re.WriteString(` *(-?\d+) *`)
			gofmt.WriteString(spec + "d")
			kinds = append(kinds, 'd')
		case 'u':
			re.WriteString(` *(\d+) *`)
			gofmt.WriteString(spec + "d")
			kinds = append(kinds, 'd')
		case 'x':
			re.WriteString(` *([0-9a-f]+) *`)
			gofmt.WriteString(spec + "x")
			kinds = append(kinds, 'x')
		case 's':
			re.WriteString(`(.*?)`)
			gofmt.WriteString(spec + "s")
			kinds = append(kinds, 's')
		default:
			return nil, fmt.Errorf("format %q: conversion %%%c not supported", format, v)
		}
		i = j
	}
	re.WriteString("$")
	m := regexp.MustCompile(re.String()).FindStringSubmatch(line)
	if m == nil {
		return nil, fmt.Errorf("line %q does not match format %q", line, format)
	}
	vals := make([]any, len(kinds))
	for k, kind := range kinds {
		switch kind {
		case 'd':
			n, err := strconv.ParseInt(m[k+1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %v", line, err)
			}
			vals[k] = n
		case 'x':
			n, err := strconv.ParseUint(m[k+1], 16, 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %v", line, err)
			}
			vals[k] = n
		default:
			vals[k] = m[k+1]
		}
	}
	if back := fmt.Sprintf(gofmt.String(), vals...); back != line {
		return nil, fmt.Errorf("line %q is not what format %q prints for its values (%q)", line, format, back)
	}
	return vals, nil
}
