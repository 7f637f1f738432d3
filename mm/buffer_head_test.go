// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"strings"
	"testing"

	"pagesim/sim"
)

// fakeBuffers stands in for fs/buffer.c: try_to_free_buffers drops the
// page's private data (the buffer and its page reference) unless the page
// is under writeback, and records the call.
type fakeBuffers struct {
	s     *System
	freed []uint64
}

func (b *fakeBuffers) TryToFreeBuffers(pfn uint64) bool {
	b.freed = append(b.freed, pfn)
	if b.s.pages[pfn].PageWriteback() {
		return false
	}
	if b.s.pages[pfn].testFlag(PG_private) {
		b.s.ClearPagePrivate(pfn)
	}
	return true
}

// orphanPage makes a locked page with buffers and no mapping, as
// truncate_complete_page leaves one whose buffers it could not drop, with
// extra references besides the buffers' own.
func orphanPage(t *testing.T, s *System, refs int) uint64 {
	t.Helper()
	pfn, ok := s.AllocPagesNode(0, GFP_HIGHUSER_MOVABLE, 0)
	if !ok {
		t.Fatal("alloc")
	}
	for i := 1; i < refs; i++ {
		s.GetPage(pfn)
	}
	s.AttachPagePrivate(pfn, 1)
	if !s.trylockPage(pfn) {
		t.Fatal("trylock")
	}
	return pfn
}

// TestPageoutOrphanedPageFreesBuffers checks v3.16 mm/vmscan.c pageout: a
// page with no mapping but with buffers (page_has_private) is cleaned by
// try_to_free_buffers, which frees them whatever filesystem they came
// from; the page loses PG_dirty, "pageout: orphaned page" is printed, and
// the result is PAGE_CLEAN.
func TestPageoutOrphanedPageFreesBuffers(t *testing.T) {
	sm := bootSwap(t, 0)
	s := sm.s
	fb := &fakeBuffers{s: s}
	s.SetBufferLayer(fb)
	var res int
	var pfn uint64
	sm.run(t, func() {
		// The isolation's reference, another holder's, the buffers'.
		pfn = orphanPage(t, s, 2)
		s.pages[pfn].setFlag(PG_dirty)
		res = s.pageout(pfn, nil, &scanControl{gfpMask: GFP_KERNEL})
		s.unlockPage(pfn)
	})
	p := &s.pages[pfn]
	if res != PAGE_CLEAN || p.PageDirty() || p.testFlag(PG_private) || len(fb.freed) != 1 {
		t.Fatalf("pageout of an orphaned page: result %d, dirty %v, private %v, try_to_free_buffers calls %d", res, p.PageDirty(), p.testFlag(PG_private), len(fb.freed))
	}
	if !strings.Contains(sm.log.String(), "pageout: orphaned page") {
		t.Fatalf("no orphaned page message:\n%s", sm.log.String())
	}
}

// noWritepageFile is a mapping whose ->writepage is NULL.
type noWritepageFile struct{ fakeFile }

func (noWritepageFile) NoWritepage() {}

// TestPageoutNoWritepageActivates checks v3.16 mm/vmscan.c pageout: a
// mapping with no ->writepage gets PAGE_ACTIVATE for its dirty page, before
// may_write_to_queue and without clearing the dirty bit.
func TestPageoutNoWritepageActivates(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	f := &noWritepageFile{fakeFile{size: PAGE_SIZE}}
	bdi := &BackingDevInfo{Name: "nowp"}
	s.RegisterBDI(bdi)
	m := s.NewAddressSpace(f, f, bdi)
	var res int
	var pfn uint64
	fx.runAs(t, sim.PF_MEMALLOC|sim.PF_KSWAPD|sim.PF_SWAPWRITE, func() {
		var ok bool
		pfn, ok = s.AllocPagesNode(0, GFP_HIGHUSER_MOVABLE, 0)
		if !ok {
			t.Fatal("alloc")
		}
		if err := s.AddToPageCacheLRU(pfn, m, 0); err != nil {
			t.Fatal(err)
		}
		s.pages[pfn].setFlag(PG_uptodate)
		s.SetPageDirty(pfn)
		s.LRUAddDrain() // only the allocation's and the cache's references remain
		res = s.pageout(pfn, m, &scanControl{gfpMask: GFP_KERNEL})
		s.unlockPage(pfn)
	})
	if res != PAGE_ACTIVATE || f.writepages != 0 || !s.pages[pfn].PageDirty() {
		t.Fatalf("pageout with a NULL ->writepage: result %d, writepage calls %d, dirty %v", res, f.writepages, s.pages[pfn].PageDirty())
	}
}

