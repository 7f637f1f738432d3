// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/compaction.c: memory compaction. Two scanners walk a zone towards each
// other a pageblock at a time: the migrate scanner from the start isolates
// movable LRU pages onto cc->migratepages, the free scanner from the end
// splits free buddy blocks into order-0 pages on cc->freepages, and
// migrate_pages() moves the former into the latter, so that free memory
// gathers at the zone's start and its end fills with movable pages. When
// the scanners meet the pass is over (COMPACT_COMPLETE); a direct compactor
// stops earlier once a free block of its order is there (COMPACT_PARTIAL).
// Pageblocks where nothing could be isolated get PB_migrate_skip and are
// passed over until the skip hints are flushed (kswapd going to sleep, or a
// compaction restarting after the deferral backoff maxed out); the zone
// caches where each scanner should resume.
//
// Model, for the whole file: locks are never contended and need_resched()
// is never true (the model switches tasks only at sleep points), so async
// compaction aborts only through the isolation limits, never for
// contention; there is no CMA, no memory isolation, no balloon pages and no
// transparent huge pages; arch_alloc_page and kernel_map_pages
// (map_pages) do nothing without CONFIG_DEBUG_PAGEALLOC.

// MigrateMode is enum migrate_mode (include/linux/migrate_mode.h).
type MigrateMode int

const (
	MIGRATE_ASYNC MigrateMode = iota
	MIGRATE_SYNC_LIGHT
	MIGRATE_SYNC
)

// Compaction results (include/linux/compaction.h), with v3.16's values:
// mm_compaction_end prints them as numbers.
const (
	COMPACT_SKIPPED  = iota // could not start, or reclaim is the better bet
	COMPACT_CONTINUE        // carry on with the next pageblock
	COMPACT_PARTIAL         // a suitable page is free now
	COMPACT_COMPLETE        // the scanners met: the whole zone was compacted
)

// COMPACT_MAX_DEFER_SHIFT caps the backoff at 64 attempts.
const COMPACT_MAX_DEFER_SHIFT = 6

// COMPACT_CLUSTER_MAX is how many pages compaction isolates for one
// migrate_pages() call (include/linux/swap.h).
const COMPACT_CLUSTER_MAX = SWAP_CLUSTER_MAX

const srcCompaction = "mm/compaction.c"

// deferCompaction is defer_compaction(): after a failure, skip the next
// 1 << compact_defer_shift attempts at this order or above
// (include/linux/compaction.h).
//
// Model: nothing simplified.
func (s *System) deferCompaction(z *Zone, order uint) {
	s.Cover("defer_compaction")
	z.compactConsidered = 0
	z.compactDeferShift++
	if order < z.compactOrderFailed {
		z.compactOrderFailed = order
	}
	if z.compactDeferShift > COMPACT_MAX_DEFER_SHIFT {
		z.compactDeferShift = COMPACT_MAX_DEFER_SHIFT
	}
}

// compactionDeferred is compaction_deferred(): true while the backoff runs.
//
// Model: nothing simplified.
func (s *System) compactionDeferred(z *Zone, order uint) bool {
	s.Cover("compaction_deferred")
	defer_limit := uint64(1) << z.compactDeferShift
	if order < z.compactOrderFailed {
		return false
	}
	z.compactConsidered++
	if z.compactConsidered > defer_limit {
		z.compactConsidered = defer_limit
	}
	return z.compactConsidered < defer_limit
}

// compactionDeferReset is compaction_defer_reset(): a success at order
// resets the backoff.
//
// Model: nothing simplified.
func (s *System) compactionDeferReset(z *Zone, order uint, allocSuccess bool) {
	if allocSuccess {
		z.compactConsidered = 0
		z.compactDeferShift = 0
	}
	if order >= z.compactOrderFailed {
		z.compactOrderFailed = order + 1
	}
}

// compactionRestarting is compaction_restarting()
// (include/linux/compaction.h): the backoff ran to its maximum and has just
// expired, so the next compaction starts with fresh skip hints.
//
// Model: nothing simplified.
func (s *System) compactionRestarting(z *Zone, order uint) bool {
	if order < z.compactOrderFailed {
		return false
	}
	return z.compactDeferShift == COMPACT_MAX_DEFER_SHIFT &&
		z.compactConsidered >= uint64(1)<<z.compactDeferShift
}

// compactControl is struct compact_control (mm/internal.h).
type compactControl struct {
	freepages    ListHead // isolated free pages to migrate into
	migratepages ListHead // isolated pages to migrate
	nrFreepages  uint64
	// nrMigratepages counts the pages on migratepages.
	nrMigratepages uint64
	freePFN        uint64 // where isolate_freepages resumes
	migratePFN     uint64 // where isolate_migratepages resumes
	mode           MigrateMode
	// ignoreSkipHint scans pageblocks even when PB_migrate_skip is set.
	ignoreSkipHint bool
	// finishedUpdateFree and finishedUpdateMigrate: a scanner isolated
	// something, so the zone's cached pfn for it stays where it is.
	finishedUpdateFree    bool
	finishedUpdateMigrate bool
	order                 int // -1 for /proc/sys/vm/compact_memory
	migratetype           int
	zone                  *Zone
	// contended: async compaction gave up for lock contention or
	// need_resched.
	contended bool
}

