// SPDX-License-Identifier: GPL-2.0-only

package mm

import "testing"

// testInode is a tmpfs inode for mm's own tests.
type testInode struct {
	size int64
	ino  uint64
}

func (i *testInode) ISize() int64           { return i.size }
func (i *testInode) SetISize(n int64)       { i.size = n }
func (i *testInode) MarkInodeDirty(int)     {}
func (i *testInode) Ino() uint64            { return i.ino }
func (i *testInode) String() string         { return "testInode" }
func (i *testInode) sizePages() uint64      { return uint64(i.size+PAGE_SIZE-1) >> PAGE_SHIFT }
func (i *testInode) setSizePages(n uint64)  { i.size = int64(n << PAGE_SHIFT) }
func (i *testInode) grow(to int64)          { i.size = max(i.size, to) }
func (i *testInode) shrinkTo(to int64) bool { old := i.size; i.size = to; return to < old }

type shmemFile struct {
	host *testInode
	m    *AddressSpace
	sb   *ShmemSbInfo
}

// newShmemFile makes a tmpfs file as shmem_get_inode does: shmem_aops and
// shmem_backing_dev_info, on an unlimited mount.
func newShmemFile(s *System) *shmemFile {
	sb := NewShmemSbInfo(0)
	h := &testInode{ino: 100}
	return &shmemFile{host: h, sb: sb, m: s.NewAddressSpace(h, s.NewShmemInodeOps(sb), s.ShmemBDI())}
}

// TestShmemPagesAreSwapBacked checks shmem_getpage_gfp()'s allocation
// path: a page written into a tmpfs file is PageSwapBacked before it is
// added (shmem_add_to_page_cache counts NR_FILE_PAGES and NR_SHMEM), goes
// to the inactive anon LRU (lru_cache_add_anon), is dirtied without a
// DIRTY tag or NR_FILE_DIRTY (__set_page_dirty_no_writeback), and reads
// back; a hole reads as zeroes without allocating.
func TestShmemPagesAreSwapBacked(t *testing.T) {
	sm := bootSwap(t, 0)
	s := sm.s
	sm.run(t, func() {
		f := newShmemFile(s)
		shmem, filePages := s.GlobalPageStateSnapshot(NR_SHMEM), s.GlobalPageStateSnapshot(NR_FILE_PAGES)
		if n, err := s.GenericPerformWrite(f.m, 2*PAGE_SIZE, PAGE_SIZE, 0xab); err != nil || n != PAGE_SIZE {
			t.Fatalf("write: %d, %v", n, err)
		}
		pfn, ok := s.FindGetPage(f.m, 2)
		if !ok {
			t.Fatal("no page cached")
		}
		s.PutPage(pfn)
		p := s.Page(pfn)
		if !p.PageSwapBacked() || !p.PageDirty() || !p.testFlag(PG_uptodate) || f.m.tree.TagGet(2, PAGECACHE_TAG_DIRTY) {
			t.Fatalf("shmem page: swapbacked %v dirty %v uptodate %v DIRTY tag %v", p.PageSwapBacked(), p.PageDirty(), p.testFlag(PG_uptodate), f.m.tree.TagGet(2, PAGECACHE_TAG_DIRTY))
		}
		if s.GlobalPageStateSnapshot(NR_SHMEM) != shmem+1 || s.GlobalPageStateSnapshot(NR_FILE_PAGES) != filePages+1 || s.GlobalPageStateSnapshot(NR_FILE_DIRTY) != 0 {
			t.Fatal("NR_SHMEM / NR_FILE_PAGES not counted, or NR_FILE_DIRTY counted")
		}
		s.LRUAddDrainAll()
		if p.pageLRU() != LRU_INACTIVE_ANON || !p.PageLRU() {
			t.Fatalf("shmem page on list %d", p.pageLRU())
		}
		if f.host.size != 3*PAGE_SIZE || s.ShmemInfo(f.m).Alloced() != 1 {
			t.Fatalf("i_size %d alloced %d", f.host.size, s.ShmemInfo(f.m).Alloced())
		}
		toks, err := s.ShmemFileRead(f.m, 0, 3*PAGE_SIZE)
		if err != nil || len(toks) != 3 || toks[0] != (PageRead{0, 0, PAGE_SIZE}) || toks[1] != (PageRead{1, 0, PAGE_SIZE}) || toks[2] != (PageRead{2, MixToken(0, 0xab), PAGE_SIZE}) {
			t.Fatalf("read %v, %v", toks, err)
		}
		if f.m.NrPages() != 1 {
			t.Fatalf("reading holes allocated: nrpages %d", f.m.NrPages())
		}
		s.ShmemEvictInode(f.m)
		if s.GlobalPageStateSnapshot(NR_SHMEM) != shmem || f.m.NrPages() != 0 || s.ShmemInfo(f.m).IBlocks() != 0 {
			t.Fatal("eviction left pages")
		}
	})
	sm.check(t)
}

