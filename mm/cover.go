// SPDX-License-Identifier: GPL-2.0-only

package mm

import "encoding/binary"

// Coverage is a kcov-like signal from the model's own decision points:
// every branch of a modeled kernel function that matters to what happens
// to a page calls System.Cover with a name, "function:branch". The
// fuzzer keeps a program that reaches a new site, a new transition
// between two sites, or a site a new number of times (AFL's buckets), so
// the signal is about kernel behaviour, not Go lines.
//
// Sites are hashed into a fixed table, so that no registry is needed and
// a site costs nothing when coverage is off (one nil test).
type Coverage struct {
	// Hits counts, saturating at 255, each site (index hash(site)) and
	// each transition from one site to the next on the same task (index
	// prev>>1 ^ cur, as AFL does for edges; per task, as kcov is per
	// thread, so that how the scheduler interleaves tasks is not taken
	// for new behaviour).
	Hits [CoverSize]uint8
	// Names, when not nil, records the name of each site index reached,
	// for reports ("which branches has the campaign seen").
	Names map[uint32]string
	// Touched lists the entries of Hits that are not zero, in the order
	// they were first hit, so that reading and clearing the table costs
	// what was reached, not its size.
	Touched []uint16
	// PageState turns on a second, generic signal at the sites that
	// CoverPage reports: the site together with the state of the page it
	// is handling, summarized as /proc/kpageflags would show it (see
	// pageStateClass). It knows no bug and no site: every CoverPage site
	// gets it alike. Off by default; `pagesim fuzz --page-state` turns it
	// on, and docs/fuzzing.md measures time-to-find with and without it.
	PageState bool
	prev      []uint32 // by PID: the task's last site
}

// Reset clears c for another run (keeping its Names map, if any).
func (c *Coverage) Reset() {
	for _, i := range c.Touched {
		c.Hits[i] = 0
	}
	c.Touched = c.Touched[:0]
	clear(c.prev)
}

// UseCoverage collects coverage on s into c (which Reset has cleared, or
// which is new): the fuzzer reuses one table per worker.
func (s *System) UseCoverage(c *Coverage) { s.cov = c }

// CoverSize is the size of the coverage table: big enough that the few
// hundred sites and their transitions rarely collide.
const CoverSize = 1 << 16

// EnableCoverage starts collecting coverage on s; names says whether
// site names are recorded too.
func (s *System) EnableCoverage(names bool) *Coverage {
	s.cov = &Coverage{}
	if names {
		s.cov.Names = map[uint32]string{}
	}
	return s.cov
}

// Cover records that the decision point site was reached.
func (s *System) Cover(site string) {
	if s.cov != nil {
		s.cov.hit(site, s.coverPID())
	}
}

// coverPID is the task a site is counted for (0 outside any task).
func (s *System) coverPID() int {
	if t := s.current(); t != nil {
		return t.PID
	}
	return 0
}

// CoverPage records that the decision point site was reached while
// handling the page at pfn (the first page argument of the kernel
// function the site is in). Without Coverage.PageState it is Cover.
func (s *System) CoverPage(site string, pfn uint64) {
	if s.cov != nil {
		h := s.cov.hit(site, s.coverPID())
		if s.cov.PageState {
			s.cov.hitState(h, s.pageStateClass(pfn))
		}
	}
}

// pageStateClass summarizes a page's state for the page-state signal: the
// flags /proc/kpageflags reports that say what a page is and where it is
// (locked, dirty, LRU, active, private, writeback, swap cache, reclaim,
// swap-backed, unevictable, mlocked), whether it is anonymous and whether
// it is mapped. Counts are left out, so that the class is a small set.
func (s *System) pageStateClass(pfn uint64) uint32 {
	const kinds = 1<<PG_locked | 1<<PG_dirty | 1<<PG_lru | 1<<PG_active |
		1<<PG_private | 1<<PG_writeback | 1<<PG_swapcache | 1<<PG_reclaim |
		1<<PG_swapbacked | 1<<PG_unevictable | 1<<PG_mlocked
	p := &s.pages[pfn]
	c := uint32(p.flags & kinds)
	if p.PageAnon() {
		c |= 1 << 30
	}
	if p.mapcount > 0 {
		c |= 1 << 31
	}
	return c
}

// hitState records the pair (site, class) as one more table entry, from
// the site's hash as hit returned it. It is no edge: the per-task
// transitions stay those of the plain sites.
func (c *Coverage) hitState(h, class uint32) {
	h ^= (class + 1) * 0x9e3779b1 // +1: class 0 must not land on the site itself
	h = (h ^ h>>16) & (CoverSize - 1)
	c.bump(h)
}

// siteHash hashes the site's name, eight bytes at a time (a multiply and
// xor-shift per word, then a final mix): every site a fuzzer's run
// reaches is hashed each time, and a byte-at-a-time hash was an eighth of
// a 100-call run. It is fixed, not seeded, so that a campaign's signal is
// the same in every process.
func siteHash(site string) uint32 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(site)) * m
	for len(site) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64([]byte(site[:8]))) * m
		h ^= h >> 29
		site = site[8:]
	}
	var tail uint64
	for i := 0; i < len(site); i++ {
		tail |= uint64(site[i]) << (8 * i)
	}
	h = (h ^ tail) * m
	h ^= h >> 32
	return uint32(h)
}

// bump counts one hit of table entry i, saturating at 255.
func (c *Coverage) bump(i uint32) {
	if n := c.Hits[i]; n == 0 {
		c.Touched = append(c.Touched, uint16(i))
		c.Hits[i] = 1
	} else if n < 255 {
		c.Hits[i]++
	}
}

// hit counts site, and the task's transition to it, and returns the
// site's hash (siteHash) for CoverPage's state entry.
func (c *Coverage) hit(site string, pid int) uint32 {
	raw := siteHash(site)
	h := (raw ^ raw>>16) & (CoverSize - 1)
	c.bump(h)
	if c.Names != nil {
		if _, ok := c.Names[h]; !ok {
			c.Names[h] = site
		}
	}
	if pid >= len(c.prev) {
		c.prev = append(c.prev, make([]uint32, pid+1-len(c.prev))...)
	}
	c.bump((c.prev[pid]>>1 ^ h) & (CoverSize - 1))
	c.prev[pid] = h
	return raw
}