// sync is compact_zone's local of that name: any mode but MIGRATE_ASYNC.
//
// Model: v3.16's compact_control has no sync field (mode replaced it).
func (cc *compactControl) sync() bool { return cc.mode != MIGRATE_ASYNC }

// getCompactControl sets up a compact_control with its two list heads
// (INIT_LIST_HEAD on the caller's stack in the kernel).
//
// Model: list heads are entries in System.heads, so they are taken from and
// returned to a free pool instead of growing that slice on every call.
func (s *System) getCompactControl() *compactControl {
	cc := &compactControl{}
	if n := len(s.compactHeads); n >= 2 {
		cc.freepages, cc.migratepages = s.compactHeads[n-2], s.compactHeads[n-1]
		s.compactHeads = s.compactHeads[:n-2]
	} else {
		cc.freepages, cc.migratepages = s.newListHead(), s.newListHead()
	}
	return cc
}

// putCompactControl returns cc's list heads to the pool; both lists are
// empty by then (compact_zone_order's VM_BUG_ONs).
//
// Model: the end of the kernel's on-stack compact_control; see
// getCompactControl.
func (s *System) putCompactControl(cc *compactControl) {
	s.compactHeads = append(s.compactHeads, cc.freepages, cc.migratepages)
}

// initCompactLists is INIT_LIST_HEAD on both of cc's lists.
//
// Model: nothing simplified.
func (s *System) initCompactLists(cc *compactControl) {
	for _, h := range []ListHead{cc.freepages, cc.migratepages} {
		l := s.node(uint32(h))
		l.next, l.prev = uint32(h), uint32(h)
	}
}

// getPageblockSkip, setPageblockSkip and clearPageblockSkip are
// get_pageblock_skip(), set_pageblock_skip() and clear_pageblock_skip()
// (include/linux/pageblock-flags.h): the PB_migrate_skip bit of pfn's block.
//
// Model: nothing simplified.
func (z *Zone) getPageblockSkip(pfn uint64) bool {
	return z.pageblockFlags[z.pageblockIndex(pfn)]&(1<<PB_migrate_skip) != 0
}

func (z *Zone) setPageblockSkip(pfn uint64) {
	z.pageblockFlags[z.pageblockIndex(pfn)] |= 1 << PB_migrate_skip
}

func (z *Zone) clearPageblockSkip(pfn uint64) {
	z.pageblockFlags[z.pageblockIndex(pfn)] &^= 1 << PB_migrate_skip
}

// PageblockSkip is get_pageblock_skip(pfn_to_page(pfn)), for tests and
// reports.
//
// Model: nothing simplified.
func (s *System) PageblockSkip(pfn uint64) bool { return s.pfnZone(pfn).getPageblockSkip(pfn) }

// releaseFreepages is release_freepages(): free every page left on an
// isolated free list; returns how many.
//
// Model: nothing simplified.
func (s *System) releaseFreepages(freelist ListHead) uint64 {
	s.Cover("release_freepages")
	var count uint64
	for n := s.listFirst(freelist); n != uint32(freelist); {
		next := s.listNext(n)
		s.listDel(n)
		s.FreePages(uint64(n), 0)
		count++
		n = next
	}
	return count
}

// migrateAsyncSuitable is migrate_async_suitable(): MIGRATE_MOVABLE (or
// CMA) blocks are where async compaction works.
//
// Model: no CMA.
func migrateAsyncSuitable(migratetype int) bool { return migratetype == MIGRATE_MOVABLE }

// isolationSuitable is isolation_suitable(): scan pfn's pageblock unless
// its skip hint is set and cc honours hints.
//
// Model: nothing simplified.
func (s *System) isolationSuitable(cc *compactControl, pfn uint64) bool {
	if cc.ignoreSkipHint {
		return true
	}
	return !s.pfnZone(pfn).getPageblockSkip(pfn)
}

// __resetIsolationSuitable is __reset_isolation_suitable(): both scanners
// start over from the zone's ends and every pageblock loses its skip hint.
//
// Model: nothing simplified; cond_resched per pageblock is a sleep point.
func (s *System) __resetIsolationSuitable(z *Zone) {
	s.Cover("__reset_isolation_suitable")
	start, end := z.zoneStartPFN, z.zoneEndPFN()
	z.compactCachedMigratePFN[0] = start
	z.compactCachedMigratePFN[1] = start
	z.compactCachedFreePFN = end
	z.compactBlockskipFlush = false
	for pfn := start; pfn < end; pfn += pageblockNrPages {
		s.condResched()
		if !s.pfnValid(pfn) {
			continue
		}
		if s.pfnZone(pfn) != z {
			continue
		}
		z.clearPageblockSkip(pfn)
	}
}

