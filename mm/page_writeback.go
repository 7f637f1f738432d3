// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"math/bits"

	"pagesim/sim"
)

// mm/page-writeback.c: dirtying pages, the writeback flags and their
// counters, write_cache_pages, and the dirty limits.

// pageIndex is page_index(): a swap-cache page is indexed by its
// swp_entry_t value, which page->private holds (swap hook).
func (s *System) pageIndex(pfn uint64) uint64 {
	p := &s.pages[pfn]
	if p.PageSwapCache() {
		return p.private
	}
	return p.index
}

// accountPageDirtied is account_page_dirtied().
func (s *System) accountPageDirtied(pfn uint64, m *AddressSpace) {
	s.Cover("account_page_dirtied")
	if s.tracer != nil {
		s.emit("writeback_dirty_page", "bdi %s: ino=%d index=%d", m.BDI.Name, hostIno(m), s.pages[pfn].index)
	}
	if m.mappingCapAccountDirty() {
		z := s.pfnZone(pfn)
		z.__incZoneState(NR_FILE_DIRTY)
		z.__incZoneState(NR_DIRTIED)
		s.__incBdiStat(m.BDI, BDI_RECLAIMABLE)
		s.__incBdiStat(m.BDI, BDI_DIRTIED)
		s.current().NrDirtied++
		s.bdpRatelimits[s.smpProcessorID()]++
	}
}

func hostIno(m *AddressSpace) uint64 {
	if m.Host == nil {
		return 0
	}
	return m.Host.Ino()
}

// SetPageDirtyNobuffers is __set_page_dirty_nobuffers(): PG_dirty, the
// dirty accounting, the DIRTY tag, and the inode onto the dirty list.
func (s *System) SetPageDirtyNobuffers(pfn uint64) bool {
	s.Cover("__set_page_dirty_nobuffers")
	p := &s.pages[pfn]
	if p.testSetFlag(PG_dirty) {
		return false
	}
	m := s.pageMapping(pfn)
	if m == nil {
		return true
	}
	s.warnOnOnce(p.flags&(1<<PG_private) == 0 && !p.testFlag(PG_uptodate), "mm/page-writeback.c", 2167)
	s.accountPageDirtied(pfn, m)
	m.tree.TagSet(s.pageIndex(pfn), PAGECACHE_TAG_DIRTY)
	if m.Host != nil {
		m.Host.MarkInodeDirty(I_DIRTY_PAGES)
	}
	return true
}

// SetPageDirty is set_page_dirty(): through the mapping's ->set_page_dirty
// (or __set_page_dirty_buffers, the block default, which the filesystem
// package supplies through SetPageDirtyOp), clearing PG_reclaim first; a
// page without a mapping just gets PG_dirty.
func (s *System) SetPageDirty(pfn uint64) bool {
	s.CoverPage("set_page_dirty", pfn)
	p := &s.pages[pfn]
	if m := s.pageMapping(pfn); m != nil {
		p.clearFlag(PG_reclaim)
		if op, ok := m.Ops.(SetPageDirtyOp); ok {
			return op.SetPageDirty(s, pfn)
		}
		return s.SetPageDirtyNobuffers(pfn)
	}
	if !p.PageDirty() {
		return !p.testSetFlag(PG_dirty)
	}
	return false
}

// setPageDirty is SetPageDirty for the callers in this package.
func (s *System) setPageDirty(pfn uint64) bool { return s.SetPageDirty(pfn) }

// accountPageRedirty is account_page_redirty(): a page dirtied again
// without having been written does not count as newly dirtied, neither
// for the counters nor for the task's nr_dirtied.
func (s *System) accountPageRedirty(pfn uint64) {
	if m := s.pageMapping(pfn); m != nil && m.mappingCapAccountDirty() {
		s.current().NrDirtied--
		s.pfnZone(pfn).modZonePageState(NR_DIRTIED, -1)
		s.decBdiStat(m.BDI, BDI_DIRTIED)
	}
}

// RedirtyPageForWritepage is redirty_page_for_writepage(): ->writepage
// declined; count the skip and make the page dirty again.
func (s *System) RedirtyPageForWritepage(wbc *WritebackControl, pfn uint64) bool {
	wbc.PagesSkipped++
	s.accountPageRedirty(pfn)
	return s.SetPageDirtyNobuffers(pfn)
}

// ClearPageDirtyForIO is clear_page_dirty_for_io(): before writing a
// locked page, write-protect its shared mappings (page_mkclean), carrying a
// dirty PTE's dirtiness over to the page, and move its dirtiness from
// PG_dirty to the write about to happen.
func (s *System) ClearPageDirtyForIO(pfn uint64) bool {
	s.CoverPage("clear_page_dirty_for_io", pfn)
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/page-writeback.c", 2295)
	}
	m := s.pageMapping(pfn)
	if m != nil && m.mappingCapAccountDirty() {
		if s.pageMkclean(pfn) {
			s.SetPageDirty(pfn)
		}
		if p.testClearFlag(PG_dirty) {
			s.pfnZone(pfn).modZonePageState(NR_FILE_DIRTY, -1)
			s.decBdiStat(m.BDI, BDI_RECLAIMABLE)
			return true
		}
		return false
	}
	return p.testClearFlag(PG_dirty)
}

// SetPageWriteback is set_page_writeback() (__test_set_page_writeback
// with keep_write false).
func (s *System) SetPageWriteback(pfn uint64) bool { return s.__testSetPageWriteback(pfn, false) }

// SetPageWritebackKeepwrite is set_page_writeback_keepwrite().
func (s *System) SetPageWritebackKeepwrite(pfn uint64) bool {
	return s.__testSetPageWriteback(pfn, true)
}

