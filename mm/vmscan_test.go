// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"testing"

	"pagesim/sim"
)

// fakeFile is a minimal filesystem for reclaim tests: ->writepage starts
// writeback (or, with sync set, completes it at once) and counts calls.
type fakeFile struct {
	size       int64
	writepages int
	sync       bool
}

func (f *fakeFile) ISize() int64             { return f.size }
func (f *fakeFile) MarkInodeDirty(flags int) {}
func (f *fakeFile) Ino() uint64              { return 99 }

func (f *fakeFile) Writepage(s *System, pfn uint64, wbc *WritebackControl) int {
	f.writepages++
	s.SetPageWriteback(pfn)
	s.unlockPage(pfn)
	if f.sync {
		s.EndPageWriteback(pfn)
	}
	return 0
}

func (f *fakeFile) Readpage(s *System, pfn uint64) int {
	s.pages[pfn].setFlag(PG_uptodate)
	s.unlockPage(pfn)
	return 0
}

// reclaimFixture boots a machine with a scheduler and a file of n cached
// pages on the inactive file LRU of DMA32.
type reclaimFixture struct {
	s     *System
	sched *sim.Scheduler
	m     *AddressSpace
	f     *fakeFile
	pfns  []uint64
	zone  *Zone
}

func newReclaimFixture(t *testing.T, n int, dirty bool) *reclaimFixture {
	t.Helper()
	clock := sim.NewClock()
	sched := sim.NewScheduler(clock, sim.NewRand(1), 2, sim.RoundRobin)
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, Env{Sched: sched, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Stop("done") })
	f := &fakeFile{size: int64(n) * PAGE_SIZE}
	bdi := &BackingDevInfo{Name: "fake"}
	s.RegisterBDI(bdi)
	fx := &reclaimFixture{s: s, sched: sched, f: f, m: s.NewAddressSpace(f, f, bdi), zone: s.nodes[0].Zone(ZONE_DMA32)}
	for i := 0; i < n; i++ {
		pfn, ok := s.AllocPagesNode(0, GFP_HIGHUSER_MOVABLE, 0)
		if !ok {
			t.Fatal("alloc")
		}
		if err := s.AddToPageCacheLRU(pfn, fx.m, uint64(i)); err != nil {
			t.Fatal(err)
		}
		s.pages[pfn].setFlag(PG_uptodate)
		if dirty {
			s.SetPageDirty(pfn)
		}
		s.unlockPage(pfn)
		s.PutPage(pfn)
		fx.pfns = append(fx.pfns, pfn)
	}
	s.LRUAddDrainAll()
	fx.zone = s.PageZone(&s.pages[fx.pfns[0]])
	return fx
}

// isolate takes the fixture's pages off the LRU as shrink_inactive_list
// does, for shrink_page_list.
func (fx *reclaimFixture) isolate(t *testing.T) []uint64 {
	t.Helper()
	fx.s.LRUAddDrainAll()
	var out []uint64
	for _, pfn := range fx.pfns {
		if fx.s.isolateLRUPage(pfn) {
			out = append(out, pfn)
		}
	}
	return out
}

// runAs runs fn in a task with the given flags.
func (fx *reclaimFixture) runAs(t *testing.T, flags uint32, fn func()) {
	t.Helper()
	fx.sched.Spawn("reclaimer", 0, func(task *sim.Task) {
		task.Flags |= flags
		fn()
		task.Flags &^= flags
	})
	if err := fx.sched.Run(); err != nil {
		t.Fatal(err)
	}
}

func (fx *reclaimFixture) putback(pages []uint64) {
	for _, pfn := range pages {
		fx.s.putbackLRUPage(pfn)
	}
}