// resetIsolationSuitable is reset_isolation_suitable(): kswapd, going to
// sleep, flushes the skip hints of every zone whose last full compaction
// (by a direct compactor) completed.
//
// Model: nothing simplified.
func (s *System) resetIsolationSuitable(nd *Node) {
	s.Cover("reset_isolation_suitable")
	for i := 0; i < MAX_NR_ZONES; i++ {
		z := &nd.zones[i]
		if !z.populatedZone() {
			continue
		}
		if z.compactBlockskipFlush {
			s.__resetIsolationSuitable(z)
		}
	}
}

// updatePageblockSkip is update_pageblock_skip(): a pageblock scanned
// whole without isolating anything gets its skip hint (if setUnsuitable),
// and the zone's cached scanner position moves past it unless this
// compaction already isolated something with that scanner.
//
// Model: nothing simplified; valid stands for a non-NULL page.
func (s *System) updatePageblockSkip(cc *compactControl, pfn uint64, valid bool, nrIsolated uint64,
	setUnsuitable, migrateScanner bool) {
	z := cc.zone
	if cc.ignoreSkipHint || !valid || nrIsolated != 0 {
		return
	}
	if setUnsuitable {
		s.pfnZone(pfn).setPageblockSkip(pfn)
	}
	if migrateScanner {
		if cc.finishedUpdateMigrate {
			return
		}
		if pfn > z.compactCachedMigratePFN[0] {
			z.compactCachedMigratePFN[0] = pfn
		}
		if cc.mode != MIGRATE_ASYNC && pfn > z.compactCachedMigratePFN[1] {
			z.compactCachedMigratePFN[1] = pfn
		}
	} else {
		if cc.finishedUpdateFree {
			return
		}
		if pfn < z.compactCachedFreePFN {
			z.compactCachedFreePFN = pfn
		}
	}
}

// needResched is need_resched().
//
// Model: the running task is never asked to reschedule: tasks switch only
// at modeled sleep points (DESIGN §5).
func (s *System) needResched() bool { return false }

// shouldReleaseLock is should_release_lock(): need_resched or the lock is
// contended.
//
// Model: a spinlock is never contended, since one task runs at a time and
// none sleeps holding one.
func (s *System) shouldReleaseLock() bool { return s.needResched() }

// compactChecklockIrqsave is compact_checklock_irqsave(): drop the lock if
// needed; async compaction then gives up (cc->contended), sync compaction
// reschedules. Returns whether the lock is held.
//
// Model: the lock is a boolean; see shouldReleaseLock.
func (s *System) compactChecklockIrqsave(locked bool, cc *compactControl) bool {
	s.Cover("compact_checklock_irqsave")
	if s.shouldReleaseLock() {
		if cc.mode == MIGRATE_ASYNC {
			cc.contended = true
			return false
		}
		s.condResched()
	}
	return true
}

// compactShouldAbort is compact_should_abort(): on need_resched async
// compaction aborts (cc->contended) and sync compaction reschedules.
//
// Model: see needResched.
func (s *System) compactShouldAbort(cc *compactControl) bool {
	s.Cover("compact_should_abort")
	if s.needResched() {
		if cc.mode == MIGRATE_ASYNC {
			cc.contended = true
			return true
		}
		s.condResched()
	}
	return false
}

// suitableMigrationTarget is suitable_migration_target(): free pages are
// taken only from MIGRATE_MOVABLE blocks that are not already one free
// block of a pageblock or more.
//
// Model: no CMA.
func (s *System) suitableMigrationTarget(pfn uint64) bool {
	p := &s.pages[pfn]
	if p.PageBuddy() && p.pageOrder() >= pageblockOrder {
		return false
	}
	return migrateAsyncSuitable(s.pfnZone(pfn).getPageblockMigratetype(pfn))
}

// isolateFreepagesBlock is isolate_freepages_block(): split every free
// buddy block in [blockPFN, endPFN) into order-0 pages and list_add each
// onto freelist (so the list runs from the block's last page to its first).
// The pageblock's suitability is rechecked at the first free page; a whole
// block scanned without isolating gets its skip hint. Counts
// compact_free_scanned and compact_isolated.
//
// Model: only the non-strict (compaction) mode; CMA's strict mode is not
// modeled. pfn_valid_within is always true (no CONFIG_HOLES_IN_ZONE).
func (s *System) isolateFreepagesBlock(cc *compactControl, blockPFN, endPFN uint64, freelist ListHead) uint64 {
	s.Cover("isolate_freepages_block")
	var nrScanned, totalIsolated uint64
	var validPFN uint64
	valid := false
	locked := false
	checkedPageblock := false
	for ; blockPFN < endPFN; blockPFN++ {
		nrScanned++
		p := &s.pages[blockPFN]
		if !valid {
			validPFN, valid = blockPFN, true
		}
		if !p.PageBuddy() {
			continue
		}
		locked = s.compactChecklockIrqsave(locked, cc)
		if !locked {
			break
		}
		if !checkedPageblock {
			checkedPageblock = true
			if !s.suitableMigrationTarget(blockPFN) {
				s.Cover("isolate_freepages_block:unsuitable")
				break
			}
		}
		if !p.PageBuddy() {
			continue
		}
		isolated := s.SplitFreePage(blockPFN)
		if isolated == 0 {
			s.Cover("isolate_freepages_block:split_fail")
		}
		totalIsolated += isolated
		for i := uint64(0); i < isolated; i++ {
			s.listAdd(uint32(blockPFN+i), freelist)
		}
		if isolated != 0 {
			blockPFN += isolated - 1
		}
	}
	if s.tracer != nil {
		s.emit("mm_compaction_isolate_freepages", "nr_scanned=%d nr_taken=%d", nrScanned, totalIsolated)
	}
	if blockPFN == endPFN {
		s.updatePageblockSkip(cc, validPFN, valid, totalIsolated, true, false)
	}
	s.countVMEvents(COMPACTFREE_SCANNED, nrScanned)
	if totalIsolated != 0 {
		s.countVMEvents(COMPACTISOLATED, totalIsolated)
	}
	return totalIsolated
}