// __testSetPageWriteback is __test_set_page_writeback(): PG_writeback, the
// WRITEBACK tag, the tags of a page no longer dirty cleared, NR_WRITEBACK.
// Returns whether the page already was under writeback.
func (s *System) __testSetPageWriteback(pfn uint64, keepWrite bool) bool {
	s.Cover("__test_set_page_writeback")
	p := &s.pages[pfn]
	var ret bool
	if m := s.pageMapping(pfn); m != nil {
		idx := s.pageIndex(pfn)
		ret = p.testSetFlag(PG_writeback)
		if !ret {
			m.tree.TagSet(idx, PAGECACHE_TAG_WRITEBACK)
			if m.BDI.bdiCapAccountWriteback() {
				s.__incBdiStat(m.BDI, BDI_WRITEBACK)
			}
		}
		if !p.PageDirty() {
			m.tree.TagClear(idx, PAGECACHE_TAG_DIRTY)
		}
		if !keepWrite {
			m.tree.TagClear(idx, PAGECACHE_TAG_TOWRITE)
		}
	} else {
		ret = p.testSetFlag(PG_writeback)
	}
	if !ret {
		s.pfnZone(pfn).modZonePageState(NR_WRITEBACK, 1)
	}
	return ret
}

// testClearPageWriteback is test_clear_page_writeback().
func (s *System) testClearPageWriteback(pfn uint64) bool {
	s.Cover("test_clear_page_writeback")
	p := &s.pages[pfn]
	var ret bool
	if m := s.pageMapping(pfn); m != nil {
		ret = p.testClearFlag(PG_writeback)
		if ret {
			m.tree.TagClear(s.pageIndex(pfn), PAGECACHE_TAG_WRITEBACK)
			if m.BDI.bdiCapAccountWriteback() {
				s.__decBdiStat(m.BDI, BDI_WRITEBACK)
				s.__bdiWriteoutInc(m.BDI)
			}
		}
	} else {
		ret = p.testClearFlag(PG_writeback)
	}
	if ret {
		z := s.pfnZone(pfn)
		z.modZonePageState(NR_WRITEBACK, -1)
		z.__incZoneState(NR_WRITTEN)
	}
	return ret
}

// tagPagesForWriteback is tag_pages_for_writeback(): DIRTY pages in the
// range get TOWRITE, so a sync writes what was dirty when it started.
func (s *System) tagPagesForWriteback(m *AddressSpace, start, end uint64) {
	s.Cover("tag_pages_for_writeback")
	for start <= end {
		tagged, next := m.tree.RangeTagIfTagged(start, end, 4096, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE)
		if tagged < 4096 || next == 0 || next > end {
			break
		}
		start = next
		s.condResched()
	}
}

// writepageFn is the per-page callback of write_cache_pages.
type writepageFn func(pfn uint64, wbc *WritebackControl) int

// WriteCachePages is write_cache_pages(): walk the DIRTY (or, for data
// integrity, TOWRITE) tagged pages of the range in index order, a pagevec
// at a time; lock each, skip it if truncated, clean or (for WB_SYNC_NONE)
// under writeback, else clear its dirtiness for I/O and call writepage.
func (s *System) WriteCachePages(m *AddressSpace, wbc *WritebackControl, writepage writepageFn) int {
	s.Cover("write_cache_pages")
	ret := 0
	done := false
	var index, end, writebackIndex uint64
	cycled := true
	rangeWhole := false
	if wbc.RangeCyclic {
		writebackIndex = m.writebackIndex
		index = writebackIndex
		cycled = index == 0
		end = ^uint64(0)
	} else {
		index = uint64(wbc.RangeStart) >> PAGE_SHIFT
		end = uint64(wbc.RangeEnd) >> PAGE_SHIFT
		rangeWhole = wbc.RangeStart == 0 && wbc.RangeEnd == LLONG_MAX
	}
	tag := uint(PAGECACHE_TAG_DIRTY)
	if wbc.SyncMode == WB_SYNC_ALL || wbc.TaggedWritepages {
		tag = PAGECACHE_TAG_TOWRITE
	}
	var items []RadixItem
	var pvec []uint64
retry:
	if wbc.SyncMode == WB_SYNC_ALL || wbc.TaggedWritepages {
		s.tagPagesForWriteback(m, index, end)
	}
	doneIndex := index
	for !done && index <= end {
		// pagevec_lookup_tag takes a reference on each page.
		items = m.tree.GangLookupTag(items[:0], index, min(int(min(end-index, PAGEVEC_SIZE-1))+1, PAGEVEC_SIZE), tag)
		if len(items) == 0 {
			break
		}
		pvec = pvec[:0]
		for _, it := range items {
			pfn := RadixEntryToPFN(it.Entry)
			s.GetPage(pfn)
			pvec = append(pvec, pfn)
		}
		index = items[len(items)-1].Index + 1
		for _, pfn := range pvec {
			p := &s.pages[pfn]
			if p.index > end {
				done = true
				break
			}
			doneIndex = p.index
			s.lockPage(pfn)
			if p.mapping != m.handle() || !p.PageDirty() {
				s.unlockPage(pfn)
				continue
			}
			if p.PageWriteback() {
				if wbc.SyncMode != WB_SYNC_NONE {
					s.WaitOnPageWriteback(pfn)
				} else {
					s.unlockPage(pfn)
					continue
				}
			}
			if p.PageWriteback() {
				s.bug("mm/page-writeback.c", 1941)
			}
			if !s.ClearPageDirtyForIO(pfn) {
				s.unlockPage(pfn)
				continue
			}
			r := writepage(pfn, wbc)
			if r != 0 {
				if r == AOP_WRITEPAGE_ACTIVATE {
					s.unlockPage(pfn)
					r = 0
				} else {
					ret = r
					doneIndex = p.index + 1
					done = true
					break
				}
			}
			wbc.NrToWrite--
			if wbc.NrToWrite <= 0 && wbc.SyncMode == WB_SYNC_NONE {
				done = true
				break
			}
		}
		s.releasePages(pvec, false) // pagevec_release
		s.condResched()
	}
	if !cycled && !done {
		cycled = true
		index = 0
		end = writebackIndex - 1
		goto retry
	}
	if wbc.RangeCyclic || (rangeWhole && wbc.NrToWrite > 0) {
		m.writebackIndex = doneIndex
	}
	return ret
}

// GenericWritepages is generic_writepages(): under a block plug,
// write_cache_pages calling ->writepage for each page (__writepage),
// which must unlock it.
func (s *System) GenericWritepages(m *AddressSpace, wbc *WritebackControl) int {
	var plug BlkPlug
	s.BlkStartPlug(&plug)
	defer s.BlkFinishPlug(&plug)
	return s.WriteCachePages(m, wbc, func(pfn uint64, wbc *WritebackControl) int {
		r := m.Ops.Writepage(s, pfn, wbc)
		m.mappingSetError(r)
		return r
	})
}