// TestDirectReclaimNeverWritesFileCache checks shrink_page_list()'s PageDirty
// block: for a page_is_file_cache() page, direct reclaim (PF_MEMALLOC
// without PF_KSWAPD) never calls ->writepage; it sets PG_reclaim, counts
// nr_vmscan_immediate_reclaim and keeps the page, even with the zone
// flagged ZONE_TAIL_LRU_DIRTY.
func TestDirectReclaimNeverWritesFileCache(t *testing.T) {
	fx := newReclaimFixture(t, 8, true)
	fx.zone.setFlag(ZONE_TAIL_LRU_DIRTY)
	var reclaimed uint64
	var back []uint64
	fx.runAs(t, sim.PF_MEMALLOC, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		var st shrinkStats
		reclaimed, back = fx.s.shrinkPageList(fx.isolate(t), fx.zone, sc, TTU_UNMAP, false, &st)
	})
	if fx.f.writepages != 0 || reclaimed != 0 {
		t.Fatalf("direct reclaim wrote %d file pages, reclaimed %d", fx.f.writepages, reclaimed)
	}
	for _, pfn := range back {
		if !fx.s.pages[pfn].PageReclaimFlag() || !fx.s.pages[pfn].PageDirty() {
			t.Fatalf("kept page lacks PG_reclaim or lost PG_dirty: %s", FlagNames(fx.s.pages[pfn].flags))
		}
	}
	if got := fx.zone.zonePageStateSnapshot(NR_VMSCAN_IMMEDIATE); got != 8 {
		t.Fatalf("nr_vmscan_immediate_reclaim %d, want 8", got)
	}
	fx.putback(back)
	checkInv(t, fx.s)
}

// TestKswapdWritesFileOnlyWhenTailDirty checks that kswapd writes dirty
// file pages only once the zone is flagged ZONE_TAIL_LRU_DIRTY (set when a
// whole isolated batch was dirty and unqueued); before that it too just
// marks them PG_reclaim.
func TestKswapdWritesFileOnlyWhenTailDirty(t *testing.T) {
	fx := newReclaimFixture(t, 8, true)
	kswapd := uint32(sim.PF_MEMALLOC | sim.PF_KSWAPD | sim.PF_SWAPWRITE)
	sc := func() *scanControl {
		return &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
	}
	var back []uint64
	fx.runAs(t, kswapd, func() {
		var st shrinkStats
		_, back = fx.s.shrinkPageList(fx.isolate(t), fx.zone, sc(), TTU_UNMAP, false, &st)
	})
	if fx.f.writepages != 0 {
		t.Fatalf("kswapd wrote %d file pages with the zone not flagged", fx.f.writepages)
	}
	fx.putback(back)
	// Pages kept with PG_reclaim; clear the reference history as a second
	// scan would, flag the zone, and scan again.
	fx.zone.setFlag(ZONE_TAIL_LRU_DIRTY)
	fx.runAs(t, kswapd, func() {
		var st shrinkStats
		_, back = fx.s.shrinkPageList(fx.isolate(t), fx.zone, sc(), TTU_UNMAP, false, &st)
	})
	// Unreferenced and dirty, the pages are now written (pageout).
	if fx.f.writepages != 8 {
		t.Fatalf("kswapd did not write dirty file pages once ZONE_TAIL_LRU_DIRTY was set")
	}
	for _, pfn := range back {
		p := &fx.s.pages[pfn]
		if p.PageWriteback() && !p.PageReclaimFlag() {
			t.Fatalf("page under reclaim writeback lacks PG_reclaim")
		}
	}
	fx.putback(back)
	checkInv(t, fx.s)
}

// TestWritebackPageRotated checks that a page found under writeback gets
// PG_reclaim and is kept, and that end_page_writeback then rotates it to
// the tail of its inactive list (rotate_reclaimable_page, pgrotated) so the
// next scan reclaims it first.
func TestWritebackPageRotated(t *testing.T) {
	fx := newReclaimFixture(t, 4, false)
	pfn := fx.pfns[0]
	fx.runAs(t, 0, func() {
		fx.s.lockPage(pfn)
		fx.s.SetPageWriteback(pfn)
		fx.s.unlockPage(pfn)
	})
	var back []uint64
	fx.runAs(t, sim.PF_MEMALLOC, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		var st shrinkStats
		pages := []uint64{pfn}
		fx.s.isolateLRUPage(pfn)
		_, back = fx.s.shrinkPageList(pages, fx.zone, sc, TTU_UNMAP, false, &st)
		if st.nrWriteback != 1 {
			t.Errorf("nr_writeback %d", st.nrWriteback)
		}
	})
	if len(back) != 1 || !fx.s.pages[pfn].PageReclaimFlag() {
		t.Fatalf("writeback page not kept with PG_reclaim")
	}
	fx.putback(back)
	fx.s.LRUAddDrainAll()
	rotated := fx.s.VMEvent(PGROTATED)
	fx.runAs(t, 0, func() {
		fx.s.EndPageWriteback(pfn)
		fx.s.LRUAddDrain()
	})
	if fx.s.VMEvent(PGROTATED) != rotated+1 {
		t.Fatalf("end_page_writeback did not rotate the PG_reclaim page")
	}
	if tail := uint64(fx.s.listLast(fx.zone.lruvec.lists[LRU_INACTIVE_FILE])); tail != pfn {
		t.Fatalf("rotated page %#x not at the tail of inactive file (tail %#x)", pfn, tail)
	}
	checkInv(t, fx.s)
}

