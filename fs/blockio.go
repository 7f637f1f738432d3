// SPDX-License-Identifier: GPL-2.0-only

package fs

import "pagesim/mm"

// The generic block-based helpers of fs/buffer.c and fs/mpage.c that ext4
// and xfs build their address_space operations from.

// GetBlock is get_block_t: map file block iblock into bh, allocating (or,
// for delayed allocation, reserving) when create is set.
type GetBlock func(ino *Inode, iblock uint64, bh *BufferHead, create bool) error

// DelallocGetBlock is the get_block of delayed allocation, as ext4
// (ext4_da_get_block_prep) and xfs (xfs_get_blocks with
// xfs_iomap_write_delay) both do it for a buffered write: a block on disk
// maps the buffer; a hole written to reserves a block (ReserveDelalloc,
// ENOSPC when none is left) and is mapped to no real block, BH_New and
// BH_Delay, until writeback allocates it.
func DelallocGetBlock(ino *Inode, iblock uint64, bh *BufferHead, create bool) error {
	if blk, ok := ino.Blocks[iblock]; ok {
		bh.Blocknr = blk
		bh.Set(BH_Mapped)
		return nil
	}
	if !create || bh.Test(BH_Delay) {
		return nil
	}
	if err := ino.SB().ReserveDelalloc(); err != nil {
		return err
	}
	bh.Blocknr = 0 // invalid_block
	bh.Set(BH_Mapped)
	bh.Set(BH_New)
	bh.Set(BH_Delay)
	return nil
}

// BlockWriteBeginPage is block_write_begin(): grab the page for the write
// (grab_cache_page_write_begin, locked, with a reference) and map or
// reserve its buffer (__block_write_begin); on failure the page is
// unlocked and released. ext4's and xfs's ->write_begin both come to
// this.
func (f *FS) BlockWriteBeginPage(m *mm.AddressSpace, ino *Inode, pos int64, length int, getBlock GetBlock) (uint64, error) {
	s := f.Sys
	pfn, ok := s.GrabCachePageWriteBegin(m, uint64(pos)>>mm.PAGE_SHIFT, true)
	if !ok {
		return 0, ENOSPC
	}
	if err := f.BlockWriteBegin(ino, pfn, pos, length, getBlock); err != nil {
		s.UnlockPage(pfn)
		s.PutPage(pfn)
		return 0, err
	}
	return pfn, nil
}

// BlockWriteBegin is __block_write_begin() for the one buffer of a page:
// map it (get_block with create), and read the block first if the write
// covers only part of a page that is not up to date and is on disk.
func (f *FS) BlockWriteBegin(ino *Inode, pfn uint64, pos int64, length int, getBlock GetBlock) error {
	s := f.Sys
	p := s.Page(pfn)
	bh := f.CreatePageBuffers(pfn, 0)
	from := int(pos & (mm.PAGE_SIZE - 1))
	to := from + length
	bh.Clear(BH_New)
	if !bh.Test(BH_Mapped) {
		if err := getBlock(ino, p.Index(), bh, true); err != nil {
			return err
		}
		if bh.Test(BH_New) {
			if p.Test(mm.PG_uptodate) {
				bh.Clear(BH_New)
				bh.Set(BH_Uptodate)
				f.MarkBufferDirty(bh)
				return nil
			}
			// zero_user_segments: the parts of a new block outside the
			// write are zeroes, so before the copy the page holds only
			// zeroes as far as anyone can read.
			if from > 0 || to < BlockSize {
				p.SetData(0)
			}
			return nil
		}
	}
	if p.Test(mm.PG_uptodate) {
		bh.Set(BH_Uptodate)
		return nil
	}
	if !bh.Test(BH_Uptodate) && !bh.Test(BH_Delay) && !bh.Test(BH_Unwritten) && (from > 0 || to < BlockSize) {
		// ll_rw_block(READ) and wait_on_buffer.
		if err := f.readBlockSync(ino, pfn, bh); err != nil {
			return err
		}
	}
	return nil
}

