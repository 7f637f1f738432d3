// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/klog"

// mm/page_io.c: reading and writing swap-cache pages. Each page is one bio
// of one block on the swap device; a write leaves the page under writeback
// and unlocked until the device completes it, a read leaves it locked and
// not up to date until then. The page's data token goes to the device and
// comes back (DESIGN §7).
//
// Model, for the whole file: swap areas are block devices without
// ->rw_page (bdev_write_page and bdev_read_page return -EOPNOTSUPP), so
// every transfer takes the bio path; swap files on a filesystem (SWP_FILE,
// ->direct_IO), frontswap and I/O errors are not modeled; bio allocation
// from the mempool cannot fail.

func init() {
	// The swap_aops methods stand for function pointers: no frame.
	klog.HideFunc("pagesim/mm.swapAops.Writepage")
	klog.HideFunc("pagesim/mm.swapAops.SetPageDirty")
	klog.HideFunc("pagesim/mm.(*System).submitSwapBio")
	klog.HideFunc("pagesim/mm.(*System).SwapOn")
	klog.RegisterSymbol("pagesim/mm.(*System).sysSwapon", "SyS_swapon")
	klog.RegisterSymbol("pagesim/mm.(*System).SwapOff", "SyS_swapoff")
}

// bioSectors is the sectors of a one-page bio, for PGPGIN/PGPGOUT.
const bioSectors = PAGE_SIZE >> 9

// CountBio is submit_bio()'s accounting for a one-page bio a filesystem
// submits: PGPGOUT or PGPGIN, in sectors (/proc/vmstat shows KiB).
func (s *System) CountBio(write bool) {
	if write {
		s.countVMEvents(PGPGOUT, bioSectors)
	} else {
		s.countVMEvents(PGPGIN, bioSectors)
	}
}

// submitSwapBio is get_swap_bio() + submit_bio() for a swap-cache page:
// submit_bio counts the transfer in PGPGIN or PGPGOUT (in sectors), then
// the device does the I/O and calls the end_io function.
func (s *System) submitSwapBio(write bool, pfn uint64, sync bool, endIO func(token uint64)) {
	s.Cover("get_swap_bio")
	sis := s.pageSwapInfo(pfn)
	block := s.mapSwapPage(pfn)
	if write {
		s.countVMEvents(PGPGOUT, bioSectors)
		sis.dev.SubmitWrite(block, s.pages[pfn].data, sync, func() { endIO(0) })
		return
	}
	s.countVMEvents(PGPGIN, bioSectors)
	sis.dev.SubmitRead(block, endIO)
}

// swapWritepage is swap_writepage(): a page whose slot nobody else needs
// just leaves the swap cache; otherwise it is written out.
func (s *System) swapWritepage(pfn uint64, wbc *WritebackControl) int {
	if s.tryToFreeSwap(pfn) {
		s.unlockPage(pfn)
		return 0
	}
	return s.__swapWritepage(pfn, wbc, s.endSwapBioWrite)
}

// __swapWritepage is __swap_writepage(): count PSWPOUT, set PG_writeback,
// unlock the page and submit the write; endWrite runs at completion.
func (s *System) __swapWritepage(pfn uint64, wbc *WritebackControl, endWrite func(pfn uint64)) int {
	s.countVMEvent(PSWPOUT)
	s.SetPageWriteback(pfn)
	s.unlockPage(pfn)
	s.submitSwapBio(true, pfn, wbc.SyncMode == WB_SYNC_ALL, func(uint64) { endWrite(pfn) })
	return 0
}

// endSwapBioWrite is end_swap_bio_write(): the write is done; writeback
// ends (rotating a page reclaim marked to the tail of its LRU).
func (s *System) endSwapBioWrite(pfn uint64) {
	s.EndPageWriteback(pfn)
}

// swapReadpage is swap_readpage(): count PSWPIN and submit the read of a
// locked, not up-to-date swap-cache page.
func (s *System) swapReadpage(pfn uint64) int {
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/page_io.c", 342)
	s.vmBugOnPage(p.testFlag(PG_uptodate), pfn, "PageUptodate(page)", "mm/page_io.c", 343)
	s.countVMEvent(PSWPIN)
	s.submitSwapBio(false, pfn, true, func(token uint64) { s.endSwapBioRead(pfn, token) })
	return 0
}

// endSwapBioRead is end_swap_bio_read(): the data is in; the page becomes
// up to date and is unlocked.
//
// Model: no modeled disk has swap_slot_free_notify (zram), so the slot is
// kept and the page stays clean.
func (s *System) endSwapBioRead(pfn uint64, token uint64) {
	p := &s.pages[pfn]
	p.data = token
	p.setFlag(PG_uptodate)
	s.unlockPage(pfn)
}

// swapSetPageDirty is swap_set_page_dirty(): for a block device,
// __set_page_dirty_no_writeback.
func (s *System) swapSetPageDirty(pfn uint64) bool { return s.__setPageDirtyNoWriteback(pfn) }

// __setPageDirtyNoWriteback is __set_page_dirty_no_writeback()
// (mm/page-writeback.c): PG_dirty, with no accounting and no tag, for
// mappings that are never written back by the flusher (swap, shmem).
func (s *System) __setPageDirtyNoWriteback(pfn uint64) bool {
	p := &s.pages[pfn]
	if !p.PageDirty() {
		return !p.testSetFlag(PG_dirty)
	}
	return false
}