// TestCleanUnmappedFilePageFreed checks that shrink_page_list frees a clean,
// unmapped, unreferenced file page: out of the page cache
// (__remove_mapping) and back to the allocator.
func TestCleanUnmappedFilePageFreed(t *testing.T) {
	fx := newReclaimFixture(t, 4, false)
	var reclaimed uint64
	fx.runAs(t, sim.PF_MEMALLOC, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		var st shrinkStats
		var back []uint64
		reclaimed, back = fx.s.shrinkPageList(fx.isolate(t), fx.zone, sc, TTU_UNMAP, false, &st)
		fx.putback(back)
	})
	if reclaimed != 4 || fx.m.NrPages() != 0 {
		t.Fatalf("reclaimed %d, %d pages still cached", reclaimed, fx.m.NrPages())
	}
	for _, pfn := range fx.pfns {
		if p := &fx.s.pages[pfn]; p.count != 0 || p.mapping != 0 {
			t.Fatalf("pfn %#x not freed: count %d mapping %d", pfn, p.count, p.mapping)
		}
	}
	checkInv(t, fx.s)
}

// TestReferencedMappedPageActivated checks page_check_references(): a
// swap-backed page whose PTE was referenced is activated (PAGEREF_ACTIVATE),
// not reclaimed, and its young bit is cleared.
func TestReferencedMappedPageActivated(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	var pfn uint64
	var back []uint64
	var reclaimed uint64
	fx.runAs(t, 0, func() {
		m, _ := s.NewMM()
		addr, _ := s.MmapAnon(m, PAGE_SIZE, true)
		s.UserAccess(m, addr, true, 5)
		pfn = m.pteOffset(addr).pfn()
		s.LRUAddDrainAll()
		// Deactivate it as shrink_active_list would, so it sits on the
		// inactive anon list with its PTE young.
		s.isolateLRUPage(pfn)
		s.pages[pfn].clearFlag(PG_active)
		s.putbackLRUPage(pfn)
		s.LRUAddDrainAll()
		s.isolateLRUPage(pfn)
	})
	fx.runAs(t, sim.PF_MEMALLOC, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		var st shrinkStats
		reclaimed, back = s.shrinkPageList([]uint64{pfn}, s.PageZone(&s.pages[pfn]), sc, TTU_UNMAP, false, &st)
		fx.putback(back)
	})
	if reclaimed != 0 || !s.pages[pfn].PageActive() {
		t.Fatalf("referenced mapped page: reclaimed %d, active %v", reclaimed, s.pages[pfn].PageActive())
	}
	checkInv(t, s)
}

