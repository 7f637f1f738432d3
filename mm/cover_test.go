// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"slices"
	"testing"
)

// TestCoverPageState checks the generic page-state signal: off, CoverPage
// is Cover; on, the same site on pages in different states gives
// different entries, and on pages in the same state the same one.
func TestCoverPageState(t *testing.T) {
	s := bootSmall(t)
	a, okA := s.AllocPages(GFP_KERNEL, 0)
	b, okB := s.AllocPages(GFP_KERNEL, 0)
	c, okC := s.AllocPages(GFP_KERNEL, 0)
	if !okA || !okB || !okC {
		t.Fatal("allocation failed")
	}
	s.pages[b].setFlag(PG_dirty)

	touched := func(state bool, pfns ...uint64) []uint16 {
		cov := s.EnableCoverage(false)
		cov.PageState = state
		for _, pfn := range pfns {
			s.CoverPage("site", pfn)
		}
		return slices.Clone(cov.Touched)
	}
	plain := s.EnableCoverage(false)
	s.Cover("site")
	s.Cover("site")
	if got := touched(false, a, b); !slices.Equal(got, plain.Touched) {
		t.Errorf("without PageState, CoverPage touched %v, Cover %v", got, plain.Touched)
	}
	same := touched(true, a, c)
	if len(same) != len(plain.Touched)+1 {
		t.Errorf("two pages in one state touched %d entries, want the plain %d and one state entry", len(same), len(plain.Touched))
	}
	if diff := touched(true, a, b); len(diff) != len(plain.Touched)+2 {
		t.Errorf("a clean and a dirty page touched %d entries, want the plain %d and two state entries", len(diff), len(plain.Touched))
	}
	s.pages[b].clearFlag(PG_dirty)
	for _, pfn := range []uint64{a, b, c} {
		s.FreePages(pfn, 0)
	}
}

// BenchmarkCoverHit is one coverage hit on the fuzzer's path: the site's
// hash, its entry and the task's transition.
func BenchmarkCoverHit(b *testing.B) {
	c := &Coverage{}
	sites := []string{"shrink_page_list:writeback_mark_reclaim", "__alloc_pages_nodemask", "blk_queue_bio:get_rq", "set_page_dirty", "generic_perform_write"}
	i := 0
	for b.Loop() {
		c.hit(sites[i%len(sites)], 1)
		i++
	}
}
