// SPDX-License-Identifier: GPL-2.0-only

package mm

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
	prev    []uint32 // by PID: the task's last site
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
		pid := 0
		if t := s.current(); t != nil {
			pid = t.PID
		}
		s.cov.hit(site, pid)
	}
}

func (c *Coverage) hit(site string, pid int) {
	// FNV-1a: names are short, and this runs only while fuzzing.
	h := uint32(2166136261)
	for i := 0; i < len(site); i++ {
		h ^= uint32(site[i])
		h *= 16777619
	}
	h = (h ^ h>>16) & (CoverSize - 1)
	if n := c.Hits[h]; n == 0 {
		c.Touched = append(c.Touched, uint16(h))
		c.Hits[h] = 1
	} else if n < 255 {
		c.Hits[h]++
	}
	if c.Names != nil {
		if _, ok := c.Names[h]; !ok {
			c.Names[h] = site
		}
	}
	if pid >= len(c.prev) {
		c.prev = append(c.prev, make([]uint32, pid+1-len(c.prev))...)
	}
	e := (c.prev[pid]>>1 ^ h) & (CoverSize - 1)
	if n := c.Hits[e]; n == 0 {
		c.Touched = append(c.Touched, uint16(e))
		c.Hits[e] = 1
	} else if n < 255 {
		c.Hits[e]++
	}
	c.prev[pid] = h
}