// TestDirtySwapBackedPagesNotCountedDirty checks v3.16 mm/vmscan.c
// page_check_dirty_writeback: a page that is not page_is_file_cache()
// (here dirty shmem pages on the inactive anon list) is neither dirty nor
// writeback for reclaim's accounting, so shrink_page_list counts no
// nr_dirty / nr_unqueued_dirty for it, and an anon scan whose whole batch
// is such pages does not flag the zone ZONE_TAIL_LRU_DIRTY (which would
// let kswapd write file pages sooner).
func TestDirtySwapBackedPagesNotCountedDirty(t *testing.T) {
	sm := bootSwap(t, 0)
	s := sm.s
	f := newShmemFile(s)
	var z *Zone
	sm.run(t, func() {
		for i := int64(0); i < 8; i++ {
			if _, err := s.GenericPerformWrite(f.m, i*PAGE_SIZE, PAGE_SIZE, 0x5a); err != nil {
				t.Fatal(err)
			}
		}
		s.LRUAddDrainAll()
		pfn, _ := s.FindGetPage(f.m, 0)
		s.PutPage(pfn)
		z = s.PageZone(&s.pages[pfn])
	})
	if n := z.zonePageStateSnapshot(NR_INACTIVE_ANON); n != 8 {
		t.Fatalf("inactive anon %d, want the 8 shmem pages", n)
	}
	z.clearZoneFlag(ZONE_TAIL_LRU_DIRTY)
	kswapd := uint32(sim.PF_MEMALLOC | sim.PF_KSWAPD | sim.PF_SWAPWRITE)
	sc := func() *scanControl {
		return &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
	}
	sm.sched.Spawn("kswapd0", 0, func(task *sim.Task) {
		task.Flags |= kswapd
		// shrink_page_list's own counts, on a batch isolated by hand.
		var pages []uint64
		for i := uint64(0); i < 8; i++ {
			pfn, _ := s.FindGetPage(f.m, i)
			s.PutPage(pfn)
			if !s.pages[pfn].PageDirty() || !s.isolateLRUPage(pfn) {
				t.Errorf("page %d: not dirty or not isolated", i)
				continue
			}
			pages = append(pages, pfn)
		}
		var st shrinkStats
		_, back := s.shrinkPageList(pages, z, sc(), TTU_UNMAP, false, &st)
		if st.nrDirty != 0 || st.nrUnqueuedDirty != 0 || st.nrCongested != 0 {
			t.Errorf("dirty shmem pages counted: nr_dirty %d nr_unqueued_dirty %d nr_congested %d", st.nrDirty, st.nrUnqueuedDirty, st.nrCongested)
		}
		for _, pfn := range back {
			s.putbackLRUPage(pfn)
		}
		s.LRUAddDrainAll()
		// The same pages through shrink_inactive_list.
		for _, pfn := range pages {
			if s.pages[pfn].PageActive() {
				s.isolateLRUPage(pfn)
				s.pages[pfn].clearFlag(PG_active)
				s.putbackLRUPage(pfn)
			}
		}
		s.LRUAddDrainAll()
		s.shrinkInactiveList(SWAP_CLUSTER_MAX, z, sc(), LRU_INACTIVE_ANON)
		task.Flags &^= kswapd
	})
	if err := sm.sched.Run(); err != nil {
		t.Fatal(err)
	}
	if z.testFlag(ZONE_TAIL_LRU_DIRTY) {
		t.Fatal("an anon scan of dirty shmem pages flagged the zone ZONE_TAIL_LRU_DIRTY")
	}
	sm.check(t)
}

// TestShrinkActiveListKeepsBatchOrder checks the list order v3.16
// mm/vmscan.c shrink_active_list gives a deactivated batch:
// isolate_lru_pages takes pages from the active list's tail and
// list_moves each to l_hold's head (l_hold keeps the LRU's order);
// shrink_active_list walks l_hold from its tail (lru_to_page) and list_adds
// each to l_inactive (which again keeps that order); and
// move_active_pages_to_lru walks l_inactive from its tail, list_moving each
// to the inactive list's head. So the batch lands at the head of the
// inactive list in the order it had on the active list, not reversed.
func TestShrinkActiveListKeepsBatchOrder(t *testing.T) {
	fx := newReclaimFixture(t, 8, false)
	s := fx.s
	for _, pfn := range fx.pfns {
		s.isolateLRUPage(pfn)
		s.pages[pfn].setFlag(PG_active)
		s.putbackLRUPage(pfn)
	}
	s.LRUAddDrainAll()
	before := s.ListPFNs(fx.zone.lruvec.lists[LRU_ACTIVE_FILE])
	if len(before) != 8 || !s.listEmpty(fx.zone.lruvec.lists[LRU_INACTIVE_FILE]) {
		t.Fatalf("active file %v, inactive file %v", before, s.ListPFNs(fx.zone.lruvec.lists[LRU_INACTIVE_FILE]))
	}
	fx.runAs(t, sim.PF_MEMALLOC|sim.PF_KSWAPD|sim.PF_SWAPWRITE, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		s.shrinkActiveList(SWAP_CLUSTER_MAX, fx.zone, sc, LRU_ACTIVE_FILE)
	})
	after := s.ListPFNs(fx.zone.lruvec.lists[LRU_INACTIVE_FILE])
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("inactive file after shrink_active_list %v, want the active list's order %v", after, before)
	}
	checkInv(t, s)
}