// acctIsolated is acct_isolated(): count everything on cc->migratepages
// into NR_ISOLATED_ANON and NR_ISOLATED_FILE.
//
// Model: nothing simplified (the locked and unlocked counter updates are
// the same in the model).
func (s *System) acctIsolated(z *Zone, locked bool, cc *compactControl) {
	s.Cover("acct_isolated")
	var count [2]int64
	h := cc.migratepages
	for n := s.listFirst(h); n != uint32(h); n = s.listNext(n) {
		count[b2i(s.pages[n].pageIsFileCache())]++
	}
	if locked {
		z.__modZonePageState(NR_ISOLATED_ANON, count[0])
		z.__modZonePageState(NR_ISOLATED_FILE, count[1])
	} else {
		z.modZonePageState(NR_ISOLATED_ANON, count[0])
		z.modZonePageState(NR_ISOLATED_FILE, count[1])
	}
}

// compactionTooManyIsolated is mm/compaction.c's too_many_isolated(): more
// than half the zone's LRU pages are isolated already. (vmscan.c has its
// own, tooManyIsolated; the Go names must differ.)
//
// Model: nothing simplified.
func (z *Zone) compactionTooManyIsolated() bool {
	inactive := z.zonePageState(NR_INACTIVE_FILE) + z.zonePageState(NR_INACTIVE_ANON)
	active := z.zonePageState(NR_ACTIVE_FILE) + z.zonePageState(NR_ACTIVE_ANON)
	isolated := z.zonePageState(NR_ISOLATED_FILE) + z.zonePageState(NR_ISOLATED_ANON)
	return isolated > (inactive+active)/2
}

