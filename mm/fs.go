// SPDX-License-Identifier: GPL-2.0-only

package mm

// The parts of include/linux/fs.h and include/linux/backing-dev.h that
// memory management owns or calls through: struct address_space, its
// operations, struct writeback_control and struct backing_dev_info.
// Filesystems (package fs and below) implement AddressSpaceOps, as in the
// kernel, where mm defines the interface and filesystems fill it in.

// Host is what an address_space's host inode offers mm.
type Host interface {
	// ISize is i_size_read().
	ISize() int64
	// MarkInodeDirty is __mark_inode_dirty(inode, flags).
	MarkInodeDirty(flags int)
	// Ino names the inode in reports.
	Ino() uint64
}

// Inode dirty flags, include/linux/fs.h.
const (
	I_DIRTY_SYNC     = 1 << 0
	I_DIRTY_DATASYNC = 1 << 1
	I_DIRTY_PAGES    = 1 << 2
)

// WritebackControl is struct writeback_control.
type WritebackControl struct {
	NrToWrite         int64
	PagesSkipped      int64
	RangeStart        int64
	RangeEnd          int64
	SyncMode          int // WB_SYNC_NONE or WB_SYNC_ALL
	ForKupdate        bool
	ForBackground     bool
	TaggedWritepages  bool
	ForReclaim        bool
	RangeCyclic       bool
	ForSync           bool
	WritebackIndex    uint64 // mapping->writeback_index for range_cyclic
	NrWrittenThisCall int64
}

// Writeback sync modes.
const (
	WB_SYNC_NONE = 0
	WB_SYNC_ALL  = 1
)

// LLONG_MAX is the whole-file range end.
const LLONG_MAX = 1<<63 - 1

// AddressSpaceOps is struct address_space_operations: the filesystem's
// hooks. Optional operations are separate interfaces, checked as the
// kernel checks for a NULL pointer.
type AddressSpaceOps interface {
	// Writepage is ->writepage: write one locked, dirty page; the page
	// is unlocked on return (or, with AOP_WRITEPAGE_ACTIVATE, left
	// locked).
	Writepage(s *System, pfn uint64, wbc *WritebackControl) int
	// Readpage is ->readpage: start reading a locked page; it is unlocked
	// when the read completes.
	Readpage(s *System, pfn uint64) int
}

// Optional address_space operations.
type (
	// WritepagesOp is ->writepages.
	WritepagesOp interface {
		Writepages(s *System, m *AddressSpace, wbc *WritebackControl) int
	}
	// SetPageDirtyOp is ->set_page_dirty.
	SetPageDirtyOp interface {
		SetPageDirty(s *System, pfn uint64) bool
	}
	// WriteBeginEndOp is ->write_begin and ->write_end.
	WriteBeginEndOp interface {
		// WriteBegin returns a locked page with a reference, ready to
		// take the copy, or an error.
		WriteBegin(s *System, m *AddressSpace, pos int64, length int) (uint64, error)
		// WriteEnd finishes the write of copied bytes and unlocks and
		// releases the page; it returns the bytes accepted.
		WriteEnd(s *System, m *AddressSpace, pos int64, length, copied int, pfn uint64) int
	}
	// InvalidatePageOp is ->invalidatepage.
	InvalidatePageOp interface {
		InvalidatePage(s *System, pfn uint64, offset, length int)
	}
	// ReleasePageOp is ->releasepage.
	ReleasePageOp interface {
		ReleasePage(s *System, pfn uint64, gfp GFP) bool
	}
	// NoWritepageOp marks operations whose ->writepage is NULL (in
	// v3.16 ramfs's and hugetlbfs's, for example): reclaim's pageout
	// activates their dirty pages. Their Writepage is never called.
	NoWritepageOp interface {
		NoWritepage()
	}
)

// AOP_WRITEPAGE_ACTIVATE: ->writepage asks reclaim to activate the page,
// which it left locked.
const AOP_WRITEPAGE_ACTIVATE = 0x80000