// readBlockSync reads the buffer's block into the page and waits
// (ll_rw_block + wait_on_buffer): the task sleeps for the I/O.
func (f *FS) readBlockSync(ino *Inode, pfn uint64, bh *BufferHead) error {
	done := false
	var token uint64
	bh.Set(BH_Lock)
	f.Sys.CountBio(false)
	ino.sb.Dev.SubmitRead(bh.Blocknr, func(t uint64) {
		token = t
		done = true
		bh.Clear(BH_Lock)
		f.Sys.WakeUpPage(pfn)
	})
	for !done {
		f.Sys.WaitOnPageBit(pfn)
	}
	f.Sys.Page(pfn).SetData(token)
	bh.Set(BH_Uptodate)
	return nil
}

// MarkBufferDirty is mark_buffer_dirty(): a buffer newly dirty makes its
// page dirty, with the accounting (__set_page_dirty).
func (f *FS) MarkBufferDirty(bh *BufferHead) {
	if bh.Test(BH_Dirty) {
		return
	}
	bh.Set(BH_Dirty)
	f.Sys.SetPageDirtyNobuffers(bh.Page)
}

// GenericWriteEnd is generic_write_end() with block_write_end(): the
// buffer becomes up to date and dirty (so the page does), i_size grows,
// the page is unlocked and released.
func (f *FS) GenericWriteEnd(ino *Inode, pos int64, length, copied int, pfn uint64) int {
	s := f.Sys
	p := s.Page(pfn)
	bh := f.PageBuffers(pfn)
	// __block_commit_write
	bh.Set(BH_Uptodate)
	f.MarkBufferDirty(bh)
	bh.Clear(BH_New)
	p.Set(mm.PG_uptodate)
	sizeChanged := false
	if end := pos + int64(copied); end > ino.size {
		ino.size = end
		sizeChanged = true
	}
	s.UnlockPage(pfn)
	s.PutPage(pfn)
	if sizeChanged {
		ino.MarkInodeDirty(mm.I_DIRTY_SYNC)
	}
	return copied
}

// MpageReadpage is mpage_readpage() for a page of one block: a hole reads
// as zeroes at once; a mapped block is read with a bio whose completion
// (mpage_end_io) marks the page up to date and unlocks it.
func (f *FS) MpageReadpage(ino *Inode, pfn uint64, getBlock GetBlock) int {
	s := f.Sys
	p := s.Page(pfn)
	var bh BufferHead
	if pb := f.PageBuffers(pfn); pb != nil && pb.Test(BH_Uptodate) {
		// do_mpage_readpage goes to block_read_full_page for a page with
		// buffers, which reads none that is up to date: the page's only
		// buffer is (block_truncate_page read and zeroed it, say), so
		// the page is up to date as it is.
		p.Set(mm.PG_uptodate)
		s.UnlockPage(pfn)
		return 0
	} else if pb != nil {
		bh = *pb
	} else if err := getBlock(ino, p.Index(), &bh, false); err != nil {
		s.UnlockPage(pfn)
		return -5
	}
	if !bh.Test(BH_Mapped) || bh.Test(BH_Delay) {
		// A hole (or, for delalloc, data that never reached the disk:
		// that page is still cached and never read).
		p.SetData(0)
		p.Set(mm.PG_uptodate)
		s.UnlockPage(pfn)
		return 0
	}
	s.CountBio(false)
	ino.sb.Dev.SubmitRead(bh.Blocknr, func(token uint64) {
		p.SetData(token)
		p.Set(mm.PG_uptodate)
		p.Set(mm.PG_mappedtodisk)
		s.UnlockPage(pfn)
	})
	return 0
}

// SubmitPageWrite submits the page's mapped, dirty buffer and ends the
// page's writeback when the write completes (end_buffer_async_write); it
// returns whether anything was submitted.
func (f *FS) SubmitPageWrite(ino *Inode, pfn uint64, sync bool) bool {
	s := f.Sys
	bh := f.PageBuffers(pfn)
	if bh == nil || !bh.Test(BH_Async_Write) {
		return false
	}
	bh.Clear(BH_Dirty)
	bh.Set(BH_Lock)
	token := s.Page(pfn).Data()
	s.CountBio(true)
	ino.sb.Dev.SubmitWrite(bh.Blocknr, token, sync, func() {
		bh.Clear(BH_Async_Write)
		bh.Clear(BH_Lock)
		bh.Set(BH_Uptodate)
		s.Page(pfn).Set(mm.PG_mappedtodisk)
		s.EndPageWriteback(pfn)
	})
	return true
}

