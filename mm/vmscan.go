// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/vmscan.c: the allocator's entry points into reclaim. LRU lists, kswapd
// and the shrink_* functions are built on the page cache and anonymous
// memory (issues 3 and 4); until then no page can be on an LRU list, so
// reclaim has nothing it could scan.

// wakeupKswapd is wakeup_kswapd(): record the order and classzone kswapd
// should balance for, and wake it if the zone is not balanced.
//
// Model: no kswapd thread runs yet, so nothing waits on kswapd_wait and,
// as in the kernel when the queue is empty, the wake-up returns early.
func (s *System) wakeupKswapd(z *Zone, order uint, classzoneIdx int) {
	if !z.populatedZone() {
		return
	}
	nd := z.node
	if nd.kswapdMaxOrder < order {
		nd.kswapdMaxOrder = order
		nd.classzoneIdx = min(nd.classzoneIdx, classzoneIdx)
	}
	if nd.kswapdWait.Len() == 0 {
		return
	}
}

// tryToFreePages is try_to_free_pages(): direct reclaim for an allocation
// that failed its watermarks. It returns the pages reclaimed.
//
// Model: do_try_to_free_pages counts the stall; with no LRU lists and no
// shrinkers modeled yet there is nothing to scan, so it reclaims nothing.
// Issue 4 replaces the body with shrink_zones and the rest of vmscan.c.
func (s *System) tryToFreePages(zl *zonelist, order uint, gfp GFP) uint64 {
	s.countVMEvent(ALLOCSTALL)
	return 0
}