// TestTryToReleasePageWithoutMapping checks v3.16 mm/filemap.c
// try_to_release_page: a page with no mapping (or whose mapping has no
// ->releasepage) goes to try_to_free_buffers.
func TestTryToReleasePageWithoutMapping(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	fb := &fakeBuffers{s: s}
	s.SetBufferLayer(fb)
	var orphanOK, fileOK bool
	var orphan uint64
	file := fx.pfns[0]
	fx.runAs(t, 0, func() {
		orphan = orphanPage(t, s, 1)
		orphanOK = s.tryToReleasePage(orphan, 0)
		s.unlockPage(orphan)
		// fakeFile has no ->releasepage.
		s.AttachPagePrivate(file, 1)
		s.lockPage(file)
		fileOK = s.tryToReleasePage(file, 0)
		s.unlockPage(file)
	})
	if !orphanOK || !fileOK || s.pages[orphan].testFlag(PG_private) || s.pages[file].testFlag(PG_private) {
		t.Fatalf("try_to_release_page: orphan %v, mapping without ->releasepage %v", orphanOK, fileOK)
	}
}

// TestMigrateOrphanFreesBuffers checks v3.16 mm/migrate.c
// __unmap_and_move: a page with no mapping but with buffers has them freed
// by try_to_free_buffers, and is not migrated.
func TestMigrateOrphanFreesBuffers(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	fb := &fakeBuffers{s: s}
	s.SetBufferLayer(fb)
	var rc int
	var pfn, newpfn uint64
	fx.runAs(t, 0, func() {
		pfn = orphanPage(t, s, 1)
		s.unlockPage(pfn)
		newpfn, _ = s.AllocPagesNode(0, GFP_HIGHUSER_MOVABLE, 0)
		rc = s.__unmapAndMove(pfn, newpfn, true, MIGRATE_SYNC)
	})
	if rc != rcEAGAIN || len(fb.freed) != 1 || s.pages[pfn].testFlag(PG_private) {
		t.Fatalf("__unmap_and_move of an orphan: rc %d, try_to_free_buffers calls %d, private %v", rc, len(fb.freed), s.pages[pfn].testFlag(PG_private))
	}
}

// TestShrinkActiveListStripsBuffersOverLimit checks v3.16 mm/vmscan.c
// shrink_active_list: while buffer_heads_over_limit, each page taken from
// the active list that has buffers and can be locked at once has them
// released (try_to_release_page), and is unlocked again.
func TestShrinkActiveListStripsBuffersOverLimit(t *testing.T) {
	fx := newReclaimFixture(t, 4, false)
	s := fx.s
	fb := &fakeBuffers{s: s}
	s.SetBufferLayer(fb)
	for _, pfn := range fx.pfns {
		s.isolateLRUPage(pfn)
		s.pages[pfn].setFlag(PG_active)
		s.AttachPagePrivate(pfn, 1)
		s.putbackLRUPage(pfn)
	}
	s.LRUAddDrainAll()
	run := func() {
		fx.runAs(t, sim.PF_MEMALLOC|sim.PF_KSWAPD|sim.PF_SWAPWRITE, func() {
			sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
			s.shrinkActiveList(2, fx.zone, sc, LRU_ACTIVE_FILE)
		})
	}
	run()
	if len(fb.freed) != 0 {
		t.Fatalf("buffers released with buffer_heads_over_limit false")
	}
	s.bh.overLimit = true
	run()
	if len(fb.freed) != 2 {
		t.Fatalf("buffer_heads_over_limit: %d pages had their buffers released, want the 2 scanned", len(fb.freed))
	}
	for _, pfn := range fb.freed {
		if p := &s.pages[pfn]; p.testFlag(PG_private) || p.PageLocked() {
			t.Fatalf("pfn %#x: private %v locked %v", pfn, p.testFlag(PG_private), p.PageLocked())
		}
	}
	checkInv(t, s)
}