// DoWritepages is do_writepages(): ->writepages if the filesystem has one.
func (s *System) DoWritepages(m *AddressSpace, wbc *WritebackControl) int {
	if wbc.NrToWrite <= 0 {
		return 0
	}
	if op, ok := m.Ops.(WritepagesOp); ok {
		return op.Writepages(s, m, wbc)
	}
	return s.GenericWritepages(m, wbc)
}

// FilemapFdatawriteRange is __filemap_fdatawrite_range().
func (s *System) FilemapFdatawriteRange(m *AddressSpace, start, end int64, syncMode int) int {
	if !m.mappingCapWriteback() {
		return 0
	}
	wbc := &WritebackControl{SyncMode: syncMode, NrToWrite: LLONG_MAX, RangeStart: start, RangeEnd: end}
	return s.DoWritepages(m, wbc)
}

// FilemapFdatawaitRange is filemap_fdatawait_range(): wait for every page
// under writeback in the range, then report any error the mapping saw.
func (s *System) FilemapFdatawaitRange(m *AddressSpace, start, end int64) error {
	s.Cover("filemap_fdatawait_range")
	if end < start {
		return nil
	}
	index, last := uint64(start)>>PAGE_SHIFT, uint64(end)>>PAGE_SHIFT
	var items []RadixItem
	for index <= last {
		items = m.tree.GangLookupTag(items[:0], index, int(min(last-index, PAGEVEC_SIZE-1))+1, PAGECACHE_TAG_WRITEBACK)
		if len(items) == 0 {
			break
		}
		var pvec []uint64
		for _, it := range items {
			pfn := RadixEntryToPFN(it.Entry)
			s.GetPage(pfn)
			pvec = append(pvec, pfn)
		}
		index = items[len(items)-1].Index + 1
		for _, pfn := range pvec {
			if s.pages[pfn].index > last {
				continue
			}
			s.WaitOnPageWriteback(pfn)
		}
		s.releasePages(pvec, false)
		s.condResched()
	}
	var err error
	if m.Flags&AS_ENOSPC != 0 {
		err = errorString("ENOSPC")
	}
	if m.Flags&AS_EIO != 0 {
		err = errorString("EIO")
	}
	m.Flags &^= AS_EIO | AS_ENOSPC
	return err
}

// FilemapWriteAndWaitRange is filemap_write_and_wait_range(), what fsync
// starts with: write the range with WB_SYNC_ALL and wait for it.
func (s *System) FilemapWriteAndWaitRange(m *AddressSpace, start, end int64) error {
	if m.nrpages == 0 {
		return nil
	}
	if r := s.FilemapFdatawriteRange(m, start, end, WB_SYNC_ALL); r != 0 && r != -5 {
		return errorString("EIO")
	}
	return s.FilemapFdatawaitRange(m, start, end)
}

// Dirty-limit sysctls (vm.dirty_ratio and friends), with v3.16's defaults.
type DirtySysctls struct {
	DirtyBackgroundRatio    int // percent, default 10
	DirtyBackgroundBytes    uint64
	DirtyRatio              int // percent, default 20
	DirtyBytes              uint64
	DirtyWritebackCentisecs int // 500
	DirtyExpireCentisecs    int // 3000
	LaptopMode              int
}

// DefaultDirtySysctls are v3.16's defaults.
var DefaultDirtySysctls = DirtySysctls{DirtyBackgroundRatio: 10, DirtyRatio: 20, DirtyWritebackCentisecs: 500, DirtyExpireCentisecs: 3000}

// Dirty returns the dirty sysctls for writing.
func (s *System) Dirty() *DirtySysctls { return &s.dirty }

// globalDirtyableMemory is global_dirtyable_memory(): free pages above
// the reserves plus the file LRU (no highmem).
func (s *System) globalDirtyableMemory() uint64 {
	x := uint64(s.GlobalPageState(NR_FREE_PAGES))
	x -= min(x, s.dirtyBalanceReserve)
	x += uint64(s.GlobalPageState(NR_INACTIVE_FILE) + s.GlobalPageState(NR_ACTIVE_FILE))
	return x + 1 // ensure non-zero
}

// GlobalDirtyLimits is global_dirty_limits(): the background and hard
// thresholds in pages, raised by a quarter for PF_LESS_THROTTLE tasks.
//
// Model: no task is a realtime task, which would get the same quarter.
func (s *System) GlobalDirtyLimits() (background, dirty uint64) {
	s.Cover("global_dirty_limits")
	available := s.globalDirtyableMemory()
	if s.dirty.DirtyBytes != 0 {
		dirty = (s.dirty.DirtyBytes + PAGE_SIZE - 1) / PAGE_SIZE
	} else {
		dirty = uint64(s.dirty.DirtyRatio) * available / 100
	}
	if s.dirty.DirtyBackgroundBytes != 0 {
		background = (s.dirty.DirtyBackgroundBytes + PAGE_SIZE - 1) / PAGE_SIZE
	} else {
		background = uint64(s.dirty.DirtyBackgroundRatio) * available / 100
	}
	if background >= dirty {
		background = dirty / 2
	}
	if s.current().Flags&sim.PF_LESS_THROTTLE != 0 {
		background += background / 4
		dirty += dirty / 4
	}
	if s.tracer != nil {
		s.traceGlobalDirtyState(background, dirty)
	}
	return background, dirty
}

// zoneDirtyableMemory is zone_dirtyable_memory().
func (z *Zone) zoneDirtyableMemory() uint64 {
	n := uint64(z.zonePageState(NR_FREE_PAGES))
	n -= min(n, z.dirtyBalanceReserve)
	n += uint64(z.zonePageState(NR_INACTIVE_FILE) + z.zonePageState(NR_ACTIVE_FILE))
	return n
}

