// SPDX-License-Identifier: GPL-2.0-only

// Package examples holds example programs in pagesim's program language
// (docs/programs.md): realistic, commented workloads whose comments say
// what to look at afterwards and which kernel rule it shows. Each is a
// .prog file embedded in the binary; run one with pagesim run FILE.
package examples

import (
	"embed"
	"sort"
	"strings"
)

//go:embed *.prog
var files embed.FS

// Example is one example program.
type Example struct {
	// Name is the file's name without .prog: "swap-thrash".
	Name string
	// Description is the program's first comment paragraph, joined into
	// one line.
	Description string
	// Source is the program's text.
	Source []byte
}

// List returns every example, sorted by name.
func List() []Example {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err) // an embed.FS's root always reads
	}
	var out []Example
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".prog")
		if !ok || e.IsDir() {
			continue
		}
		src, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, Example{Name: name, Description: description(src), Source: src})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds an example by name (without .prog).
func Lookup(name string) (Example, bool) {
	for _, e := range List() {
		if e.Name == name {
			return e, true
		}
	}
	return Example{}, false
}

// description is the text of the program's leading comment lines up to
// the first blank comment line or the first line that is not a comment,
// joined with single spaces.
func description(src []byte) string {
	var words []string
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		text, ok := strings.CutPrefix(line, "#")
		if !ok {
			break
		}
		text = strings.TrimSpace(text)
		if text == "" {
			if len(words) > 0 {
				break
			}
			continue
		}
		words = append(words, strings.Fields(text)...)
	}
	return strings.Join(words, " ")
}