// TestBufferHeadsOverLimit checks v3.16 fs/buffer.c: buffer_init sets
// max_buffer_heads to a tenth of nr_free_buffer_pages() (taken before any
// watermark exists) times PAGE_SIZE / sizeof(struct buffer_head) (104 on
// x86-64), and recalc_bh_state recomputes buffer_heads_over_limit (live
// heads on all CPUs > max) only on every 4096th allocation or free on a
// CPU.
func TestBufferHeadsOverLimit(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	var managed uint64
	for _, z := range s.zones {
		if z.idx <= ZONE_NORMAL {
			managed += z.managedPages
		}
	}
	if want := managed * 10 / 100 * (4096 / 104); s.bh.max != want {
		t.Fatalf("max_buffer_heads %d, want %d", s.bh.max, want)
	}
	s.bh.max = 10
	for i := 0; i < 4096; i++ {
		s.BufferHeadAllocated()
	}
	if s.bufferHeadsOverLimit() {
		t.Fatal("buffer_heads_over_limit recomputed before the 4097th call on the CPU")
	}
	s.BufferHeadAllocated()
	if !s.bufferHeadsOverLimit() {
		t.Fatal("buffer_heads_over_limit not set on the 4097th call with 4097 live heads over a max of 10")
	}
	for i := 0; i < 4097; i++ {
		s.BufferHeadFreed()
	}
	if s.bufferHeadsOverLimit() {
		t.Fatal("buffer_heads_over_limit still set after every head was freed")
	}
}

// enospcFile's ->writepage fails with -ENOSPC, leaving the page unlocked.
type enospcFile struct{ fakeFile }

func (f *enospcFile) Writepage(s *System, pfn uint64, wbc *WritebackControl) int {
	f.writepages++
	s.SetPageDirty(pfn) // redirty_page_for_writepage
	s.unlockPage(pfn)
	return -28
}

// TestPageoutWriteErrorENOSPC checks v3.16 mm/vmscan.c
// handle_write_error and mm/page-writeback.c __writepage: pageout and
// generic_writepages pass ->writepage's error to the mapping with
// mapping_set_error, which keeps -ENOSPC as AS_ENOSPC (fsync then returns
// ENOSPC), not AS_EIO.
func TestPageoutWriteErrorENOSPC(t *testing.T) {
	for _, path := range []struct {
		name  string
		write func(s *System, pfn uint64, m *AddressSpace)
	}{
		{"pageout", func(s *System, pfn uint64, m *AddressSpace) { s.pageout(pfn, m, &scanControl{gfpMask: GFP_KERNEL}) }},
		{"generic_writepages", func(s *System, pfn uint64, m *AddressSpace) {
			s.unlockPage(pfn) // add_to_page_cache_lru left it locked; write_cache_pages locks it
			s.GenericWritepages(m, &WritebackControl{SyncMode: WB_SYNC_NONE, NrToWrite: 1, RangeEnd: LLONG_MAX})
		}},
	} {
		fx := newReclaimFixture(t, 1, false)
		s := fx.s
		f := &enospcFile{fakeFile{size: PAGE_SIZE}}
		bdi := &BackingDevInfo{Name: "full"}
		s.RegisterBDI(bdi)
		m := s.NewAddressSpace(f, f, bdi)
		fx.runAs(t, sim.PF_MEMALLOC|sim.PF_KSWAPD|sim.PF_SWAPWRITE, func() {
			pfn, ok := s.AllocPagesNode(0, GFP_HIGHUSER_MOVABLE, 0)
			if !ok {
				t.Fatal("alloc")
			}
			if err := s.AddToPageCacheLRU(pfn, m, 0); err != nil {
				t.Fatal(err)
			}
			s.pages[pfn].setFlag(PG_uptodate)
			s.SetPageDirty(pfn)
			s.LRUAddDrain()
			path.write(s, pfn, m)
		})
		if f.writepages != 1 || m.Flags&AS_ENOSPC == 0 || m.Flags&AS_EIO != 0 {
			t.Errorf("%s: after ->writepage's -ENOSPC: writepage calls %d, AS_ENOSPC %v, AS_EIO %v", path.name, f.writepages, m.Flags&AS_ENOSPC != 0, m.Flags&AS_EIO != 0)
		}
	}
}