// Address-space flags (mapping->flags above the gfp mask).
const (
	AS_EIO         = 1 << 0
	AS_ENOSPC      = 1 << 1
	AS_UNEVICTABLE = 1 << 3
)

// AddressSpace is struct address_space: a file's (or the swap cache's)
// pages, indexed by offset.
type AddressSpace struct {
	sys  *System
	id   uint32
	Host Host
	Ops  AddressSpaceOps
	BDI  *BackingDevInfo
	// tree is page_tree; nrpages and nrshadows count its pages and
	// shadow entries.
	tree      RadixTree
	nrpages   uint64
	nrshadows uint64
	// Flags holds AS_* bits.
	Flags uint32
	// GFPMask is mapping_gfp_mask().
	GFPMask GFP
	// writebackIndex is where range_cyclic writeback resumes.
	writebackIndex uint64
	// iMmap lists the VMAs mapping this file (the i_mmap interval tree).
	iMmap []*VMArea
	// Private is for the filesystem (mapping->private_data).
	Private any
}

// NewAddressSpace registers an address_space with its operations and
// backing device; its handle is what page->mapping holds.
func (s *System) NewAddressSpace(host Host, ops AddressSpaceOps, bdi *BackingDevInfo) *AddressSpace {
	m := &AddressSpace{sys: s, id: uint32(len(s.mappings)), Host: host, Ops: ops, BDI: bdi, GFPMask: GFP_HIGHUSER_MOVABLE}
	m.tree.SetSlab(s.radixSlab)
	s.mappings = append(s.mappings, m)
	return m
}

// handle is the page->mapping value for this address_space.
func (m *AddressSpace) handle() uint32 { return m.id << 1 }

// NrPages is mapping->nrpages.
func (m *AddressSpace) NrPages() uint64 { return m.nrpages }

// pageMapping is page_mapping(): the address_space of a file page, the swap
// address space of a swap-cache page, nil for anon and free pages.
func (s *System) pageMapping(pfn uint64) *AddressSpace {
	p := &s.pages[pfn]
	if p.PageSwapCache() {
		return s.swapperSpace
	}
	if p.mapping == 0 || p.mapping&PAGE_MAPPING_ANON != 0 {
		return nil
	}
	return s.mappings[p.mapping>>1]
}

// PageMapping is the exported page_mapping().
func (s *System) PageMapping(pfn uint64) *AddressSpace { return s.pageMapping(pfn) }

// BDI capabilities, include/linux/backing-dev.h.
const (
	BDI_CAP_NO_ACCT_DIRTY         = 0x00000001
	BDI_CAP_NO_WRITEBACK          = 0x00000002
	BDI_CAP_NO_ACCT_WB            = 0x00000080
	BDI_CAP_SWAP_BACKED           = 0x00000100
	BDI_CAP_STABLE_WRITES         = 0x00000200
	BDI_CAP_NO_ACCT_AND_WRITEBACK = BDI_CAP_NO_WRITEBACK | BDI_CAP_NO_ACCT_DIRTY | BDI_CAP_NO_ACCT_WB
)

// BDI counters, enum bdi_stat_item.
const (
	BDI_RECLAIMABLE = iota
	BDI_WRITEBACK
	BDI_DIRTIED
	BDI_WRITTEN
	NR_BDI_STAT_ITEMS
)

// Flusher is what the writeback code (fs/fs-writeback.c) offers mm: waking
// the flusher for background writeback, and queueing writeback work.
type Flusher interface {
	// StartBackgroundWriteback is bdi_start_background_writeback().
	StartBackgroundWriteback()
	// WritebackInProgress is writeback_in_progress(): BDI_writeback_running,
	// the worker is running (not waiting for work).
	WritebackInProgress() bool
	// StartWriteback is __bdi_start_writeback(): queue WB_SYNC_NONE work
	// for nrPages pages on the device's flusher and wake it.
	StartWriteback(nrPages int64, rangeCyclic bool, reason int)
	// HasDirtyIO is bdi_has_dirty_io(): an inode of the device is on one
	// of its writeback lists (b_dirty, b_io, b_more_io).
	HasDirtyIO() bool
	// NrDirtyInodes is the device's share of get_nr_dirty_inodes().
	NrDirtyInodes() int64
}