// isolateMigratepagesRange is isolate_migratepages_range(): isolate the
// LRU pages of [lowPFN, endPFN) that migration could move onto
// cc->migratepages, at most COMPACT_CLUSTER_MAX of them. While too many
// pages are isolated zone-wide, async compaction gives up and sync
// compaction waits in congestion_wait. Free pages, non-LRU pages and
// anonymous pages pinned by extra references are passed over, and so are
// pageblocks with a skip hint and, for async compaction, blocks that are
// not MIGRATE_MOVABLE; isolation uses ISOLATE_ASYNC_MIGRATE in async mode
// (no pages under writeback, no dirty pages whose mapping lacks
// ->migratepage) and ISOLATE_UNEVICTABLE if asked. Returns the first PFN
// not scanned, or 0 to abort.
//
// Model: lru_lock is a boolean that compact_checklock_irqsave never has to
// drop (see there); there are no balloon pages and no THP, so
// PageTransHuge is never true and balloon_page_movable never applies;
// pfn_valid_within is always true.
func (s *System) isolateMigratepagesRange(z *Zone, cc *compactControl, lowPFN, endPFN uint64, unevictable bool) uint64 {
	s.Cover("isolate_migratepages_range")
	var lastPageblockNr uint64
	var nrScanned, nrIsolated uint64
	migratelist := cc.migratepages
	locked := false
	var validPFN uint64
	valid := false
	setUnsuitable := true
	mode := 0
	if cc.mode == MIGRATE_ASYNC {
		mode |= ISOLATE_ASYNC_MIGRATE
	}
	if unevictable {
		mode |= ISOLATE_UNEVICTABLE
	}

	for z.compactionTooManyIsolated() {
		if cc.mode == MIGRATE_ASYNC {
			s.Cover("isolate_migratepages_range:too_many_isolated_async")
			return 0
		}
		s.Cover("isolate_migratepages_range:too_many_isolated_wait")
		s.congestionWait(BLK_RW_ASYNC, HZ/10)
		if s.FatalSignalPending(s.current()) {
			return 0
		}
	}
	if s.compactShouldAbort(cc) {
		return 0
	}

	for ; lowPFN < endPFN; lowPFN++ {
		if locked && lowPFN%SWAP_CLUSTER_MAX == 0 && s.shouldReleaseLock() {
			locked = false
		}
		if lowPFN&(MAX_ORDER_NR_PAGES-1) == 0 && !s.pfnValid(lowPFN) {
			lowPFN += MAX_ORDER_NR_PAGES - 1
			continue
		}
		nrScanned++
		if s.pfnZone(lowPFN) != z {
			continue
		}
		p := &s.pages[lowPFN]
		if !valid {
			validPFN, valid = lowPFN, true
		}
		if pageblockNr := lowPFN >> pageblockOrder; lastPageblockNr != pageblockNr {
			lastPageblockNr = pageblockNr
			if !s.isolationSuitable(cc, lowPFN) {
				s.Cover("isolate_migratepages_range:skip_hint")
				goto nextPageblock
			}
			if cc.mode == MIGRATE_ASYNC && !migrateAsyncSuitable(z.getPageblockMigratetype(lowPFN)) {
				s.Cover("isolate_migratepages_range:async_unmovable_block")
				setUnsuitable = false
				goto nextPageblock
			}
		}
		if p.PageBuddy() {
			continue
		}
		if !p.PageLRU() {
			continue
		}
		if s.pageMapping(lowPFN) == nil && p.count > p.mapcount {
			s.Cover("isolate_migratepages_range:pinned_anon")
			continue
		}
		locked = s.compactChecklockIrqsave(locked, cc)
		if !locked || s.FatalSignalPending(s.current()) {
			break
		}
		if !p.PageLRU() {
			continue
		}
		if s.__isolateLRUPage(lowPFN, mode) != 0 {
			s.Cover("isolate_migratepages_range:isolate_busy")
			continue
		}
		s.CoverPage("isolate_migratepages_range:isolate_success", lowPFN)
		s.vmBugOnPage(p.PageCompound(), lowPFN, "PageTransCompound(page)", srcCompaction, 654)
		s.delPageFromLRUList(lowPFN, z, p.pageLRU())

		// isolate_success:
		if s.hist != nil {
			s.hist.add(s, lowPFN, "isolated for migration by compaction, flags "+FlagNames(p.flags))
		}
		cc.finishedUpdateMigrate = true
		s.listAdd(uint32(lowPFN), migratelist)
		cc.nrMigratepages++
		nrIsolated++
		if cc.nrMigratepages == COMPACT_CLUSTER_MAX {
			lowPFN++
			break
		}
		continue
	nextPageblock:
		lowPFN = alignUp(lowPFN+1, pageblockNrPages) - 1
	}

	s.acctIsolated(z, locked, cc)
	if lowPFN == endPFN {
		s.updatePageblockSkip(cc, validPFN, valid, nrIsolated, setUnsuitable, true)
	}
	if s.tracer != nil {
		s.emit("mm_compaction_isolate_migratepages", "nr_scanned=%d nr_taken=%d", nrScanned, nrIsolated)
	}
	s.countVMEvents(COMPACTMIGRATE_SCANNED, nrScanned)
	if nrIsolated != 0 {
		s.countVMEvents(COMPACTISOLATED, nrIsolated)
	}
	return lowPFN
}

// alignUp is ALIGN(x, a) (include/linux/kernel.h) for a power of two a.
//
// Model: nothing simplified.
func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }

// isolateFreepages is isolate_freepages(): from the free scanner's
// pageblock downwards, while the migrate scanner's block is below and fewer
// pages are isolated than cc->migratepages holds, isolate the free pages of
// every suitable MIGRATE_MOVABLE block without a skip hint. If the scanner
// crosses the migrate scanner, cc->free_pfn is left at cc->migrate_pfn so
// that compact_finished sees them meet.
//
// Model: nothing simplified beyond the file's Model (map_pages is a
// no-op).
func (s *System) isolateFreepages(z *Zone, cc *compactControl) {
	s.Cover("isolate_freepages")
	nrFreepages := cc.nrFreepages
	freelist := cc.freepages
	blockStart := cc.freePFN &^ (pageblockNrPages - 1)
	blockEnd := min(blockStart+pageblockNrPages, z.zoneEndPFN())
	lowPFN := alignUp(cc.migratePFN+1, pageblockNrPages)

	for ; blockStart >= lowPFN && cc.nrMigratepages > nrFreepages; blockEnd, blockStart = blockStart, blockStart-pageblockNrPages {
		if blockStart%(SWAP_CLUSTER_MAX*pageblockNrPages) == 0 && s.compactShouldAbort(cc) {
			break
		}
		if !s.pfnValid(blockStart) {
			continue
		}
		if s.pfnZone(blockStart) != z {
			continue
		}
		if !s.suitableMigrationTarget(blockStart) {
			continue
		}
		if !s.isolationSuitable(cc, blockStart) {
			continue
		}
		cc.freePFN = blockStart
		isolated := s.isolateFreepagesBlock(cc, blockStart, blockEnd, freelist)
		nrFreepages += isolated
		if isolated != 0 {
			cc.finishedUpdateFree = true
		}
		if cc.contended {
			break
		}
	}
	if blockStart < lowPFN {
		cc.freePFN = cc.migratePFN
	}
	cc.nrFreepages = nrFreepages
}

