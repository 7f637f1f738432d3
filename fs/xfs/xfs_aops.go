// SPDX-License-Identifier: GPL-2.0-only

// Package xfs models xfs's address_space operations (fs/xfs/xfs_aops.c):
// delayed allocation at write(), allocation at writeback, and the refusal
// of ->writepage from direct reclaim.
package xfs

import (
	"pagesim/fs"
	"pagesim/klog"
	"pagesim/mm"
	"pagesim/sim"
)

func init() {
	klog.RegisterPackage("pagesim/fs/xfs", "xfs")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).Writepage", "xfs_vm_writepage")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).Writepages", "xfs_vm_writepages")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).PageMkwrite", "xfs_vm_page_mkwrite")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).Readpage", "xfs_vm_readpage")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).WriteBegin", "xfs_vm_write_begin")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).WriteEnd", "xfs_vm_write_end")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).SetPageDirty", "xfs_vm_set_page_dirty")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).InvalidatePage", "xfs_vm_invalidatepage")
	klog.RegisterSymbol("pagesim/fs/xfs.(*aops).ReleasePage", "xfs_vm_releasepage")
	// WARN_ON_ONCE is a macro: no frame.
	klog.HideFunc("pagesim/fs/xfs.warnOnOnce")
	klog.HideFunc("pagesim/fs/xfs.(*aops).redirty")
}

// PF_FSTRANS: the task is inside a filesystem transaction.
const PF_FSTRANS = 0x00020000

// Type is the xfs filesystem type.
type Type struct{}

// Name is "xfs".
func (Type) Name() string { return "xfs" }

// NewInodeOps gives an inode xfs_address_space_operations.
func (Type) NewInodeOps(f *fs.FS, sb *fs.SuperBlock, ino *fs.Inode) mm.AddressSpaceOps {
	return &aops{f: f, ino: ino}
}

type aops struct {
	f   *fs.FS
	ino *fs.Inode
}

// getBlocks is xfs_get_blocks(): fs.DelallocGetBlock (a hole written to
// gets a delayed allocation, xfs_iomap_write_delay).
var getBlocks fs.GetBlock = fs.DelallocGetBlock

// WriteBegin is xfs_vm_write_begin(): grab the page with AOP_FLAG_NOFS,
// then __block_write_begin with xfs_get_blocks.
func (a *aops) WriteBegin(s *mm.System, m *mm.AddressSpace, pos int64, length int) (uint64, error) {
	return a.f.BlockWriteBeginPage(m, a.ino, pos, length, getBlocks)
}

// WriteEnd is xfs_vm_write_end() -> generic_write_end().
func (a *aops) WriteEnd(s *mm.System, m *mm.AddressSpace, pos int64, length, copied int, pfn uint64) int {
	return a.f.GenericWriteEnd(a.ino, pos, length, copied, pfn)
}

// SetPageDirty is xfs_vm_set_page_dirty(): dirty the buffers inside EOF,
// then the page.
func (a *aops) SetPageDirty(s *mm.System, pfn uint64) bool {
	if bh := a.f.PageBuffers(pfn); bh != nil && int64(s.Page(pfn).Index())<<mm.PAGE_SHIFT < a.ino.ISize() {
		bh.Set(fs.BH_Dirty)
	}
	return s.SetPageDirtyNobuffers(pfn)
}

// InvalidatePage is xfs_vm_invalidatepage() -> block_invalidatepage().
//
// Model: xfs keeps delayed allocations as extents and gives their
// reservation back when truncate removes them (xfs_bunmapi); the model
// gives it back with the page's buffer.
func (a *aops) InvalidatePage(s *mm.System, pfn uint64, offset, length int) {
	if bh := a.f.PageBuffers(pfn); bh != nil && offset == 0 && length == fs.BlockSize && bh.TestClear(fs.BH_Delay) {
		a.ino.SB().ReleaseDelalloc()
	}
	a.f.BlockInvalidatepage(pfn, offset, length)
}

// Readpage is xfs_vm_readpage() -> mpage_readpage(xfs_get_blocks).
func (a *aops) Readpage(s *mm.System, pfn uint64) int {
	return a.f.MpageReadpage(a.ino, pfn, getBlocks)
}