// TestShmemWritepageToSwap checks shmem_writepage(): for reclaim, the page
// moves to the swap cache (add_to_swap_cache, swap_map SWAP_MAP_SHMEM with
// SWAP_HAS_CACHE) and its radix slot becomes the swap entry
// (shmem_delete_from_page_cache: NR_SHMEM drops, NR_FILE_PAGES does not,
// page->mapping cleared), info->swapped counts it, and swap_writepage
// writes it. Once the swap-cache page is freed, a read swaps the page back
// in (PSWPIN): the swap entry gives way to the page in the page cache,
// which leaves the swap cache dirty and frees the slot.
func TestShmemWritepageToSwap(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		f := newShmemFile(s)
		s.GenericPerformWrite(f.m, 0, 2*PAGE_SIZE, 0xcd)
		pfn, _ := s.FindGetPage(f.m, 1)
		s.PutPage(pfn)
		p := s.Page(pfn)
		s.LRUAddDrainAll()
		shmem, filePages := s.GlobalPageStateSnapshot(NR_SHMEM), s.GlobalPageStateSnapshot(NR_FILE_PAGES)

		s.isolateLRUPage(pfn)
		s.lockPage(pfn)
		if r := s.pageout(pfn, f.m, &scanControl{gfpMask: GFP_KERNEL}); r != PAGE_SUCCESS {
			t.Fatalf("pageout = %d", r)
		}
		e, ok := f.m.tree.Lookup(1)
		if !ok || !RadixTreeExceptionalEntry(e) {
			t.Fatalf("radix slot 1 holds %#x, want a swap entry", e)
		}
		entry := radixToSwpEntry(e)
		if !p.PageSwapCache() || p.private != entry.val() || p.Mapping() != 0 || !p.PageWriteback() {
			t.Fatalf("page: swapcache %v private %#x mapping %d writeback %v", p.PageSwapCache(), p.private, p.Mapping(), p.PageWriteback())
		}
		if c := s.SwapMapCount(entry.Type, entry.Offset); c != SWAP_MAP_SHMEM|SWAP_HAS_CACHE {
			t.Fatalf("swap_map %#x, want SWAP_MAP_SHMEM|SWAP_HAS_CACHE", c)
		}
		if s.GlobalPageStateSnapshot(NR_SHMEM) != shmem-1 || s.GlobalPageStateSnapshot(NR_FILE_PAGES) != filePages {
			t.Fatalf("NR_SHMEM %d (was %d) NR_FILE_PAGES %d (was %d)", s.GlobalPageStateSnapshot(NR_SHMEM), shmem, s.GlobalPageStateSnapshot(NR_FILE_PAGES), filePages)
		}
		if info := s.ShmemInfo(f.m); info.Swapped() != 1 || info.Alloced() != 2 || f.m.NrPages() != 1 {
			t.Fatalf("swapped %d alloced %d nrpages %d", info.Swapped(), info.Alloced(), f.m.NrPages())
		}
		s.WaitOnPageWriteback(pfn)
		s.lockPage(pfn)
		if !s.__removeMapping(s.swapperSpace, pfn, true) {
			t.Fatalf("__remove_mapping refused: count %d", p.Count())
		}
		p.clearFlag(PG_locked)
		s.FreeHotColdPageList([]uint64{pfn}, true)
		checkInv(t, s)

		pswpin := s.vmEvents[PSWPIN]
		toks, err := s.ShmemFileRead(f.m, PAGE_SIZE, PAGE_SIZE)
		if err != nil || len(toks) != 1 || toks[0] != (PageRead{1, MixToken(0, 0xcd), PAGE_SIZE}) {
			t.Fatalf("read back %v, %v", toks, err)
		}
		if s.vmEvents[PSWPIN] != pswpin+1 {
			t.Fatalf("PSWPIN +%d", s.vmEvents[PSWPIN]-pswpin)
		}
		npfn, ok := s.FindGetPage(f.m, 1)
		if !ok {
			t.Fatal("page not back in the page cache")
		}
		s.PutPage(npfn)
		np := s.Page(npfn)
		if np.PageSwapCache() || !np.PageDirty() || !np.PageSwapBacked() || s.ShmemInfo(f.m).Swapped() != 0 {
			t.Fatalf("swapped-in page: swapcache %v dirty %v swapbacked %v swapped %d", np.PageSwapCache(), np.PageDirty(), np.PageSwapBacked(), s.ShmemInfo(f.m).Swapped())
		}
		if c := s.SwapMapCount(entry.Type, entry.Offset); c != 0 || s.NrSwapPages() != s.TotalSwapPages() {
			t.Fatalf("slot %#x after swap-in, nr_swap_pages %d", c, s.NrSwapPages())
		}
		if s.GlobalPageStateSnapshot(NR_SHMEM) != shmem {
			t.Fatal("NR_SHMEM not restored")
		}
		s.ShmemEvictInode(f.m)
	})
	sm.check(t)
}