// compactionAlloc is compaction_alloc(), migrate_pages' new_page_t: the
// page at the head of cc->freepages (isolating more first if the list is
// empty and compaction is not aborting for contention).
//
// Model: nothing simplified.
func (s *System) compactionAlloc(migratepage uint64, private any) (uint64, bool) {
	s.Cover("compaction_alloc")
	cc := private.(*compactControl)
	if s.listEmpty(cc.freepages) {
		if !cc.contended {
			s.isolateFreepages(cc.zone, cc)
		}
		if s.listEmpty(cc.freepages) {
			return 0, false
		}
	}
	freepage := s.listFirst(cc.freepages)
	s.listDel(freepage)
	cc.nrFreepages--
	return uint64(freepage), true
}

// compactionFree is compaction_free(), migrate_pages' free_page_t (new in
// v3.16-rc1, 68711a746345): a new page whose migration failed goes back to
// the head of cc->freepages, as it is, so compaction_alloc hands the very
// same page out next.
//
// Model: nothing simplified.
func (s *System) compactionFree(page uint64, private any) {
	cc := private.(*compactControl)
	s.listAdd(uint32(page), cc.freepages)
	cc.nrFreepages++
}

// isolateMigrateT is isolate_migrate_t, isolate_migratepages' outcome.
type isolateMigrateT int

const (
	ISOLATE_ABORT   isolateMigrateT = iota // abort compaction now
	ISOLATE_NONE                           // nothing isolated, scan on
	ISOLATE_SUCCESS                        // pages isolated: migrate them
)

// isolateMigratepages is isolate_migratepages(): run the migrate scanner
// over the rest of its current pageblock, unless that would cross the free
// scanner or the block starts in a memory hole.
//
// Model: nothing simplified.
func (s *System) isolateMigratepages(z *Zone, cc *compactControl) isolateMigrateT {
	s.Cover("isolate_migratepages")
	lowPFN := max(cc.migratePFN, z.zoneStartPFN)
	endPFN := alignUp(lowPFN+1, pageblockNrPages)
	if endPFN > cc.freePFN || !s.pfnValid(lowPFN) {
		cc.migratePFN = endPFN
		return ISOLATE_NONE
	}
	lowPFN = s.isolateMigratepagesRange(z, cc, lowPFN, endPFN, false)
	if lowPFN == 0 || cc.contended {
		return ISOLATE_ABORT
	}
	cc.migratePFN = lowPFN
	return ISOLATE_SUCCESS
}

// compactFinished is compact_finished(): PARTIAL on contention or a fatal
// signal; COMPLETE when the scanners have met (the zone's cached scanner
// positions go back to its ends and, unless this is kswapd, the skip hints
// are marked for flushing); for a direct compactor PARTIAL once the zone
// passes the low watermark at its order and a free block of that order or
// larger is on the free list of its migratetype (any free block if it asks
// for a pageblock or more); else CONTINUE.
//
// Model: nothing simplified.
func (s *System) compactFinished(z *Zone, cc *compactControl) int {
	s.Cover("compact_finished")
	if cc.contended || s.FatalSignalPending(s.current()) {
		return COMPACT_PARTIAL
	}
	if cc.freePFN <= cc.migratePFN {
		s.Cover("compact_finished:scanners_met")
		z.compactCachedMigratePFN[0] = z.zoneStartPFN
		z.compactCachedMigratePFN[1] = z.zoneStartPFN
		z.compactCachedFreePFN = z.zoneEndPFN()
		if !s.currentIsKswapd() {
			z.compactBlockskipFlush = true
		}
		return COMPACT_COMPLETE
	}
	if cc.order == -1 {
		return COMPACT_CONTINUE
	}
	watermark := z.lowWmarkPages() + 1<<uint(cc.order)
	if !z.zoneWatermarkOk(uint(cc.order), watermark, 0, 0) {
		return COMPACT_CONTINUE
	}
	for order := cc.order; order < MAX_ORDER; order++ {
		area := &z.freeArea[order]
		if !s.listEmpty(area.freeList[cc.migratetype]) {
			s.Cover("compact_finished:page_ready")
			return COMPACT_PARTIAL
		}
		if cc.order >= pageblockOrder && area.nrFree != 0 {
			return COMPACT_PARTIAL
		}
	}
	return COMPACT_CONTINUE
}

