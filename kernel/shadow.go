// SPDX-License-Identifier: GPL-2.0-only

package kernel

import "pagesim/mm"

// anonShadow is a process's data-integrity shadow (DESIGN §7): what it
// last wrote at each address. It behaves exactly as the
// map[uint64]uint64 it replaces (get, set, delete a range, copy); only
// the storage differs, because a Go map insert per touched page (with
// the rehashing as the map grows) cost about a fifth of a fault's host
// time in "pagesim bench".
//
// Page-aligned addresses, the only ones Touch uses with its default
// stride, live in chunks of shadowChunkPages pages (2 MiB, one page
// table's span) found by one map lookup per chunk, and the chunk last
// used is remembered, so a sequential touch costs an array store. Any
// other address (a stride that is not a multiple of the page size) goes
// to a plain map, as before.
type anonShadow struct {
	chunks    map[uint64]*shadowChunk // by addr >> shadowChunkShift
	unaligned map[uint64]uint64
	// lastKey and last cache the chunk of the latest lookup; last is nil
	// when nothing is cached.
	lastKey uint64
	last    *shadowChunk
}

const (
	shadowChunkShift = mm.PAGE_SHIFT + 9
	shadowChunkPages = 1 << (shadowChunkShift - mm.PAGE_SHIFT)
)

// shadowChunk holds the tokens of shadowChunkPages consecutive pages; a
// page without a bit in present has no entry (the map's "not found").
type shadowChunk struct {
	present [shadowChunkPages / 64]uint64
	val     [shadowChunkPages]uint64
	n       int // entries present; an empty chunk is dropped
}

func newAnonShadow() *anonShadow {
	return &anonShadow{chunks: map[uint64]*shadowChunk{}, unaligned: map[uint64]uint64{}}
}

// chunk returns the chunk holding page-aligned address a, creating it if
// create is set; nil if it does not exist.
func (s *anonShadow) chunk(a uint64, create bool) *shadowChunk {
	key := a >> shadowChunkShift
	if s.last != nil && s.lastKey == key {
		return s.last
	}
	c := s.chunks[key]
	if c == nil {
		if !create {
			return nil
		}
		c = new(shadowChunk)
		s.chunks[key] = c
	}
	s.lastKey, s.last = key, c
	return c
}

// shadowSlot is a's index in its chunk.
func shadowSlot(a uint64) uint64 {
	return (a >> mm.PAGE_SHIFT) & (shadowChunkPages - 1)
}

// get is v, ok := shadow[a].
func (s *anonShadow) get(a uint64) (uint64, bool) {
	if a&(mm.PAGE_SIZE-1) != 0 {
		v, ok := s.unaligned[a]
		return v, ok
	}
	c := s.chunk(a, false)
	if c == nil {
		return 0, false
	}
	i := shadowSlot(a)
	if c.present[i/64]&(1<<(i%64)) == 0 {
		return 0, false
	}
	return c.val[i], true
}

// has is _, ok := shadow[a].
func (s *anonShadow) has(a uint64) bool {
	_, ok := s.get(a)
	return ok
}

// set is shadow[a] = v.
func (s *anonShadow) set(a, v uint64) {
	if a&(mm.PAGE_SIZE-1) != 0 {
		s.unaligned[a] = v
		return
	}
	c := s.chunk(a, true)
	i := shadowSlot(a)
	if c.present[i/64]&(1<<(i%64)) == 0 {
		c.present[i/64] |= 1 << (i % 64)
		c.n++
	}
	c.val[i] = v
}

// deleteRange deletes every entry at an address in [lo, hi).
func (s *anonShadow) deleteRange(lo, hi uint64) {
	if hi <= lo {
		return // an empty (or wrapped) range: no address is in it
	}
	for a := range s.unaligned {
		if a >= lo && a < hi {
			delete(s.unaligned, a)
		}
	}
	first, last := lo>>shadowChunkShift, (hi-1)>>shadowChunkShift
	if last-first < uint64(len(s.chunks)) {
		for key := first; ; key++ {
			if c := s.chunks[key]; c != nil {
				s.deleteInChunk(key, c, lo, hi)
			}
			if key == last {
				break
			}
		}
		return
	}
	for key, c := range s.chunks {
		if key >= first && key <= last {
			s.deleteInChunk(key, c, lo, hi)
		}
	}
}

// deleteInChunk deletes chunk key's entries in [lo, hi), and the chunk if
// that empties it.
func (s *anonShadow) deleteInChunk(key uint64, c *shadowChunk, lo, hi uint64) {
	base := key << shadowChunkShift
	for i := uint64(0); i < shadowChunkPages; i++ {
		a := base + i<<mm.PAGE_SHIFT
		if a >= lo && a < hi && c.present[i/64]&(1<<(i%64)) != 0 {
			c.present[i/64] &^= 1 << (i % 64)
			c.val[i] = 0
			c.n--
		}
	}
	if c.n == 0 {
		delete(s.chunks, key)
		if s.last == c {
			s.last = nil
		}
	}
}

// clone returns a copy, for fork.
func (s *anonShadow) clone() *anonShadow {
	d := newAnonShadow()
	for a, v := range s.unaligned {
		d.unaligned[a] = v
	}
	for key, c := range s.chunks {
		cc := *c
		d.chunks[key] = &cc
	}
	return d
}
