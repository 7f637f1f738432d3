// SPDX-License-Identifier: GPL-2.0-only

// Package ext4 models ext4's address_space operations for the default
// data=ordered mode with delayed allocation (fs/ext4/inode.c,
// fs/ext4/page-io.c): write() reserves blocks without allocating them, the
// flusher's ->writepages allocates and writes, and ->writepage, which only
// reclaim calls, cannot allocate and redirties such pages.
package ext4

import (
	"pagesim/fs"
	"pagesim/klog"
	"pagesim/mm"
	"pagesim/sim"
)

func init() {
	klog.RegisterPackage("pagesim/fs/ext4", "ext4")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).Writepage", "ext4_writepage")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).Writepages", "ext4_writepages")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).PageMkwrite", "ext4_page_mkwrite")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).Readpage", "ext4_readpage")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).WriteBegin", "ext4_da_write_begin")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).WriteEnd", "ext4_da_write_end")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).SetPageDirty", "ext4_set_page_dirty")
	klog.RegisterSymbol("pagesim/fs/ext4.(*aops).InvalidatePage", "ext4_da_invalidatepage")
}

// Type is the ext4 filesystem type.
type Type struct{}

// Name is "ext4".
func (Type) Name() string { return "ext4" }

// NewInodeOps gives an inode ext4_da_aops.
func (Type) NewInodeOps(f *fs.FS, sb *fs.SuperBlock, ino *fs.Inode) mm.AddressSpaceOps {
	return &aops{f: f, ino: ino}
}

type aops struct {
	f   *fs.FS
	ino *fs.Inode
}

// daGetBlockPrep is ext4_da_get_block_prep(): fs.DelallocGetBlock
// (ext4_da_reserve_space for a hole).
var daGetBlockPrep fs.GetBlock = fs.DelallocGetBlock

// WriteBegin is ext4_da_write_begin(): the page (allocated with GFP_NOFS,
// as AOP_FLAG_NOFS asks inside a journal handle) and its buffer mapped or
// reserved.
func (a *aops) WriteBegin(s *mm.System, m *mm.AddressSpace, pos int64, length int) (uint64, error) {
	return a.f.BlockWriteBeginPage(m, a.ino, pos, length, daGetBlockPrep)
}

// WriteEnd is ext4_da_write_end() -> generic_write_end().
func (a *aops) WriteEnd(s *mm.System, m *mm.AddressSpace, pos int64, length, copied int, pfn uint64) int {
	return a.f.GenericWriteEnd(a.ino, pos, length, copied, pfn)
}

// SetPageDirty is ext4_set_page_dirty(): __set_page_dirty_buffers.
func (a *aops) SetPageDirty(s *mm.System, pfn uint64) bool {
	return a.f.SetPageDirtyBuffers(s, pfn)
}

// InvalidatePage is ext4_da_invalidatepage(): release the delayed
// reservation, then block_invalidatepage.
func (a *aops) InvalidatePage(s *mm.System, pfn uint64, offset, length int) {
	if bh := a.f.PageBuffers(pfn); bh != nil && offset == 0 && length == fs.BlockSize && bh.TestClear(fs.BH_Delay) {
		a.ino.SB().ReleaseDelalloc() // ext4_da_page_release_reservation
	}
	a.f.BlockInvalidatepage(pfn, offset, length)
}

// Readpage is ext4_readpage() -> ext4_mpage_readpages (mpage_readpage).
func (a *aops) Readpage(s *mm.System, pfn uint64) int {
	return a.f.MpageReadpage(a.ino, pfn, daGetBlockPrep)
}

// delayOrUnwritten is ext4_bh_delay_or_unwritten(): a dirty buffer that
// still needs its block allocated or its extent converted.
func delayOrUnwritten(bh *fs.BufferHead) bool {
	return (bh.Test(fs.BH_Delay) || bh.Test(fs.BH_Unwritten)) && bh.Test(fs.BH_Dirty)
}

// Writepage is ext4_writepage(): called by reclaim (pageout) on a locked
// page whose dirty bit clear_page_dirty_for_io already took. It cannot
// allocate blocks, so a page with delayed buffers is redirtied; from a
// PF_MEMALLOC task it bails out, warning if that task is not kswapd
// (direct reclaim must never get here: fs/ext4/inode.c:1881).
func (a *aops) Writepage(s *mm.System, pfn uint64, wbc *mm.WritebackControl) int {
	s.Cover("ext4_writepage")
	size := a.ino.ISize()
	p := s.Page(pfn)
	length := int64(mm.PAGE_SIZE)
	if p.Index() == uint64(size)>>mm.PAGE_SHIFT {
		length = size & (mm.PAGE_SIZE - 1)
	}
	bh := a.f.PageBuffers(pfn)
	keepTowrite := false
	if bh != nil && length > 0 && delayOrUnwritten(bh) {
		s.RedirtyPageForWritepage(wbc, pfn)
		flags := currentFlags(a.f)
		s.Cover("ext4_writepage:delalloc_redirty")
		if flags&sim.PF_MEMALLOC != 0 {
			s.Cover("ext4_writepage:memalloc")
			if log := s.Log(); log != nil {
				log.WarnOnOnce(flags&(sim.PF_MEMALLOC|sim.PF_KSWAPD) == sim.PF_MEMALLOC, "fs/ext4/inode.c", 1881)
			}
			s.UnlockPage(pfn)
			return 0
		}
		keepTowrite = true
	}
	return ext4BioWritePage(a.f, a.ino, pfn, length, wbc, keepTowrite)
}

