// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"math/rand"
	"testing"

	"pagesim/mm"
)

// TestAnonShadowIsAMap checks anonShadow against the map[uint64]uint64 it
// stands for, with random stores, lookups, range deletes and clones over
// aligned and unaligned addresses in a few chunks.
func TestAnonShadowIsAMap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	s, ref := newAnonShadow(), map[uint64]uint64{}
	addr := func() uint64 {
		a := uint64(rng.Intn(4*shadowChunkPages)) * mm.PAGE_SIZE
		if rng.Intn(8) == 0 {
			a += uint64(rng.Intn(mm.PAGE_SIZE))
		}
		return a
	}
	for i := 0; i < 200000; i++ {
		switch op := rng.Intn(100); {
		case op < 60:
			a, v := addr(), rng.Uint64()
			s.set(a, v)
			ref[a] = v
		case op < 98:
			a := addr()
			v, ok := s.get(a)
			rv, rok := ref[a]
			if v != rv || ok != rok {
				t.Fatalf("op %d: get(%#x) = %#x, %v; want %#x, %v", i, a, v, ok, rv, rok)
			}
		case op < 99:
			lo := addr()
			hi := lo + uint64(rng.Intn(2*shadowChunkPages))*mm.PAGE_SIZE
			s.deleteRange(lo, hi)
			for a := range ref {
				if a >= lo && a < hi {
					delete(ref, a)
				}
			}
		default:
			s = s.clone()
		}
	}
	n := len(s.unaligned)
	for _, c := range s.chunks {
		n += c.n
	}
	if n != len(ref) {
		t.Fatalf("%d entries, want %d", n, len(ref))
	}
}