// compactZone is compact_zone(): unless compaction_suitable says no,
// resume both scanners where the zone's cache says (flushing the skip
// hints first if compaction is restarting after the backoff, except in
// kswapd), drain this CPU's LRU pagevecs, then until compact_finished says
// otherwise isolate a batch of pages and migrate them into isolated free
// pages. Failed pages go back to the LRU; -ENOMEM from migrate_pages before
// the scanners met ends the run as COMPACT_PARTIAL. Leftover free pages are
// released.
//
// Model: nothing simplified.
func (s *System) compactZone(z *Zone, cc *compactControl) int {
	s.Cover("compact_zone")
	start, end := z.zoneStartPFN, z.zoneEndPFN()
	sync := cc.sync()

	ret := s.compactionSuitable(z, cc.order)
	switch ret {
	case COMPACT_PARTIAL:
		s.Cover("compact_zone:not_needed")
		return ret
	case COMPACT_SKIPPED:
		s.Cover("compact_zone:skipped")
		return ret
	}
	if cc.order < 0 {
		s.Cover("compact_zone:whole_zone")
	} else if cc.mode == MIGRATE_ASYNC {
		s.Cover("compact_zone:async")
	} else {
		s.Cover("compact_zone:sync")
	}
	if cc.order >= 0 && s.compactionRestarting(z, uint(cc.order)) && !s.currentIsKswapd() {
		s.__resetIsolationSuitable(z)
	}
	cc.migratePFN = z.compactCachedMigratePFN[b2i(sync)]
	cc.freePFN = z.compactCachedFreePFN
	if cc.freePFN < start || cc.freePFN > end {
		cc.freePFN = end &^ (pageblockNrPages - 1)
		z.compactCachedFreePFN = cc.freePFN
	}
	if cc.migratePFN < start || cc.migratePFN > end {
		cc.migratePFN = start
		z.compactCachedMigratePFN[0] = cc.migratePFN
		z.compactCachedMigratePFN[1] = cc.migratePFN
	}
	if s.tracer != nil {
		s.emit("mm_compaction_begin", "zone_start=%d migrate_start=%d free_start=%d zone_end=%d",
			start, cc.migratePFN, cc.freePFN, end)
	}
	s.LRUAddDrain() // migrate_prep_local

	for {
		if ret = s.compactFinished(z, cc); ret != COMPACT_CONTINUE {
			break
		}
		switch s.isolateMigratepages(z, cc) {
		case ISOLATE_ABORT:
			s.Cover("compact_zone:isolate_abort")
			ret = COMPACT_PARTIAL
			s.PutbackMovablePages(cc.migratepages)
			cc.nrMigratepages = 0
			goto out
		case ISOLATE_NONE:
			continue
		}
		if cc.nrMigratepages == 0 {
			continue
		}
		err := s.MigratePages(cc.migratepages, s.compactionAlloc, s.compactionFree, cc, cc.mode, MR_COMPACTION)
		if s.tracer != nil {
			nrFailed := uint64(err)
			if err < 0 {
				nrFailed = uint64(len(s.ListPFNs(cc.migratepages)))
			}
			s.emit("mm_compaction_migratepages", "nr_migrated=%d nr_failed=%d", cc.nrMigratepages-nrFailed, nrFailed)
		}
		cc.nrMigratepages = 0
		if err != 0 {
			s.Cover("compact_zone:migrate_failed")
			s.PutbackMovablePages(cc.migratepages)
			if err == rcENOMEM && cc.freePFN > cc.migratePFN {
				ret = COMPACT_PARTIAL
				goto out
			}
		}
	}
out:
	cc.nrFreepages -= s.releaseFreepages(cc.freepages)
	if cc.nrFreepages != 0 {
		s.bug(srcCompaction, 1087) // VM_BUG_ON(cc->nr_freepages != 0)
	}
	if s.tracer != nil {
		s.emit("mm_compaction_end", "status=%d", ret)
	}
	return ret
}

// compactZoneOrder is compact_zone_order(): compact one zone for an
// allocation of order with the gfp mask's migratetype.
//
// Model: nothing simplified.
func (s *System) compactZoneOrder(z *Zone, order int, gfp GFP, mode MigrateMode, contended *bool) int {
	s.Cover("compact_zone_order")
	cc := s.getCompactControl()
	cc.order = order
	cc.migratetype = s.allocflagsToMigratetype(gfp)
	cc.zone = z
	cc.mode = mode
	ret := s.compactZone(z, cc)
	if !s.listEmpty(cc.freepages) {
		s.bug(srcCompaction, 1111)
	}
	if !s.listEmpty(cc.migratepages) {
		s.bug(srcCompaction, 1112)
	}
	*contended = cc.contended
	s.putCompactControl(cc)
	return ret
}

// tryToCompactPages is try_to_compact_pages(), direct compaction's entry:
// only for order > 0 with both __GFP_FS and __GFP_IO; counts compact_stall,
// then compacts each zone of the zonelist the allocation may use, stopping
// once a zone passes its low watermark at this order. Returns the best
// result.
//
// Model: no cpusets or nodemask; no CMA, so alloc_flags stays 0.
func (s *System) tryToCompactPages(zl *zonelist, order uint, gfp GFP, mode MigrateMode, contended *bool) uint64 {
	s.Cover("try_to_compact_pages")
	highZoneidx := gfpZone(gfp)
	mayEnterFS := gfp&GFP_FS != 0
	mayPerformIO := gfp&GFP_IO != 0
	rc := COMPACT_SKIPPED
	allocFlags := 0
	if order == 0 || !mayEnterFS || !mayPerformIO {
		return uint64(rc)
	}
	s.countVMEvent(COMPACTSTALL)
	for _, z := range zl.zones {
		if z.idx > highZoneidx {
			continue
		}
		status := s.compactZoneOrder(z, int(order), gfp, mode, contended)
		rc = max(status, rc)
		if z.zoneWatermarkOk(order, z.lowWmarkPages(), 0, allocFlags) {
			break
		}
	}
	return uint64(rc)
}