// zoneDirtyLimit is zone_dirty_limit().
func (z *Zone) zoneDirtyLimit() uint64 {
	z.sys.Cover("zone_dirty_limit")
	s := z.sys
	dirtyable := z.zoneDirtyableMemory()
	var dirty uint64
	if s.dirty.DirtyBytes != 0 {
		dirty = (s.dirty.DirtyBytes + PAGE_SIZE - 1) / PAGE_SIZE * dirtyable / s.globalDirtyableMemory()
	} else {
		dirty = uint64(s.dirty.DirtyRatio) * dirtyable / 100
	}
	if s.current().Flags&sim.PF_LESS_THROTTLE != 0 {
		dirty += dirty / 4
	}
	return dirty
}

// zoneDirtyOk is zone_dirty_ok(): the zone holds no more than its share of
// dirty and writeback pages.
func (z *Zone) zoneDirtyOk() bool {
	limit := z.zoneDirtyLimit()
	return uint64(z.zonePageState(NR_FILE_DIRTY)+z.zonePageState(NR_UNSTABLE_NFS)+z.zonePageState(NR_WRITEBACK)) <= limit
}

// Dirty throttling constants of mm/page-writeback.c and
// mm/backing-dev.c, in jiffies and pages.
const (
	// MAX_PAUSE: sleep at most 200 ms at a time in balance_dirty_pages.
	MAX_PAUSE = HZ / 5
	// DIRTY_POLL_THRESH: keep a task's balance_dirty_pages calls at
	// least this many pages (128 KiB) apart where possible.
	DIRTY_POLL_THRESH = 128 >> (PAGE_SHIFT - 10)
	// BANDWIDTH_INTERVAL: estimate the write bandwidth every 200 ms.
	BANDWIDTH_INTERVAL   = HZ / 5
	RATELIMIT_CALC_SHIFT = 10
	// VM_COMPLETIONS_PERIOD_LEN: the writeout fractions halve every 3 s.
	VM_COMPLETIONS_PERIOD_LEN = 3 * HZ
	// INIT_BW is a new bdi's bandwidth: 100 MB/s, in pages per second.
	INIT_BW = 100 << (20 - PAGE_SHIFT)
)

// ilog2 is ilog2() of a run-time value: fls64(n)-1, -1 for 0.
func ilog2(n uint64) int64 { return int64(bits.Len64(n)) - 1 }

// pageWritebackInit is page_writeback_init(): ratelimit_pages from the
// dirty limit, and the writeout proportions. The per-CPU counters are
// allocated here.
func (s *System) pageWritebackInit() {
	s.bdpRatelimits = make([]int, s.NrCPUs())
	s.statBatch = 8 * (1 + ilog2(uint64(s.NrCPUs())))
	s.dirtyThrottleLeaks = make([]int, s.NrCPUs())
	s.WritebackSetRatelimit()
	s.writeoutCompletions.fpropGlobalInit(s.NrCPUs())
}

// WritebackSetRatelimit is writeback_set_ratelimit(), which the
// vm.dirty_ratio and vm.dirty_bytes handlers call when the value changes:
// global_dirty_limit restarts at the new threshold, and each CPU looks at
// the limits every 1/32 of a CPU's share of it (16 pages at least).
func (s *System) WritebackSetRatelimit() {
	_, dirty := s.GlobalDirtyLimits()
	s.globalDirtyLimit = dirty
	s.ratelimitPages = int(dirty / uint64(s.NrCPUs()*32))
	if s.ratelimitPages < 16 {
		s.ratelimitPages = 16
	}
}

// bdiInit is the dirty-throttling part of bdi_init() (mm/backing-dev.c):
// 100 MB/s until measured, no min_ratio, max_ratio 100%.
func (s *System) bdiInit(b *BackingDevInfo) {
	b.minRatio = 0
	b.maxRatio = 100
	b.maxPropFrac = FPROP_FRAC_BASE
	b.bwTimeStamp = s.jiffies()
	b.dirtiedStamp, b.writtenStamp = 0, 0
	b.balancedDirtyRatelimit = INIT_BW
	b.dirtyRatelimit = INIT_BW
	b.writeBandwidth = INIT_BW
	b.avgWriteBandwidth = INIT_BW
	b.completions = fpropLocal{}
}

// bdiStatError is bdi_stat_error() (CONFIG_SMP): how far bdi_stat may
// be off, nr_cpu_ids * BDI_STAT_BATCH. bdi_dirty_limits and
// balance_dirty_pages compare against it.
func (s *System) bdiStatError() uint64 {
	return uint64(s.NrCPUs()) * uint64(s.bdiStatBatch())
}

// wpNextTime is wp_next_time(): a period later, never 0.
func wpNextTime(cur int64) int64 {
	cur += VM_COMPLETIONS_PERIOD_LEN
	if cur == 0 {
		return 1
	}
	return cur
}

// __bdiWriteoutInc is __bdi_writeout_inc(), from test_clear_page_writeback
// for a bdi that accounts writeback: BDI_WRITTEN, and the bdi's share of
// writeout completions (up to max_ratio); the first completion after the
// aging stopped starts the period timer.
func (s *System) __bdiWriteoutInc(b *BackingDevInfo) {
	s.__incBdiStat(b, BDI_WRITTEN)
	b.completions.__fpropIncPercpuMax(&s.writeoutCompletions, s.smpProcessorID(), b.maxPropFrac)
	if s.writeoutPeriodTime == 0 {
		s.writeoutPeriodTime = wpNextTime(s.jiffies())
		s.modWriteoutPeriodTimer()
	}
}

// modWriteoutPeriodTimer is mod_timer(&writeout_period_timer,
// writeout_period_time).
//
// Model: the timer is deferrable in v3.16 (it may fire late on an idle
// CPU; writeout_period then counts the periods it missed); here it fires
// on time. Without a scheduler (mm driven directly) it never fires.
func (s *System) modWriteoutPeriodTimer() {
	if s.sched == nil {
		return
	}
	when := s.writeoutPeriodTime
	s.sched.At(when*1e9/HZ, func() {
		if s.writeoutPeriodTime == when {
			s.writeoutPeriod()
		}
	})
}