// TestShmemWritepageWithoutSwap checks shmem_writepage()'s redirty path:
// with no swap, reclaim's ->writepage leaves the page dirty, locked and in
// the page cache and asks for activation (AOP_WRITEPAGE_ACTIVATE, which
// pageout turns into PAGE_ACTIVATE).
func TestShmemWritepageWithoutSwap(t *testing.T) {
	sm := bootSwap(t, 0)
	s := sm.s
	sm.run(t, func() {
		f := newShmemFile(s)
		s.GenericPerformWrite(f.m, 0, PAGE_SIZE, 1)
		pfn, _ := s.FindGetPage(f.m, 0)
		s.PutPage(pfn)
		s.LRUAddDrainAll()
		s.isolateLRUPage(pfn)
		s.lockPage(pfn)
		if r := s.pageout(pfn, f.m, &scanControl{gfpMask: GFP_KERNEL}); r != PAGE_ACTIVATE {
			t.Fatalf("pageout = %d, want PAGE_ACTIVATE", r)
		}
		p := s.Page(pfn)
		if !p.PageLocked() || !p.PageDirty() || p.PageSwapCache() || p.PageReclaimFlag() {
			t.Fatalf("locked %v dirty %v swapcache %v reclaim %v", p.PageLocked(), p.PageDirty(), p.PageSwapCache(), p.PageReclaimFlag())
		}
		s.unlockPage(pfn)
		s.putbackLRUPage(pfn)
		s.ShmemEvictInode(f.m)
	})
	sm.check(t)
}

// TestShmemTruncateFreesSwap checks shmem_undo_range(): truncation frees
// the swap entries in the range (shmem_free_swap: the slot and, if
// unused, its swap-cache page), swaps in the partial page to zero its
// tail, and keeps info->swapped, alloced and i_blocks in step.
func TestShmemTruncateFreesSwap(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		f := newShmemFile(s)
		s.GenericPerformWrite(f.m, 0, 4*PAGE_SIZE, 7)
		for idx := uint64(1); idx < 4; idx++ {
			pfn, _ := s.FindGetPage(f.m, idx)
			s.PutPage(pfn)
			if !s.ReclaimPage(pfn) {
				t.Fatalf("ReclaimPage %d failed", idx)
			}
		}
		if s.ShmemInfo(f.m).Swapped() != 3 || s.NrSwapPages() != s.TotalSwapPages()-3 {
			t.Fatalf("swapped %d", s.ShmemInfo(f.m).Swapped())
		}
		checkInv(t, s)
		newsize := int64(PAGE_SIZE + 100)
		old := f.host.size
		f.host.size = newsize
		s.ShmemSetattrSize(f.m, old, newsize)
		info := s.ShmemInfo(f.m)
		if info.Swapped() != 0 || info.Alloced() != 2 || f.m.NrPages() != 2 || s.NrSwapPages() != s.TotalSwapPages() {
			t.Fatalf("after truncate: swapped %d alloced %d nrpages %d nr_swap_pages %d of %d",
				info.Swapped(), info.Alloced(), f.m.NrPages(), s.NrSwapPages(), s.TotalSwapPages())
		}
		toks, _ := s.ShmemFileRead(f.m, 0, 2*PAGE_SIZE)
		if len(toks) != 2 || toks[1] != (PageRead{1, ZeroSegmentToken(MixToken(0, 7), 100, PAGE_SIZE), 100}) {
			t.Fatalf("read after truncate %v", toks)
		}
		checkInv(t, s)
		s.ShmemEvictInode(f.m)
		if s.GlobalPageStateSnapshot(NR_SHMEM) != 0 {
			t.Fatal("NR_SHMEM after eviction")
		}
	})
	sm.check(t)
}
