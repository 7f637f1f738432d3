// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds the parser arbitrary text. It must never panic, and a
// program it accepts must round-trip: Print's text parses to an equal
// program, which prints the same text again. The seeds include loops and
// arithmetic (testdata/repeat.prog, repeatCases, the repeat cases of
// parseErrorCases).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.prog")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, tc := range parseErrorCases {
		f.Add([]byte(tc.src))
	}
	for _, tc := range repeatCases {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz", src)
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("Parse error is %T, not an ErrorList: %v", err, err)
			}
			return
		}
		text := p.String()
		q, err := Parse("printed", []byte(text))
		if err != nil {
			t.Fatalf("printed program does not parse: %v\ninput:\n%q\nprinted:\n%s", err, src, text)
		}
		if !Equal(p, q) {
			t.Fatalf("round trip changed the program\ninput:\n%q\nprinted:\n%s\nreprinted:\n%s", src, text, q.String())
		}
		if again := q.String(); again != text {
			t.Fatalf("printing is not canonical:\n%s\nthen\n%s", text, again)
		}
		if err := Validate(p); err != nil {
			t.Fatalf("a parsed program does not validate: %v\n%s", err, text)
		}
	})
}