// writeoutPeriod is writeout_period(), the timer: start a new period
// (counting any missed), or stop once aging has zeroed every fraction.
func (s *System) writeoutPeriod() {
	miss := (s.jiffies() - s.writeoutPeriodTime) / VM_COMPLETIONS_PERIOD_LEN
	if s.writeoutCompletions.fpropNewPeriod(s.smpProcessorID(), int(miss+1)) {
		s.writeoutPeriodTime = wpNextTime(s.writeoutPeriodTime + miss*VM_COMPLETIONS_PERIOD_LEN)
		s.modWriteoutPeriodTimer()
	} else {
		s.writeoutPeriodTime = 0
	}
}

// bdiWriteoutFraction is bdi_writeout_fraction().
func (s *System) bdiWriteoutFraction(b *BackingDevInfo) (num, den int64) {
	return b.completions.fpropFractionPercpu(&s.writeoutCompletions, s.smpProcessorID())
}

// BdiSetMinRatio is bdi_set_min_ratio() (/sys/class/bdi/*/min_ratio): the
// bdis' min_ratios together stay below 100%.
func (s *System) BdiSetMinRatio(b *BackingDevInfo, minRatio uint64) error {
	if minRatio > b.maxRatio {
		return errorString("EINVAL")
	}
	d := minRatio - b.minRatio // unsigned, as the kernel's: wraps when lowering
	if s.bdiMinRatio+d < 100 {
		s.bdiMinRatio += d
		b.minRatio += d
		return nil
	}
	return errorString("EINVAL")
}

// BdiSetMaxRatio is bdi_set_max_ratio() (/sys/class/bdi/*/max_ratio).
func (s *System) BdiSetMaxRatio(b *BackingDevInfo, maxRatio uint64) error {
	if maxRatio > 100 || b.minRatio > maxRatio {
		return errorString("EINVAL")
	}
	b.maxRatio = maxRatio
	b.maxPropFrac = int64(FPROP_FRAC_BASE * maxRatio / 100)
	return nil
}

// dirtyFreerunCeiling is dirty_freerun_ceiling(): below the midpoint of
// the two thresholds tasks dirty freely.
func dirtyFreerunCeiling(thresh, bgThresh uint64) uint64 { return (thresh + bgThresh) / 2 }

// hardDirtyLimit is hard_dirty_limit().
func (s *System) hardDirtyLimit(thresh uint64) uint64 { return max(thresh, s.globalDirtyLimit) }

// BdiDirtyLimit is bdi_dirty_limit(): the bdi's share of the dirty
// threshold dirty, from its share of recent writeout completions, within
// its min_ratio and max_ratio.
func (s *System) BdiDirtyLimit(b *BackingDevInfo, dirty uint64) uint64 {
	num, den := s.bdiWriteoutFraction(b)
	bdiDirty := dirty * (100 - s.bdiMinRatio) / 100
	bdiDirty *= uint64(num)
	bdiDirty /= uint64(den)
	bdiDirty += dirty * b.minRatio / 100
	if bdiDirty > dirty*b.maxRatio/100 {
		bdiDirty = dirty * b.maxRatio / 100
	}
	return bdiDirty
}

// posRatioPolynom is pos_ratio_polynom(): 1 + ((setpoint-dirty) /
// (limit-setpoint))^3 in RATELIMIT_CALC_SHIFT fixed point, within [0, 2].
func posRatioPolynom(setpoint, dirty, limit uint64) int64 {
	x := ((int64(setpoint) - int64(dirty)) << RATELIMIT_CALC_SHIFT) / int64(limit-setpoint+1)
	posRatio := x
	posRatio = posRatio * x >> RATELIMIT_CALC_SHIFT
	posRatio = posRatio * x >> RATELIMIT_CALC_SHIFT
	posRatio += 1 << RATELIMIT_CALC_SHIFT
	return min(max(posRatio, 0), 2<<RATELIMIT_CALC_SHIFT)
}

// bdiPositionRatio is bdi_position_ratio(): how much faster or slower than
// the bdi's dirty_ratelimit a task may dirty, given where global dirty
// pages stand against the global setpoint and where the bdi's stand
// against its share of it (never below 1/4 for the bdi part, and scaled up
// while the bdi holds less than half its threshold).
//
// Model: BDI_CAP_STRICTLIMIT (FUSE only) is not modeled; no bdi has it.
func (s *System) bdiPositionRatio(b *BackingDevInfo, thresh, bgThresh, dirty, bdiThresh, bdiDirty uint64) uint64 {
	writeBw := b.avgWriteBandwidth
	freerun := dirtyFreerunCeiling(thresh, bgThresh)
	limit := s.hardDirtyLimit(thresh)
	if dirty >= limit {
		return 0
	}
	setpoint := (freerun + limit) / 2
	posRatio := uint64(posRatioPolynom(setpoint, dirty, limit))

	if bdiThresh > thresh {
		bdiThresh = thresh
	}
	bdiThresh = max(bdiThresh, (limit-dirty)/8)
	x := (bdiThresh << 16) / (thresh + 1)
	bdiSetpoint := setpoint * x >> 16
	span := (thresh - bdiThresh + 8*writeBw) * x >> 16
	xIntercept := bdiSetpoint + span
	if bdiDirty < xIntercept-span/4 {
		posRatio = posRatio * (xIntercept - bdiDirty) / (xIntercept - bdiSetpoint + 1)
	} else {
		posRatio /= 4
	}

	xIntercept = bdiThresh / 2
	if bdiDirty < xIntercept {
		if bdiDirty > xIntercept/8 {
			posRatio = posRatio * xIntercept / bdiDirty
		} else {
			posRatio *= 8
		}
	}
	return posRatio
}

// bdiUpdateWriteBandwidth is bdi_update_write_bandwidth(): the pages
// written since the last estimate, averaged over a 3 s (4096-jiffy)
// window, and a smoother average that only follows a steady change.
func (s *System) bdiUpdateWriteBandwidth(b *BackingDevInfo, elapsed uint64, written int64) {
	const period = 4096 // roundup_pow_of_two(3 * HZ)
	avg := b.avgWriteBandwidth
	old := b.writeBandwidth
	bw := uint64(written-b.writtenStamp) * HZ
	if elapsed > period {
		bw /= elapsed
		avg = bw
	} else {
		bw += b.writeBandwidth * (period - elapsed)
		bw >>= 12 // ilog2(period)
		if avg > old && old >= bw {
			avg -= (avg - old) >> 3
		}
		if avg < old && old <= bw {
			avg += (old - avg) >> 3
		}
	}
	b.writeBandwidth = bw
	b.avgWriteBandwidth = avg
}

