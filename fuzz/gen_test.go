// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"math/rand"
	"testing"

	"pagesim/prog"
)

// checkRoundTrip fails the test unless p validates, prints, and parses
// back to an equal program: what the fuzzer saves must replay.
func checkRoundTrip(t *testing.T, p *prog.Program, what string) {
	t.Helper()
	if err := prog.Validate(p); err != nil {
		t.Fatalf("%s does not validate: %v\n%s", what, err, p)
	}
	text := p.String()
	q, err := prog.Parse("gen", []byte(text))
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", what, err, text)
	}
	if !prog.Equal(p, q) {
		t.Fatalf("%s changed in a round trip:\n%s\nreprinted:\n%s\n%#v\n%#v", what, text, q, p, q)
	}
}

func TestGenerateValid(t *testing.T) {
	for seed := int64(0); seed < 2000; seed++ {
		r := rand.New(rand.NewSource(seed))
		p := Generate(r, GenConfig{Kernel: "v3.16"})
		checkRoundTrip(t, p, "generated program")
		if len(p.Calls) != 20 {
			t.Fatalf("seed %d: %d calls, want 20", seed, len(p.Calls))
		}
	}
}

func TestMutateValid(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	cfg := GenConfig{Kernel: "v3.16"}
	p := Generate(r, cfg)
	changed := 0
	for i := 0; i < 2000; i++ {
		if i%50 == 0 {
			p = Generate(r, cfg)
		}
		before := p.String()
		q := Mutate(r, p, cfg)
		if p.String() != before {
			t.Fatalf("Mutate changed its input")
		}
		checkRoundTrip(t, q, "mutated program")
		if !prog.Equal(p, q) {
			changed++
		}
		p = q
	}
	if changed < 1500 {
		t.Errorf("only %d of 2000 mutations changed the program", changed)
	}
}

func TestSplice(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	valid := 0
	for i := 0; i < 500; i++ {
		a, b := Generate(r, GenConfig{}), Generate(r, GenConfig{})
		if prog.Validate(Splice(r, a, b)) == nil {
			valid++
		}
	}
	if valid < 250 {
		t.Errorf("only %d of 500 splices are valid", valid)
	}
}

// TestDecodeDeterministic: the fuzz engine's saved inputs must replay.
func TestDecodeDeterministic(t *testing.T) {
	for _, data := range [][]byte{nil, {1}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}} {
		a, b := Decode(data, FuzzConfig), Decode(data, FuzzConfig)
		if !prog.Equal(a, b) {
			t.Fatalf("Decode(%v) differs between calls", data)
		}
		checkRoundTrip(t, a, "decoded program")
	}
}