// currentFlags is current->flags.
func currentFlags(f *fs.FS) uint32 {
	if f.Sched == nil {
		return 0
	}
	if t := f.Sched.Current(); t != nil {
		return t.Flags
	}
	return 0
}

// ext4BioWritePage is ext4_bio_write_page(): start writeback, zero the
// page past length (EOF), submit the buffer if it is dirty, mapped and
// allocated, unlock the page, and end writeback at once if nothing was
// submitted.
func ext4BioWritePage(f *fs.FS, ino *fs.Inode, pfn uint64, length int64, wbc *mm.WritebackControl, keepTowrite bool) int {
	s := f.Sys
	p := s.Page(pfn)
	if !p.PageLocked() || p.PageWriteback() {
		s.Log().Bug("fs/ext4/page-io.c", 415, 0)
	}
	if keepTowrite {
		s.SetPageWritebackKeepwrite(pfn)
	} else {
		s.SetPageWriteback(pfn)
	}
	p.Clear(mm.PG_error)
	// The part of the last page past EOF may have been written through
	// a mapping; it is not the file's and is zeroed on every write.
	if length < mm.PAGE_SIZE {
		s.Cover("ext4_bio_write_page:zero_tail")
		f.ZeroUserSegment(ino, pfn, length, mm.PAGE_SIZE)
	}
	bh := f.PageBuffers(pfn)
	if bh != nil {
		switch {
		case length == 0:
			bh.Clear(fs.BH_Dirty)
			bh.Set(fs.BH_Uptodate)
		case !bh.Test(fs.BH_Dirty) || bh.Test(fs.BH_Delay) || !bh.Test(fs.BH_Mapped) || bh.Test(fs.BH_Unwritten):
			if !bh.Test(fs.BH_Mapped) {
				bh.Clear(fs.BH_Dirty)
			}
		default:
			bh.Clear(fs.BH_New)
			bh.Set(fs.BH_Async_Write)
		}
	}
	s.UnlockPage(pfn)
	if !f.SubmitPageWrite(ino, pfn, wbc.SyncMode == mm.WB_SYNC_ALL) {
		s.EndPageWriteback(pfn)
	}
	return 0
}

// Writepages is ext4_writepages() for delayed allocation: for each dirty
// page in the range (write_cache_pages order), allocate the blocks its
// delayed buffers reserved (ext4_map_blocks with EXT4_GET_BLOCKS_CREATE)
// and write it.
//
// Model: v3.16 gathers contiguous delayed pages into extents
// (mpage_prepare_extent_to_map), maps each extent in one journal
// transaction and submits multi-page bios; the model maps and submits
// page by page in the same order, and the plug merges the one-block bios
// into the same requests. At the first page past EOF v3.16 ends the pass;
// the model goes on, and such pages (all past EOF) are submitted unmapped
// too.
func (a *aops) Writepages(s *mm.System, m *mm.AddressSpace, wbc *mm.WritebackControl) int {
	if wbc.SyncMode == mm.WB_SYNC_ALL {
		wbc.TaggedWritepages = true
	}
	// The extents are mapped and submitted under a block plug.
	var plug mm.BlkPlug
	s.BlkStartPlug(&plug)
	defer s.BlkFinishPlug(&plug)
	return s.WriteCachePages(m, wbc, func(pfn uint64, wbc *mm.WritebackControl) int {
		bh := a.f.PageBuffers(pfn)
		// mpage_process_page_bufs: no block past EOF is mapped (a
		// truncate is under way); such a page is submitted as it is.
		blocks := uint64(a.ino.ISize()+fs.BlockSize-1) / fs.BlockSize
		if bh != nil && bh.Test(fs.BH_Delay) && s.Page(pfn).Index() < blocks {
			blk := a.ino.SB().AllocDelalloc()
			a.ino.Blocks[s.Page(pfn).Index()] = blk
			bh.Blocknr = blk
			bh.Clear(fs.BH_Delay)
			bh.Set(fs.BH_Mapped)
		}
		size := a.ino.ISize()
		length := int64(mm.PAGE_SIZE)
		if s.Page(pfn).Index() == uint64(size)>>mm.PAGE_SHIFT {
			length = size & (mm.PAGE_SIZE - 1)
		}
		return ext4BioWritePage(a.f, a.ino, pfn, length, wbc, false)
	})
}

// ReleasePage is ->releasepage: try_to_free_buffers.
func (a *aops) ReleasePage(s *mm.System, pfn uint64, gfp mm.GFP) bool {
	return a.f.ReleasePage(s, pfn, gfp)
}

// PageMkwrite is ext4_page_mkwrite(): block_page_mkwrite with the filesystem's
// get_block (a delayed reservation for a hole).
func (a *aops) PageMkwrite(s *mm.System, v *mm.VMArea, pfn uint64) int {
	return a.f.BlockPageMkwrite(a.ino, pfn, daGetBlockPrep)
}

// Migratepage is ->migratepage: buffer_migrate_page.
func (a *aops) Migratepage(s *mm.System, m *mm.AddressSpace, newpfn, pfn uint64, mode mm.MigrateMode) int {
	return a.f.BufferMigratePage(s, m, newpfn, pfn, mode)
}