// updateDirtyLimit is update_dirty_limit(): global_dirty_limit follows a
// rising threshold at once and a falling one slowly (1/32 of the gap per
// update), not below the dirty pages there are.
func (s *System) updateDirtyLimit(thresh, dirty uint64) {
	limit := s.globalDirtyLimit
	if limit < thresh {
		s.globalDirtyLimit = thresh
		return
	}
	thresh = max(thresh, dirty)
	if limit > thresh {
		s.globalDirtyLimit = limit - (limit-thresh)>>5
	}
}

// globalUpdateBandwidth is global_update_bandwidth(): update the global
// dirty limit at most every BANDWIDTH_INTERVAL.
func (s *System) globalUpdateBandwidth(thresh, dirty uint64, now int64) {
	if now < s.dirtyUpdateTime+BANDWIDTH_INTERVAL {
		return
	}
	s.updateDirtyLimit(thresh, dirty)
	s.dirtyUpdateTime = now
}

// bdiUpdateDirtyRatelimit is bdi_update_dirty_ratelimit(): move the bdi's
// dirty_ratelimit towards the rate that would balance dirtying with the
// write bandwidth (balanced_dirty_ratelimit), in steps that shrink as it
// gets near, and only in the direction the dirty position also asks for.
func (s *System) bdiUpdateDirtyRatelimit(b *BackingDevInfo, thresh, bgThresh, dirty, bdiThresh, bdiDirty uint64, dirtied int64, elapsed uint64) {
	freerun := dirtyFreerunCeiling(thresh, bgThresh)
	limit := s.hardDirtyLimit(thresh)
	setpoint := (freerun + limit) / 2
	writeBw := b.avgWriteBandwidth
	dirtyRatelimit := b.dirtyRatelimit

	dirtyRate := uint64(dirtied-b.dirtiedStamp) * HZ / elapsed
	posRatio := s.bdiPositionRatio(b, thresh, bgThresh, dirty, bdiThresh, bdiDirty)
	taskRatelimit := dirtyRatelimit * posRatio >> RATELIMIT_CALC_SHIFT
	taskRatelimit++
	balanced := taskRatelimit * writeBw / (dirtyRate | 1)
	if balanced > writeBw {
		balanced = writeBw
	}

	var step uint64
	if dirty < setpoint {
		x := min(b.balancedDirtyRatelimit, balanced, taskRatelimit)
		if dirtyRatelimit < x {
			step = x - dirtyRatelimit
		}
	} else {
		x := max(b.balancedDirtyRatelimit, balanced, taskRatelimit)
		if dirtyRatelimit > x {
			step = dirtyRatelimit - x
		}
	}
	// An unsigned long shifted by a variable count: x86's shr uses the
	// count modulo 64.
	step >>= (dirtyRatelimit / (2*step + 1)) & 63
	step = (step + 7) / 8
	if dirtyRatelimit < balanced {
		dirtyRatelimit += step
	} else {
		dirtyRatelimit -= step
	}
	b.dirtyRatelimit = max(dirtyRatelimit, 1)
	b.balancedDirtyRatelimit = balanced
	if s.tracer != nil {
		s.traceBdiDirtyRatelimit(b, dirtyRate, taskRatelimit)
	}
}

// __bdiUpdateBandwidth is __bdi_update_bandwidth(): at most every
// BANDWIDTH_INTERVAL, update the global limit and the bdi's ratelimit (when
// called from balance_dirty_pages, thresh != 0) and its write bandwidth;
// after a long idle gap only take new stamps.
func (s *System) __bdiUpdateBandwidth(b *BackingDevInfo, thresh, bgThresh, dirty, bdiThresh, bdiDirty uint64, startTime int64) {
	now := s.jiffies()
	elapsed := now - b.bwTimeStamp
	if elapsed < BANDWIDTH_INTERVAL {
		return
	}
	dirtied := b.bdiStatRead(BDI_DIRTIED)
	written := b.bdiStatRead(BDI_WRITTEN)
	if !(elapsed > HZ && b.bwTimeStamp < startTime) {
		if thresh != 0 {
			s.globalUpdateBandwidth(thresh, dirty, now)
			s.bdiUpdateDirtyRatelimit(b, thresh, bgThresh, dirty, bdiThresh, bdiDirty, dirtied, uint64(elapsed))
		}
		s.bdiUpdateWriteBandwidth(b, uint64(elapsed), written)
	}
	b.dirtiedStamp = dirtied
	b.writtenStamp = written
	b.bwTimeStamp = now
}

// WbUpdateBandwidth is fs/fs-writeback.c's wb_update_bandwidth(): the
// flusher's bandwidth update after writing, __bdi_update_bandwidth with
// no thresholds.
func (s *System) WbUpdateBandwidth(b *BackingDevInfo, startTime int64) {
	s.__bdiUpdateBandwidth(b, 0, 0, 0, 0, 0, startTime)
}

// Jiffies is the jiffies counter (HZ=1000) of the virtual clock.
func (s *System) Jiffies() int64 { return s.jiffies() }

// bdiUpdateBandwidth is bdi_update_bandwidth().
func (s *System) bdiUpdateBandwidth(b *BackingDevInfo, thresh, bgThresh, dirty, bdiThresh, bdiDirty uint64, startTime int64) {
	if s.jiffies() <= b.bwTimeStamp+BANDWIDTH_INTERVAL {
		return
	}
	s.__bdiUpdateBandwidth(b, thresh, bgThresh, dirty, bdiThresh, bdiDirty, startTime)
}

// dirtyPollInterval is dirty_poll_interval(): below the freerun ceiling a
// task next looks after about sqrt(thresh - dirty) pages, a power of two.
func dirtyPollInterval(dirty, thresh uint64) int {
	if thresh > dirty {
		return 1 << (ilog2(thresh-dirty) >> 1)
	}
	return 1
}