// TestShrinkInactiveListPutbackOrder checks the order v3.16 mm/vmscan.c
// gives pages shrink_page_list keeps: it walks the isolated list from its
// tail and list_adds each kept page to ret_pages, list_splice puts them
// back on page_list, and putback_inactive_pages walks that from its tail,
// adding each to the LRU head. The kept batch returns to the head of the
// inactive list in the order it had there.
func TestShrinkInactiveListPutbackOrder(t *testing.T) {
	fx := newReclaimFixture(t, 8, true)
	s := fx.s
	before := s.ListPFNs(fx.zone.lruvec.lists[LRU_INACTIVE_FILE])
	if len(before) != 8 {
		t.Fatalf("inactive file %v", before)
	}
	fx.runAs(t, sim.PF_MEMALLOC|sim.PF_KSWAPD|sim.PF_SWAPWRITE, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		s.shrinkInactiveList(SWAP_CLUSTER_MAX, fx.zone, sc, LRU_INACTIVE_FILE)
	})
	after := s.ListPFNs(fx.zone.lruvec.lists[LRU_INACTIVE_FILE])
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("inactive file after shrink_inactive_list %v, want %v", after, before)
	}
	checkInv(t, s)
}

// TestBalancePgdatWritesBackEndZone checks v3.16 mm/vmscan.c
// balance_pgdat's `*classzone_idx = end_zone`: when every zone is already
// balanced, end_zone keeps its initial 0 (ZONE_DMA) and that is what kswapd
// gets back, to sleep on (kswapd_try_to_sleep and prepare_kswapd_sleep
// check zones up to it) and to compare new requests with.
func TestBalancePgdatWritesBackEndZone(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	nd := s.nodes[0]
	classzone := nd.nrZones - 1
	if classzone == 0 {
		t.Fatal("machine has one zone")
	}
	fx.runAs(t, sim.PF_MEMALLOC|sim.PF_KSWAPD|sim.PF_SWAPWRITE, func() {
		s.balancePgdat(nd, 0, &classzone)
	})
	if classzone != 0 {
		t.Fatalf("balance_pgdat on a balanced node left classzone_idx %d, want end_zone 0", classzone)
	}
}