// Why writeback was started, enum wb_reason.
const (
	WB_REASON_BACKGROUND = iota
	WB_REASON_TRY_TO_FREE_PAGES
	WB_REASON_SYNC
	WB_REASON_PERIODIC
	WB_REASON_LAPTOP_TIMER
	WB_REASON_FREE_MORE_MEM
	WB_REASON_FS_FREE_SPACE
	WB_REASON_FORKER_THREAD
)

// BackingDevInfo is struct backing_dev_info.
type BackingDevInfo struct {
	Name         string
	Capabilities int
	// Congested holds BDI_async_congested/BDI_sync_congested, indexed
	// [BLK_RW_ASYNC, BLK_RW_SYNC]. Change them only with SetBdiCongested
	// and ClearBdiCongested, which keep nr_bdi_congested and wake the
	// congestion waiters (backing_dev.go).
	Congested [2]bool
	// stat is bdi_stat[]: per-CPU counters (backing_dev.go); read them
	// with BdiStat or BdiStatSum as the kernel code modeled does.
	stat [NR_BDI_STAT_ITEMS]percpuCounter
	// Flusher is set by the writeback code for this device.
	Flusher Flusher

	// The dirty-throttling state of mm/page-writeback.c, set up by
	// bdi_init (RegisterBDI): bandwidth estimates and ratelimits in pages
	// per second, the stamps they were last updated at (jiffies and the
	// BDI_DIRTIED/BDI_WRITTEN counts then), and the share of writeout
	// completions that sets the bdi's part of the dirty limit.
	bwTimeStamp            int64
	dirtiedStamp           int64
	writtenStamp           int64
	writeBandwidth         uint64
	avgWriteBandwidth      uint64
	dirtyRatelimit         uint64
	balancedDirtyRatelimit uint64
	completions            fpropLocal
	minRatio, maxRatio     uint64
	maxPropFrac            int64
	dirtyExceeded          bool
	// laptopTimerAt is when laptop_mode_wb_timer fires (0: not armed).
	laptopTimerAt int64
}

// mappingSetError is mapping_set_error(): a write error is kept for the
// next fsync, -ENOSPC as AS_ENOSPC and any other as AS_EIO.
func (m *AddressSpace) mappingSetError(err int) {
	if err == 0 {
		return
	}
	if err == -28 { // -ENOSPC
		m.Flags |= AS_ENOSPC
	} else {
		m.Flags |= AS_EIO
	}
}

// bdiCapAccountDirty is bdi_cap_account_dirty().
func (b *BackingDevInfo) bdiCapAccountDirty() bool { return b.Capabilities&BDI_CAP_NO_ACCT_DIRTY == 0 }

// bdiCapAccountWriteback is bdi_cap_account_writeback().
func (b *BackingDevInfo) bdiCapAccountWriteback() bool { return b.Capabilities&BDI_CAP_NO_ACCT_WB == 0 }

// mappingCapAccountDirty is mapping_cap_account_dirty().
func (m *AddressSpace) mappingCapAccountDirty() bool { return m.BDI.bdiCapAccountDirty() }

// mappingCapWriteback is mapping_cap_writeback_dirty().
func (m *AddressSpace) mappingCapWriteback() bool {
	return m.BDI.Capabilities&BDI_CAP_NO_WRITEBACK == 0
}

// MappingTagged is mapping_tagged(): any page of the mapping has tag.
func (s *System) MappingTagged(m *AddressSpace, tag uint) bool { return m.tree.Tagged(tag) }