// bdiMaxPause is bdi_max_pause(): long enough to write what the bdi holds
// dirty at its bandwidth (pages per 128 jiffies), at most MAX_PAUSE.
func bdiMaxPause(b *BackingDevInfo, bdiDirty uint64) int64 {
	bw := b.avgWriteBandwidth
	t := bdiDirty / (1 + bw/128) // roundup_pow_of_two(1 + HZ/8)
	t++
	return int64(min(t, MAX_PAUSE))
}

// bdiMinPause is bdi_min_pause(): the shortest pause worth taking (about
// 10 ms, more when the bdi writes much faster than tasks dirty), and, as
// nrDirtiedPause, how many pages the task may dirty before the next call,
// at least DIRTY_POLL_THRESH where max_pause allows.
func bdiMinPause(b *BackingDevInfo, maxPause int64, taskRatelimit, dirtyRatelimit uint64) (minPause int64, nrDirtiedPause int) {
	hi := ilog2(b.avgWriteBandwidth)
	lo := ilog2(b.dirtyRatelimit)
	t := int64(max(1, HZ/100))
	if hi > lo {
		t += (hi - lo) * (10 * HZ) / 1024
	}
	t = min(t, 1+maxPause/2)
	pages := int64(dirtyRatelimit * uint64(t) / 1024) // roundup_pow_of_two(HZ)
	if pages < DIRTY_POLL_THRESH {
		t = maxPause
		pages = int64(dirtyRatelimit * uint64(t) / 1024)
		if pages > DIRTY_POLL_THRESH {
			pages = DIRTY_POLL_THRESH
			t = int64(HZ * DIRTY_POLL_THRESH / dirtyRatelimit)
		}
	}
	pause := int64(uint64(HZ*pages) / (taskRatelimit + 1))
	if pause > maxPause {
		t = maxPause
		pages = int64(taskRatelimit * uint64(t) / 1024)
	}
	nrDirtiedPause = int(int32(pages))
	if pages >= DIRTY_POLL_THRESH {
		return 1 + t/2, nrDirtiedPause
	}
	return t, nrDirtiedPause
}

// bdiDirtyLimits is bdi_dirty_limits(): the bdi's threshold and dirty
// pages (reclaimable and under writeback). The dirty pages are bdi_stat's
// folded counts, or, when the threshold is below twice bdi_stat_error
// (where the per-CPU lag could hide the whole share), bdi_stat_sum's exact
// ones. The bdi background threshold, which only BDI_CAP_STRICTLIMIT asks
// for, is not worked out.
func (s *System) bdiDirtyLimits(b *BackingDevInfo, dirtyThresh uint64) (bdiDirty, bdiThresh uint64) {
	bdiThresh = s.BdiDirtyLimit(b, dirtyThresh)
	if bdiThresh < 2*s.bdiStatError() {
		bdiDirty = uint64(b.BdiStatSum(BDI_RECLAIMABLE)) + uint64(b.BdiStatSum(BDI_WRITEBACK))
	} else {
		bdiDirty = uint64(b.BdiStat(BDI_RECLAIMABLE)) + uint64(b.BdiStat(BDI_WRITEBACK))
	}
	return bdiDirty, bdiThresh
}

// balanceDirtyPages is balance_dirty_pages(): a task that has dirtied
// pagesDirtied pages since its last check is paused long enough to bring
// its dirtying rate down to task_ratelimit (the bdi's dirty_ratelimit
// scaled by the dirty position), until the global dirty pages are below
// the freerun ceiling or one pause has been taken at a non-zero rate. It
// starts background writeback of the bdi once above the freerun ceiling,
// or on the way out once above the background threshold (not in laptop
// mode).
//
// Model: the pause is io_schedule_timeout in TASK_KILLABLE; a fatal
// signal ends it early, or skips it if already pending (sleepKillable:
// schedule() does not sleep then; SignalWake wakes it only for
// SIGKILL). BDI_CAP_STRICTLIMIT is not modeled (FUSE only).
func (s *System) balanceDirtyPages(m *AddressSpace, pagesDirtied uint64) {
	s.Cover("balance_dirty_pages")
	b := m.BDI
	cur := s.current()
	startTime := s.jiffies()
	var nrReclaimable, backgroundThresh uint64
	dirtyExceeded := false
	for {
		now := s.jiffies()
		nrReclaimable = uint64(s.GlobalPageState(NR_FILE_DIRTY) + s.GlobalPageState(NR_UNSTABLE_NFS))
		nrDirty := nrReclaimable + uint64(s.GlobalPageState(NR_WRITEBACK))
		var dirtyThresh uint64
		backgroundThresh, dirtyThresh = s.GlobalDirtyLimits()
		dirty, thresh, bgThresh := nrDirty, dirtyThresh, backgroundThresh

		if dirty <= dirtyFreerunCeiling(thresh, bgThresh) {
			s.Cover("balance_dirty_pages:freerun")
			cur.DirtyPausedWhen = now
			cur.NrDirtied = 0
			cur.NrDirtiedPause = dirtyPollInterval(dirty, thresh)
			break
		}
		if b.Flusher != nil && !b.Flusher.WritebackInProgress() {
			b.Flusher.StartBackgroundWriteback()
		}
		bdiDirty, bdiThresh := s.bdiDirtyLimits(b, dirtyThresh)
		dirtyExceeded = bdiDirty > bdiThresh && nrDirty > dirtyThresh
		if dirtyExceeded && !b.dirtyExceeded {
			b.dirtyExceeded = true
		}
		s.bdiUpdateBandwidth(b, dirtyThresh, backgroundThresh, nrDirty, bdiThresh, bdiDirty, startTime)

		dirtyRatelimit := b.dirtyRatelimit
		posRatio := s.bdiPositionRatio(b, dirtyThresh, backgroundThresh, nrDirty, bdiThresh, bdiDirty)
		taskRatelimit := dirtyRatelimit * posRatio >> RATELIMIT_CALC_SHIFT
		maxPause := bdiMaxPause(b, bdiDirty)
		minPause, nrDirtiedPause := bdiMinPause(b, maxPause, taskRatelimit, dirtyRatelimit)

		var period, pause int64
		if taskRatelimit == 0 {
			s.Cover("balance_dirty_pages:ratelimit0")
			period = maxPause
			pause = maxPause
		} else {
			period = int64(HZ * pagesDirtied / taskRatelimit)
			pause = period
			if cur.DirtyPausedWhen != 0 {
				pause -= now - cur.DirtyPausedWhen
			}
			if pause < minPause {
				s.Cover("balance_dirty_pages:nopause")
				if s.tracer != nil {
					s.traceBalanceDirtyPages(b, dirtyThresh, backgroundThresh, nrDirty, bdiThresh, bdiDirty,
						dirtyRatelimit, taskRatelimit, pagesDirtied, period, min(pause, 0), startTime)
				}
				if pause < -HZ {
					cur.DirtyPausedWhen = now
					cur.NrDirtied = 0
				} else if period != 0 {
					cur.DirtyPausedWhen += period
					cur.NrDirtied = 0
				} else if uint64(cur.NrDirtiedPause) <= pagesDirtied {
					cur.NrDirtiedPause += int(pagesDirtied)
				}
				break
			}
			if pause > maxPause {
				now += min(pause-maxPause, maxPause)
				pause = maxPause
			}
		}
		s.Cover("balance_dirty_pages:pause")
		if s.tracer != nil {
			s.traceBalanceDirtyPages(b, dirtyThresh, backgroundThresh, nrDirty, bdiThresh, bdiDirty,
				dirtyRatelimit, taskRatelimit, pagesDirtied, period, pause, startTime)
		}
		s.sleepKillable(pause * 1e9 / HZ) // io_schedule_timeout in TASK_KILLABLE

		cur.DirtyPausedWhen = now + pause
		cur.NrDirtied = 0
		cur.NrDirtiedPause = nrDirtiedPause

		if taskRatelimit != 0 {
			break
		}
		if bdiDirty <= s.bdiStatError() {
			break
		}
		if s.FatalSignalPending(cur) {
			break
		}
	}
	if !dirtyExceeded && b.dirtyExceeded {
		b.dirtyExceeded = false
	}
	if b.Flusher == nil || b.Flusher.WritebackInProgress() {
		return
	}
	if s.dirty.LaptopMode != 0 {
		s.Cover("balance_dirty_pages:laptop_mode")
		return
	}
	if nrReclaimable > backgroundThresh {
		b.Flusher.StartBackgroundWriteback()
	}
}