// BlockPageMkwrite is __block_page_mkwrite() (block_page_mkwrite): lock
// the page, check it is still in the file, map or reserve its block
// (__block_write_begin) and commit it (block_commit_write, which dirties
// buffer and page), then wait for stable pages. Returns VM_FAULT_LOCKED
// with the page locked, or VM_FAULT_NOPAGE if it was truncated.
func (f *FS) BlockPageMkwrite(ino *Inode, pfn uint64, getBlock GetBlock) int {
	s := f.Sys
	s.LockPage(pfn)
	p := s.Page(pfn)
	size := ino.ISize()
	if s.PageMapping(pfn) != ino.Mapping || int64(p.Index())<<mm.PAGE_SHIFT >= size {
		s.UnlockPage(pfn)
		return mm.VM_FAULT_NOPAGE
	}
	end := int64(mm.PAGE_SIZE)
	if int64(p.Index()) == (size-1)>>mm.PAGE_SHIFT {
		end = ((size - 1) & (mm.PAGE_SIZE - 1)) + 1
	}

	if err := f.BlockWriteBegin(ino, pfn, int64(p.Index())<<mm.PAGE_SHIFT, int(end), getBlock); err != nil {
		s.UnlockPage(pfn)
		return mm.VM_FAULT_SIGBUS
	}
	bh := f.PageBuffers(pfn)
	bh.Set(BH_Uptodate)
	f.MarkBufferDirty(bh)
	bh.Clear(BH_New)
	s.SetPageDirty(pfn)
	s.WaitForStablePage(pfn)
	if end < mm.PAGE_SIZE {
		// The mapping may now write past EOF in this page.
		if ino.tailWritten == nil {
			ino.tailWritten = map[uint64]bool{}
		}
		ino.tailWritten[p.Index()] = true
	}
	return mm.VM_FAULT_LOCKED
}

// BlockTruncatePage is block_truncate_page(): when a truncate leaves the
// file ending inside a block that is on disk (or reserved), zero the rest
// of that block in the page cache and mark it dirty, so that the zeroes
// reach the disk: truncate_pagecache only zeroes the cached page, which a
// later reclaim or drop_caches would throw away, and the old bytes would
// come back from the disk. ext4_truncate (ext4_block_truncate_page) and
// xfs_setattr_size (block_truncate_page) both do it.
//
// Model: grab_cache_page is grab_cache_page_write_begin (no difference
// for a file page), and the block is mapped from the inode's block map
// (get_block without create), which is what both filesystems' get_block
// does then.
func (f *FS) BlockTruncatePage(ino *Inode, from int64) error {
	offset := int(from & (BlockSize - 1))
	if offset == 0 {
		return nil
	}
	s := f.Sys
	index := uint64(from) >> mm.PAGE_SHIFT
	_, onDisk := ino.Blocks[index]
	if pfn, cached := s.FindGetPage(ino.Mapping, index); cached {
		s.PutPage(pfn)
	} else if !onDisk {
		return nil // a hole, and nothing cached: nothing to zero
	}
	pfn, ok := s.GrabCachePageWriteBegin(ino.Mapping, index, true)
	if !ok {
		return ENOMEM
	}
	defer func() {
		s.UnlockPage(pfn)
		s.PutPage(pfn)
	}()
	bh := f.PageBuffers(pfn)
	if bh == nil {
		bh = f.CreateEmptyBuffers(pfn, 0)
	}
	if !bh.Test(BH_Mapped) {
		blk, ok := ino.Blocks[index]
		if !ok {
			return nil // a hole: nothing on disk to zero
		}
		bh.Blocknr = blk
		bh.Set(BH_Mapped)
	}
	p := s.Page(pfn)
	if p.Test(mm.PG_uptodate) {
		bh.Set(BH_Uptodate)
	}
	if !bh.Test(BH_Uptodate) && !bh.Test(BH_Delay) && !bh.Test(BH_Unwritten) {
		if err := f.readBlockSync(ino, pfn, bh); err != nil {
			return err
		}
	}
	// zero_user: truncate_pagecache may have zeroed the same tail
	// already, which ZeroSegmentToken sees.
	p.SetData(mm.ZeroSegmentToken(p.Data(), int64(offset), BlockSize))
	f.MarkBufferDirty(bh)
	return nil
}