// Writepage is xfs_vm_writepage(): refuse to write from direct reclaim
// (WARN_ON_ONCE at fs/xfs/xfs_aops.c:971, then redirty) or from inside a
// transaction; redirty a page wholly beyond EOF (a truncate is under way:
// reclaim must not free it, xfs_vm_releasepage would object); zero the part
// of a page that straddles EOF; allocate delayed blocks (xfs_map_blocks
// with XFS_IO_DELALLOC), start writeback and submit the ioend.
//
// Model: xfs_cluster_write (writing neighbouring dirty pages in the same
// ioend) is not modeled, nor xfs_map_blocks's failure to take the ilock
// without blocking (-EAGAIN, redirty).
func (a *aops) Writepage(s *mm.System, pfn uint64, wbc *mm.WritebackControl) int {
	s.Cover("xfs_vm_writepage")
	flags := currentFlags(a.f)
	log := s.Log()
	if warnOnOnce(log, flags&(sim.PF_MEMALLOC|sim.PF_KSWAPD) == sim.PF_MEMALLOC, "fs/xfs/xfs_aops.c", 971) {
		s.Cover("xfs_vm_writepage:memalloc_redirty")
		return a.redirty(s, pfn, wbc)
	}
	if warnOnOnce(log, flags&PF_FSTRANS != 0, "fs/xfs/xfs_aops.c", 978) {
		return a.redirty(s, pfn, wbc)
	}
	p := s.Page(pfn)
	size := a.ino.ISize()
	endIndex := uint64(size) >> mm.PAGE_SHIFT
	if p.Index() >= endIndex {
		offsetIntoPage := size & (mm.PAGE_SIZE - 1)
		if p.Index() > endIndex || offsetIntoPage == 0 {
			s.Cover("xfs_vm_writepage:beyond_eof_redirty")
			return a.redirty(s, pfn, wbc)
		}
		s.Cover("xfs_vm_writepage:straddles_eof")
		a.f.ZeroUserSegment(a.ino, pfn, offsetIntoPage, mm.PAGE_SIZE)
	}
	// The buffer loop: holes and buffers that are not uptodate are not
	// written; unwritten, delayed and uptodate ones are mapped
	// (xfs_map_blocks, xfs_map_at_offset) and added to the ioend, dirty
	// or not.
	count := 0
	uptodate := true
	if bh := a.f.PageBuffers(pfn); bh != nil {
		if !bh.Test(fs.BH_Uptodate) {
			uptodate = false
		}
		switch {
		case !bh.Test(fs.BH_Mapped) && bh.Test(fs.BH_Uptodate):
			// A hole: nothing to write.
		case bh.Test(fs.BH_Unwritten):
			bh.Set(fs.BH_Mapped)
			bh.Clear(fs.BH_Delay)
			bh.Clear(fs.BH_Unwritten)
			count++
		case bh.Test(fs.BH_Delay):
			s.Cover("xfs_vm_writepage:delalloc")
			blk := a.ino.SB().AllocDelalloc()
			a.ino.Blocks[p.Index()] = blk
			bh.Blocknr = blk
			bh.Set(fs.BH_Mapped)
			bh.Clear(fs.BH_Delay)
			bh.Clear(fs.BH_Unwritten)
			count++
		case bh.Test(fs.BH_Uptodate):
			count++
		}
		if count > 0 {
			bh.Set(fs.BH_Async_Write)
		}
	}
	if uptodate {
		p.Set(mm.PG_uptodate) // SetPageUptodate
	}
	// xfs_start_page_writeback
	s.ClearPageDirtyForIO(pfn)
	s.SetPageWriteback(pfn)
	s.UnlockPage(pfn)
	if !a.f.SubmitPageWrite(a.ino, pfn, wbc.SyncMode == mm.WB_SYNC_ALL) {
		s.EndPageWriteback(pfn)
	}
	return 0
}

// redirty is the redirty: label of xfs_vm_writepage.
func (a *aops) redirty(s *mm.System, pfn uint64, wbc *mm.WritebackControl) int {
	s.RedirtyPageForWritepage(wbc, pfn)
	s.UnlockPage(pfn)
	return 0
}

// Writepages is xfs_vm_writepages() -> generic_writepages().
func (a *aops) Writepages(s *mm.System, m *mm.AddressSpace, wbc *mm.WritebackControl) int {
	return s.GenericWritepages(m, wbc)
}

func warnOnOnce(log *klog.Log, cond bool, file string, line int) bool {
	if log == nil {
		return cond
	}
	return log.WarnOnOnce(cond, file, line)
}

func currentFlags(f *fs.FS) uint32 {
	if f.Sched == nil {
		return 0
	}
	if t := f.Sched.Current(); t != nil {
		return t.Flags
	}
	return 0
}

// ReleasePage is xfs_vm_releasepage(): a page whose buffer is still
// unwritten or delayed (xfs_count_page_state) must not be released
// (WARN_ON_ONCE at fs/xfs/xfs_aops.c:1228 and 1230); otherwise
// try_to_free_buffers.
func (a *aops) ReleasePage(s *mm.System, pfn uint64, gfp mm.GFP) bool {
	var delalloc, unwritten bool
	if bh := a.f.PageBuffers(pfn); bh != nil {
		if bh.Test(fs.BH_Unwritten) {
			unwritten = true
		} else if bh.Test(fs.BH_Delay) {
			delalloc = true
		}
	}
	log := s.Log()
	if warnOnOnce(log, delalloc, "fs/xfs/xfs_aops.c", 1228) {
		return false
	}
	if warnOnOnce(log, unwritten, "fs/xfs/xfs_aops.c", 1230) {
		return false
	}
	return a.f.ReleasePage(s, pfn, gfp)
}

// PageMkwrite is xfs_vm_page_mkwrite(): block_page_mkwrite with the filesystem's
// get_block (a delayed reservation for a hole).
func (a *aops) PageMkwrite(s *mm.System, v *mm.VMArea, pfn uint64) int {
	return a.f.BlockPageMkwrite(a.ino, pfn, getBlocks)
}

// Migratepage is ->migratepage: buffer_migrate_page.
func (a *aops) Migratepage(s *mm.System, m *mm.AddressSpace, newpfn, pfn uint64, mode mm.MigrateMode) int {
	return a.f.BufferMigratePage(s, m, newpfn, pfn, mode)
}