// BalanceDirtyPagesRatelimited is balance_dirty_pages_ratelimited(): call
// balance_dirty_pages once the task has dirtied its nr_dirtied_pause pages
// (8 while its bdi is over its limit), or once this CPU has dirtied
// ratelimit_pages without the task reaching it; pages dirtied by tasks
// that exited unthrottled (dirty_throttle_leaks) are charged to the next
// task that comes by.
//
// Model: outside any task (boot, tests driving mm directly) nothing can
// sleep, and nothing is throttled.
func (s *System) BalanceDirtyPagesRatelimited(m *AddressSpace) {
	s.Cover("balance_dirty_pages_ratelimited")
	if !m.mappingCapAccountDirty() {
		return
	}
	if s.sched == nil || s.sched.Current() == nil {
		return
	}
	cur := s.current()
	ratelimit := cur.NrDirtiedPause
	if m.BDI.dirtyExceeded {
		ratelimit = min(ratelimit, 32>>(PAGE_SHIFT-10))
	}
	cpu := s.smpProcessorID()
	if cur.NrDirtied >= ratelimit {
		s.bdpRatelimits[cpu] = 0
	} else if s.bdpRatelimits[cpu] >= s.ratelimitPages {
		s.bdpRatelimits[cpu] = 0
		ratelimit = 0
	}
	if p := &s.dirtyThrottleLeaks[cpu]; *p > 0 && cur.NrDirtied < ratelimit {
		n := min(*p, ratelimit-cur.NrDirtied)
		*p -= n
		cur.NrDirtied += n
	}
	if cur.NrDirtied >= ratelimit {
		s.balanceDirtyPages(m, uint64(cur.NrDirtied))
	}
}

// ExitDirtyThrottle is do_exit()'s part of dirty throttling: pages the
// task dirtied without being throttled for them go to this CPU's
// dirty_throttle_leaks.
func (s *System) ExitDirtyThrottle(t *sim.Task) {
	if t.NrDirtied != 0 && s.dirtyThrottleLeaks != nil {
		s.dirtyThrottleLeaks[t.CPU] += t.NrDirtied
	}
}

// LaptopIOCompletion is laptop_io_completion(), which blk_finish_request
// calls for each completed filesystem request in laptop mode: (re)arm the
// bdi's laptop_mode_wb_timer laptop_mode jiffies from now.
//
// Model: mod_timer is one pending callback per bdi that, firing early
// because the expiry moved, re-arms itself for the new expiry.
func (s *System) LaptopIOCompletion(b *BackingDevInfo) {
	if s.dirty.LaptopMode == 0 || s.sched == nil {
		return
	}
	armed := b.laptopTimerAt != 0
	b.laptopTimerAt = s.jiffies() + int64(s.dirty.LaptopMode)
	if !armed {
		s.armLaptopTimer(b)
	}
}

func (s *System) armLaptopTimer(b *BackingDevInfo) {
	s.sched.At(b.laptopTimerAt*1e9/HZ, func() {
		if b.laptopTimerAt == 0 {
			return // del_timer
		}
		if s.jiffies() < b.laptopTimerAt {
			s.armLaptopTimer(b) // mod_timer moved it later
			return
		}
		b.laptopTimerAt = 0
		s.laptopModeTimerFn(b)
	})
}

// laptopModeTimerFn is laptop_mode_timer_fn(): the disk has been idle for
// laptop_mode since its last request; write back everything dirty on it
// now (WB_REASON_LAPTOP_TIMER).
func (s *System) laptopModeTimerFn(b *BackingDevInfo) {
	s.Cover("laptop_mode_timer_fn")
	nrPages := s.GlobalPageState(NR_FILE_DIRTY) + s.GlobalPageState(NR_UNSTABLE_NFS)
	if b.Flusher != nil && b.Flusher.HasDirtyIO() {
		b.Flusher.StartWriteback(nrPages, true, WB_REASON_LAPTOP_TIMER)
	}
}
