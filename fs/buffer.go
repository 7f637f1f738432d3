// SPDX-License-Identifier: GPL-2.0-only

package fs

import "pagesim/mm"

// Buffer heads (fs/buffer.c, include/linux/buffer_head.h). With 4 KiB
// blocks, as ext4 and xfs use by default on 4 KiB pages, a page has exactly
// one buffer; page->private names it and holds a page reference, as
// attach_page_buffers does.

// Buffer state bits, enum bh_state_bits.
const (
	BH_Uptodate = iota
	BH_Dirty
	BH_Lock
	BH_Req
	BH_Uptodate_Lock
	BH_Mapped
	BH_New
	BH_Async_Read
	BH_Async_Write
	BH_Delay
	BH_Boundary
	BH_Write_EIO
	BH_Unwritten
	BH_Quiet
	BH_Meta
	BH_Prio
	BH_Defer_Completion
)

// BlockSize is the filesystems' block size.
const BlockSize = mm.PAGE_SIZE

// BufferHead is struct buffer_head.
type BufferHead struct {
	State   uint32
	Blocknr uint64
	Page    uint64 // b_page
	inUse   bool
}

// Test, Set and Clear are buffer_foo, set_buffer_foo, clear_buffer_foo.
func (bh *BufferHead) Test(bit uint) bool { return bh.State&(1<<bit) != 0 }
func (bh *BufferHead) Set(bit uint)       { bh.State |= 1 << bit }
func (bh *BufferHead) Clear(bit uint)     { bh.State &^= 1 << bit }

// TestClear is test_clear_buffer_foo.
func (bh *BufferHead) TestClear(bit uint) bool {
	was := bh.Test(bit)
	bh.Clear(bit)
	return was
}

// bhSlab holds every buffer head; page->private is index+1. Heads are
// allocated one by one, so a *BufferHead stays valid while the slab grows:
// an I/O completion holds one across the device's latency, as the kernel's
// end_io holds its bh.
type bhSlab struct {
	heads []*BufferHead
	free  []uint32
}

// PageBuffers is page_buffers(): the page's buffer head, or nil.
func (f *FS) PageBuffers(pfn uint64) *BufferHead {
	p := f.Sys.Page(pfn)
	if !p.Test(mm.PG_private) {
		return nil
	}
	return f.bhs.heads[p.Private()-1]
}

// CreateEmptyBuffers is create_empty_buffers(): one buffer for the page,
// with the given state, attached with a page reference; dirty or uptodate
// pages pass that on to the buffer.
func (f *FS) CreateEmptyBuffers(pfn uint64, state uint32) *BufferHead {
	var id uint32
	if n := len(f.bhs.free); n > 0 {
		id = f.bhs.free[n-1]
		f.bhs.free = f.bhs.free[:n-1]
	} else {
		f.bhs.heads = append(f.bhs.heads, new(BufferHead))
		id = uint32(len(f.bhs.heads) - 1)
	}
	bh := f.bhs.heads[id]
	*bh = BufferHead{State: state, Page: pfn, inUse: true}
	f.Sys.BufferHeadAllocated() // alloc_buffer_head
	p := f.Sys.Page(pfn)
	if p.PageDirty() {
		bh.Set(BH_Dirty)
	}
	if p.Test(mm.PG_uptodate) {
		bh.Set(BH_Uptodate)
	}
	f.Sys.AttachPagePrivate(pfn, uint64(id)+1)
	return bh
}

// CreatePageBuffers is create_page_buffers(): the page's buffer, made if
// missing.
func (f *FS) CreatePageBuffers(pfn uint64, state uint32) *BufferHead {
	if bh := f.PageBuffers(pfn); bh != nil {
		return bh
	}
	return f.CreateEmptyBuffers(pfn, state)
}

// TryToFreeBuffers is try_to_free_buffers(): drop a clean, idle page's
// buffer (drop_buffers, then free_buffer_head); a page under writeback, or
// with a dirty or locked buffer, keeps it. A page with a mapping whose
// buffers were all clean also loses PG_dirty (cancel_dirty_page); a write
// error on a dropped buffer is passed to the mapping (AS_EIO). An orphaned
// page (no mapping) just loses its buffers.
//
// Model: buffer heads have no b_count, so a buffer is busy only by its
// state.
func (f *FS) TryToFreeBuffers(pfn uint64) bool {
	p := f.Sys.Page(pfn)
	if p.PageWriteback() {
		return false
	}
	bh := f.PageBuffers(pfn)
	if bh == nil {
		return true
	}
	if bh.Test(BH_Dirty) || bh.Test(BH_Lock) {
		return false
	}
	m := f.Sys.PageMapping(pfn)
	if bh.Test(BH_Write_EIO) && m != nil {
		m.Flags |= mm.AS_EIO
	}
	id := p.Private() - 1
	f.Sys.ClearPagePrivate(pfn) // __clear_page_buffers
	if m != nil {
		f.Sys.CancelDirtyPage(pfn)
	}
	*f.bhs.heads[id] = BufferHead{}
	f.bhs.free = append(f.bhs.free, uint32(id))
	f.Sys.BufferHeadFreed() // free_buffer_head
	return true
}

// SetPageDirtyBuffers is __set_page_dirty_buffers(): dirty the page's
// buffer, then the page with its accounting.
func (f *FS) SetPageDirtyBuffers(s *mm.System, pfn uint64) bool {
	if bh := f.PageBuffers(pfn); bh != nil {
		bh.Set(BH_Dirty)
	}
	return s.SetPageDirtyNobuffers(pfn)
}

// BlockInvalidatepage is block_invalidatepage(): a whole-page invalidate
// discards the buffer's state and frees it (try_to_release_page).
func (f *FS) BlockInvalidatepage(pfn uint64, offset, length int) {
	bh := f.PageBuffers(pfn)
	if bh == nil {
		return
	}
	if offset == 0 && length == BlockSize {
		// discard_buffer
		bh.State &^= 1<<BH_Dirty | 1<<BH_Mapped | 1<<BH_Req | 1<<BH_New | 1<<BH_Delay | 1<<BH_Unwritten
		f.TryToFreeBuffers(pfn)
	}
}

// ReleasePage is the ->releasepage both filesystems use for clean pages:
// try_to_free_buffers.
func (f *FS) ReleasePage(s *mm.System, pfn uint64, gfp mm.GFP) bool { return f.TryToFreeBuffers(pfn) }

// BufferMigratePage is buffer_migrate_page() (mm/migrate.c), the
// ->migratepage of ext4 and xfs: move the mapping (which counts the
// buffers' page reference), then hand the buffer and its reference to the
// new page and copy the page state.
func (f *FS) BufferMigratePage(s *mm.System, m *mm.AddressSpace, newpfn, pfn uint64, mode mm.MigrateMode) int {
	bh := f.PageBuffers(pfn)
	if bh == nil {
		return s.MigratePage(m, newpfn, pfn, mode)
	}
	if rc := s.MigratePageMoveMapping(m, newpfn, pfn, true, mode, 0); rc != mm.MIGRATEPAGE_SUCCESS {
		return rc
	}
	// The buffers move: page_private and PG_private go to newpage, and so
	// does the reference attach_page_buffers took.
	old := s.Page(pfn)
	private := old.Private()
	s.ClearPagePrivate(pfn)              // ClearPagePrivate, set_page_private(page, 0), put_page(page)
	s.AttachPagePrivate(newpfn, private) // get_page(newpage), set_page_private, SetPagePrivate
	bh.Page = newpfn                     // set_bh_page
	s.MigratePageCopy(newpfn, pfn)
	return mm.MIGRATEPAGE_SUCCESS
}