// TestBalancePgdatAttemptsOnlyShrunkZones checks v3.16 mm/vmscan.c
// kswapd_shrink_zone: a zone found balanced (at the order it tests) returns
// before shrink_zone and adds nothing to nr_attempted; only zones actually
// shrunk add their nr_to_reclaim. balance_pgdat compacts (compact_pgdat)
// after a pass that reclaimed more than nr_attempted.
//
// The node: ZONE_DMA fragmented (half its pages free, all singly), so it
// fails an order-9 watermark but is balanced at order 0, which is what
// kswapd_shrink_zone tests once compaction_suitable says compaction could
// work there (eight file pages keep it zone_reclaimable); ZONE_DMA32 full but for 571 clean file pages and a few free
// pages, with vm.min_free_kbytes at 128 so its nr_to_reclaim is 46. Without
// swap, kswapd at priority p reclaims one page a round (571 >> 9 = 1 and so
// on) while should_continue_reclaim asks for more, so the passes reclaim
// 60, 256, 128, 64, 32, ... pages. v3.16 compacts after the passes that
// beat nr_attempted = 46 (DMA32 only): 60, 256, 128 and 64, four times.
// Counting ZONE_DMA's nr_to_reclaim too (32, making 78) would compact only
// twice.
func TestBalancePgdatAttemptsOnlyShrunkZones(t *testing.T) {
	clock := sim.NewClock()
	sched := sim.NewScheduler(clock, sim.NewRand(1), 2, sim.RoundRobin)
	s, err := Boot(Config{MemBytes: 1 << 30, Nodes: 1, CPUs: 2}, Env{Sched: sched, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Stop("done") })
	if err := s.SetMinFreeKbytes(128); err != nil {
		t.Fatal(err)
	}
	nd := s.nodes[0]
	dma, dma32 := &nd.zones[ZONE_DMA], &nd.zones[ZONE_DMA32]
	if dma32.highWmarkPages() != 46 {
		t.Fatalf("DMA32 high watermark %d, the test wants 46", dma32.highWmarkPages())
	}
	// Pages the fair zone policy hands out from DMA are kept, as part of
	// DMA's used half.
	var dmaPages []uint64
	alloc := func(gfp GFP) (uint64, bool) {
		for {
			pfn, ok := s.AllocPagesNode(0, gfp|GFP_NOWARN|GFP_NORETRY, 0)
			if !ok {
				t.Fatal("allocation failed")
			}
			if s.pfnZone(pfn) == dma32 {
				return pfn, true
			}
			dmaPages = append(dmaPages, pfn)
		}
	}
	const nrFile = 571
	f := &fakeFile{size: (nrFile + 8) * PAGE_SIZE}
	bdi := &BackingDevInfo{Name: "fake"}
	s.RegisterBDI(bdi)
	m := s.NewAddressSpace(f, f, bdi)
	for i := 0; i < nrFile; i++ {
		pfn, _ := alloc(GFP_HIGHUSER_MOVABLE)
		if err := s.AddToPageCacheLRU(pfn, m, uint64(i)); err != nil {
			t.Fatal(err)
		}
		s.pages[pfn].setFlag(PG_uptodate)
		s.unlockPage(pfn)
		s.PutPage(pfn)
	}
	for dma32.zonePageStateSnapshot(NR_FREE_PAGES) > 60 {
		alloc(GFP_KERNEL)
	}
	for {
		pfn, ok := s.AllocPagesNode(0, GFP_KERNEL|GFP_DMA|GFP_NOWARN|GFP_NORETRY, 0)
		if !ok || s.pfnZone(pfn) != dma {
			if ok {
				s.FreePages(pfn, 0)
			}
			break
		}
		dmaPages = append(dmaPages, pfn)
	}
	// Free the even PFNs: their buddies stay allocated, so every free
	// block is order 0. Eight of the odd ones become file pages, so that
	// DMA stays zone_reclaimable() and is not skipped below DEF_PRIORITY.
	nrDMAFile := 0
	for _, pfn := range dmaPages {
		switch {
		case pfn%2 == 0:
			s.FreePages(pfn, 0)
		case nrDMAFile < 8:
			if err := s.AddToPageCacheLRU(pfn, m, uint64(nrFile+nrDMAFile)); err != nil {
				t.Fatal(err)
			}
			s.pages[pfn].setFlag(PG_uptodate)
			s.unlockPage(pfn)
			s.PutPage(pfn)
			nrDMAFile++
		}
	}
	s.LRUAddDrainAll()
	s.DrainAllPages()
	if n := dma32.zonePageStateSnapshot(NR_INACTIVE_FILE); n != nrFile {
		t.Fatalf("inactive file %d", n)
	}
	cov := s.EnableCoverage(true)
	classzone := ZONE_DMA32
	sched.Spawn("kswapd0", 0, func(task *sim.Task) {
		task.Flags |= sim.PF_MEMALLOC | sim.PF_KSWAPD | sim.PF_SWAPWRITE
		s.balancePgdat(nd, 9, &classzone)
		task.Flags &^= sim.PF_MEMALLOC | sim.PF_KSWAPD | sim.PF_SWAPWRITE
	})
	if err := sched.Run(); err != nil {
		t.Fatal(err)
	}
	compactions := -1
	for idx, name := range cov.Names {
		if name == "compact_pgdat" {
			compactions = int(cov.Hits[idx])
		}
	}
	if compactions != 4 {
		t.Fatalf("balance_pgdat compacted %d times, want 4 (nr_attempted counts only the shrunk DMA32)", compactions)
	}
}