// __compactPgdat is __compact_pgdat(): compact every populated zone of a
// node with cc (order -1 always; otherwise unless deferred), and for
// order > 0 reset the deferral's failed order once the zone passes its low
// watermark at that order.
//
// Model: nothing simplified; like the kernel it carries cc's other fields
// (finished_update_*, contended) from one zone to the next.
func (s *System) __compactPgdat(nd *Node, cc *compactControl) {
	s.Cover("__compact_pgdat")
	for i := 0; i < MAX_NR_ZONES; i++ {
		z := &nd.zones[i]
		if !z.populatedZone() {
			continue
		}
		cc.nrFreepages = 0
		cc.nrMigratepages = 0
		cc.zone = z
		s.initCompactLists(cc)
		if cc.order == -1 || !s.compactionDeferred(z, uint(cc.order)) {
			s.compactZone(z, cc)
		}
		if cc.order > 0 {
			if z.zoneWatermarkOk(uint(cc.order), z.lowWmarkPages(), 0, 0) {
				s.compactionDeferReset(z, uint(cc.order), false)
			}
		}
		if !s.listEmpty(cc.freepages) {
			s.bug(srcCompaction, 1200)
		}
		if !s.listEmpty(cc.migratepages) {
			s.bug(srcCompaction, 1201)
		}
	}
}

// compactPgdat is compact_pgdat(): kswapd's async compaction of its node
// at the order it balanced for (nothing at order 0). Its migratetype is
// left 0 (MIGRATE_UNMOVABLE), as the kernel's initializer leaves it.
//
// Model: nothing simplified.
func (s *System) compactPgdat(nd *Node, order int) {
	s.Cover("compact_pgdat")
	if order == 0 {
		return
	}
	cc := s.getCompactControl()
	cc.order = order
	cc.mode = MIGRATE_ASYNC
	s.__compactPgdat(nd, cc)
	s.putCompactControl(cc)
}

// compactNode is compact_node(): sync compaction of the whole node,
// order -1, ignoring the skip hints.
//
// Model: nothing simplified.
func (s *System) compactNode(nid int) {
	cc := s.getCompactControl()
	cc.order = -1
	cc.mode = MIGRATE_SYNC
	cc.ignoreSkipHint = true
	s.__compactPgdat(s.nodes[nid], cc)
	s.putCompactControl(cc)
}

// compactNodes is compact_nodes(): drain every CPU's LRU pagevecs, then
// compact every online node.
//
// Model: nothing simplified.
func (s *System) compactNodes() {
	s.LRUAddDrainAll()
	for nid := range s.nodes {
		s.compactNode(nid)
	}
}

// CompactMemory is a write to /proc/sys/vm/compact_memory
// (sysctl_compaction_handler): compact all memory; the value written is
// unused.
//
// Model: nothing simplified.
func (s *System) CompactMemory() { s.compactNodes() }

// CompactNode is a write to /sys/devices/system/node/nodeN/compact
// (sysfs_compact_node): drain the LRU pagevecs and compact that node.
//
// Model: nothing simplified.
func (s *System) CompactNode(nid int) {
	if nid >= 0 && nid < len(s.nodes) {
		s.LRUAddDrainAll()
		s.compactNode(nid)
	}
}

// sysctl_extfrag_threshold: below this fragmentation index a failure is
// for lack of memory, not fragmentation.
const sysctlExtfragThreshold = 500

// fragmentationIndex is fragmentation_index() (mm/vmstat.c): 0 means an
// order-sized allocation would fail for lack of memory, towards 1000 for
// fragmentation; -1000 means a suitable block is free.
//
// Model: nothing simplified.
func (z *Zone) fragmentationIndex(order uint) int {
	z.sys.Cover("fragmentation_index")
	var freePages, blocksTotal, blocksSuitable uint64
	for o := uint(0); o < MAX_ORDER; o++ {
		blocks := z.freeArea[o].nrFree
		blocksTotal += blocks
		freePages += blocks << o
		if o >= order {
			blocksSuitable += blocks << (o - order)
		}
	}
	if blocksTotal == 0 {
		return 0
	}
	if blocksSuitable != 0 {
		return -1000
	}
	requested := uint64(1) << order
	return 1000 - int((1000+freePages*1000/requested)/blocksTotal)
}

// compactionSuitable is compaction_suitable(): whether compacting the zone
// could serve an allocation of order: not without enough free memory
// (COMPACT_SKIPPED), not when the failure is not fragmentation, and
// COMPACT_PARTIAL when the allocation would already succeed.
//
// Model: nothing simplified.
func (s *System) compactionSuitable(z *Zone, order int) int {
	s.Cover("compaction_suitable")
	if order == -1 {
		return COMPACT_CONTINUE
	}
	watermark := z.lowWmarkPages() + 2<<uint(order)
	if !z.zoneWatermarkOk(0, watermark, 0, 0) {
		return COMPACT_SKIPPED
	}
	fragindex := z.fragmentationIndex(uint(order))
	if fragindex >= 0 && fragindex <= sysctlExtfragThreshold {
		return COMPACT_SKIPPED
	}
	if fragindex == -1000 && z.zoneWatermarkOk(uint(order), watermark, 0, 0) {
		return COMPACT_PARTIAL
	}
	return COMPACT_CONTINUE
}
