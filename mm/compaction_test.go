// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"slices"
	"strings"
	"testing"

	"pagesim/sim"
)

// Unit tests of mm/compaction.c against the rules of v3.16. Each test
// names the kernel functions and the rule it checks.

// ---------------------------------------------------------------------------
// Helpers

// fragFixture is a machine whose memory one process has filled with
// written anonymous pages, then unmapped every other page of the first
// holes*2 of them: free memory is plentiful but in order-0 pieces. Free blocks of order pinOrder and
// above that survive the unmapping are allocated and held (pinned), so that
// no zone can serve an allocation of that order without compaction.
type fragFixture struct {
	s      *System
	m      *MMStruct
	addr   uint64
	n      int // pages faulted
	holes  int // odd pages unmapped below 2*holes
	pinned [][2]uint64
}

func (fx *fragFixture) token(i int) uint64 { return uint64(i)*7 + 1 }

// newFragFixture fills DMA32 of a memBytes machine down to its high
// watermark (the fair zone policy spreads some pages into DMA too),
// unmaps up to holes odd pages with one munmap each, and pins what is left
// free at pinOrder or above (pinOrder > MAX_ORDER-1 pins nothing).
func newFragFixture(t testing.TB, memBytes uint64, holes int, pinOrder uint) *fragFixture {
	t.Helper()
	s, err := Boot(Config{MemBytes: memBytes, Nodes: 1, CPUs: 2}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fragFixture{s: s, holes: holes}
	z := &s.nodes[0].zones[ZONE_DMA32]
	fx.m, _ = s.NewMM()
	span := memBytes &^ (PAGE_SIZE - 1)
	fx.addr, _ = s.MmapAnon(fx.m, span, true)
	for ; z.zonePageStateSnapshot(NR_FREE_PAGES) > int64(z.highWmarkPages()) && uint64(fx.n) < span/PAGE_SIZE; fx.n++ {
		if _, err := s.UserAccess(fx.m, fx.addr+uint64(fx.n)*PAGE_SIZE, true, fx.token(fx.n)); err != nil {
			t.Fatal(err)
		}
	}
	s.LRUAddDrainAll()
	for i := 1; i < fx.n && i < 2*holes; i += 2 {
		if err := s.Munmap(fx.m, fx.addr+uint64(i)*PAGE_SIZE, PAGE_SIZE); err != nil {
			t.Fatal(err)
		}
	}
	s.LRUAddDrainAll()
	s.DrainAllPages()
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		for o := uint(MAX_ORDER - 1); o >= pinOrder && o < MAX_ORDER; o-- {
			for mt := 0; mt < MIGRATE_TYPES; mt++ {
				for !s.listEmpty(z.freeArea[o].freeList[mt]) {
					pfn, ok := s.bufferedRmqueue(z, z, o, GFP_KERNEL, mt)
					if !ok {
						t.Fatalf("pinning an order-%d block of %s failed", o, z.Name)
					}
					fx.pinned = append(fx.pinned, [2]uint64{pfn, uint64(o)})
				}
			}
		}
	}
	return fx
}

// checkData reads every still-mapped page back: migration must carry each
// page's contents and mapping with it (DESIGN §7, data integrity).
func (fx *fragFixture) checkData(t testing.TB) {
	t.Helper()
	for i := 0; i < fx.n; i++ {
		if i%2 == 1 && i < 2*fx.holes {
			continue
		}
		got, err := fx.s.UserAccess(fx.m, fx.addr+uint64(i)*PAGE_SIZE, false, 0)
		if err != nil || got != fx.token(i) {
			t.Fatalf("page %d reads %d (%v), wrote %d", i, got, err, fx.token(i))
		}
	}
}

// release frees the pinned blocks and the process. The VMAs are unmapped
// one munmap each before exit_mmap: the model's free_pgtables, given
// several VMAs at once, frees an upper-level table after recursing only
// into the first VMA's range, losing the NR_PAGETABLE count of the PTE
// tables under the others (a bug outside compaction, reported).
func (fx *fragFixture) release() {
	for _, p := range fx.pinned {
		fx.s.FreePages(p[0], uint(p[1]))
	}
	fx.pinned = nil
	for _, v := range slices.Clone(fx.m.vmas) {
		fx.s.Munmap(fx.m, v.Start, v.End-v.Start)
	}
	fx.s.Mmput(fx.m)
	fx.s.LRUAddDrainAll()
}

// hasFreeBlock reports whether z has a free block of order or above.
func hasFreeBlock(z *Zone, order uint) bool {
	for o := order; o < MAX_ORDER; o++ {
		if z.freeArea[o].nrFree != 0 {
			return true
		}
	}
	return false
}

// compactCC is a compact_control for z as compact_zone_order sets one up.
func compactCC(s *System, z *Zone, order int, mode MigrateMode) *compactControl {
	cc := s.getCompactControl()
	cc.zone, cc.order, cc.mode = z, order, mode
	cc.migratetype = MIGRATE_MOVABLE
	return cc
}

// splitMovableBlock allocates one movable order-0 page from DMA32's
// buddy lists: expand() leaves the lower pageblock of its order-10 block
// holding free blocks of orders 0..8 (511 pages) around the allocated page
// at its start, a MIGRATE_MOVABLE pageblock the free scanner will take
// pages from. Returns the page and its pageblock's start.
func splitMovableBlock(t *testing.T, s *System, z *Zone) (page, block uint64) {
	t.Helper()
	pfn, ok := s.bufferedRmqueue(z, z, 1, GFP_HIGHUSER_MOVABLE, MIGRATE_MOVABLE)
	if !ok {
		t.Fatal("no order-1 block")
	}
	s.splitPage(pfn, 1)
	s.FreePages(pfn+1, 0)
	s.DrainAllPages()
	block = pfn &^ (pageblockNrPages - 1)
	if pfn != block || z.getPageblockMigratetype(block) != MIGRATE_MOVABLE {
		t.Fatalf("precondition: page %#x, pageblock %#x is %s", pfn, block, migratetypeNames[z.getPageblockMigratetype(block)])
	}
	return pfn, block
}

// ---------------------------------------------------------------------------
// Tests

// TestCompactZoneScannersMeet checks compact_zone() and compact_finished():
// a whole-zone compaction (order -1, as /proc/sys/vm/compact_memory runs
// it) goes on until the free scanner has come down to the migrate scanner,
// then ends with COMPACT_COMPLETE, the zone's cached scanner positions
// back at its ends and compact_blockskip_flush set (not kswapd), leaving
// the moved pages at the zone's top and big free blocks at its bottom. The
// mm_compaction_* tracepoints print v3.16's formats, and
// reset_isolation_suitable (kswapd going to sleep) flushes the skip hints.
func TestCompactZoneScannersMeet(t *testing.T) {
	fx := newFragFixture(t, 128<<20, 4096, MAX_ORDER)
	s := fx.s
	z := dma32Zone(s)
	if hasFreeBlock(z, pageblockOrder) {
		t.Fatalf("precondition: %s already has a free pageblock: %v", z.Name, nrFreeAll(z))
	}
	tr := NewTracer([]string{"mm_compaction_*"})
	s.SetTracer(tr)
	cc := compactCC(s, z, -1, MIGRATE_SYNC)
	cc.ignoreSkipHint = true
	ret := s.compactZone(z, cc)
	s.SetTracer(nil)
	if ret != COMPACT_COMPLETE {
		t.Fatalf("compact_zone = %d, want COMPACT_COMPLETE (%d)", ret, COMPACT_COMPLETE)
	}
	if cc.freePFN > cc.migratePFN {
		t.Fatalf("scanners did not meet: free_pfn %#x migrate_pfn %#x", cc.freePFN, cc.migratePFN)
	}
	if z.compactCachedMigratePFN != [2]uint64{z.zoneStartPFN, z.zoneStartPFN} || z.compactCachedFreePFN != z.zoneEndPFN() {
		t.Fatalf("cached pfns migrate %v free %#x, want the zone's ends", z.compactCachedMigratePFN, z.compactCachedFreePFN)
	}
	if !z.compactBlockskipFlush {
		t.Fatal("compact_blockskip_flush not set after a completed compaction")
	}
	if cc.nrFreepages != 0 || !s.listEmpty(cc.freepages) || !s.listEmpty(cc.migratepages) {
		t.Fatalf("leftovers: nr_freepages %d", cc.nrFreepages)
	}
	s.putCompactControl(cc)
	s.DrainAllPages()
	if !hasFreeBlock(z, pageblockOrder) {
		t.Fatalf("no free pageblock after compaction: %v", nrFreeAll(z))
	}
	if s.vmEvents[PGMIGRATE_SUCCESS] == 0 || s.vmEvents[COMPACTMIGRATE_SCANNED] == 0 ||
		s.vmEvents[COMPACTFREE_SCANNED] == 0 || s.vmEvents[COMPACTISOLATED] == 0 {
		t.Fatalf("events: pgmigrate_success %d compact_migrate_scanned %d compact_free_scanned %d compact_isolated %d",
			s.vmEvents[PGMIGRATE_SUCCESS], s.vmEvents[COMPACTMIGRATE_SCANNED], s.vmEvents[COMPACTFREE_SCANNED], s.vmEvents[COMPACTISOLATED])
	}
	lines := tr.Lines()
	if len(lines) < 3 {
		t.Fatalf("trace: %q", lines)
	}
	wantPrefix := func(line, event, fields string) {
		t.Helper()
		i := strings.Index(line, event+": ")
		if i < 0 || !strings.HasPrefix(line[i+len(event)+2:], fields) {
			t.Fatalf("trace line %q, want %s: %s...", line, event, fields)
		}
	}
	wantPrefix(lines[0], "mm_compaction_begin", "zone_start=4096 migrate_start=4096 free_start=")
	wantPrefix(lines[len(lines)-1], "mm_compaction_end", "status=3")
	var isoM, isoF, mig bool
	for _, l := range lines {
		isoM = isoM || strings.Contains(l, "mm_compaction_isolate_migratepages: nr_scanned=")
		isoF = isoF || strings.Contains(l, "mm_compaction_isolate_freepages: nr_scanned=")
		mig = mig || strings.Contains(l, "mm_compaction_migratepages: nr_migrated=")
	}
	if !isoM || !isoF || !mig {
		t.Fatalf("missing tracepoints (migrate %v free %v migratepages %v)", isoM, isoF, mig)
	}
	fx.checkData(t)

	// reset_isolation_suitable: kswapd flushes the hints of a zone whose
	// compaction completed.
	z.setPageblockSkip(z.zoneEndPFN() - 1)
	z.compactCachedFreePFN = z.zoneStartPFN + pageblockNrPages
	s.resetIsolationSuitable(z.node)
	if z.getPageblockSkip(z.zoneEndPFN()-1) || z.compactBlockskipFlush || z.compactCachedFreePFN != z.zoneEndPFN() {
		t.Fatalf("after reset_isolation_suitable: skip %v flush %v cached free %#x",
			z.getPageblockSkip(z.zoneEndPFN()-1), z.compactBlockskipFlush, z.compactCachedFreePFN)
	}
	fx.release()
	checkInv(t, s)
}

// TestCompactionFreeIsLIFO checks isolate_freepages_block(),
// compaction_alloc() and compaction_free(): split_free_page's pages are
// list_add()ed to cc->freepages one by one, so the list runs from the
// block's highest free page down; compaction_alloc takes the head
// (list_del, nr_freepages--), and compaction_free puts a page back at the
// head (list_add, nr_freepages++), so the page just put back is the very
// next one handed out — the ordering the founding case depends on.
// release_freepages frees what is left and counts it.
func TestCompactionFreeIsLIFO(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	page, block := splitMovableBlock(t, s, z)
	isolatedBefore := s.vmEvents[COMPACTISOLATED]

	cc := compactCC(s, z, 3, MIGRATE_SYNC)
	cc.migratePFN = z.zoneStartPFN
	cc.freePFN = block
	cc.nrMigratepages = 1 // isolate_freepages works for a non-empty batch
	a, ok := s.compactionAlloc(0, cc)
	if !ok {
		t.Fatal("compaction_alloc found no free page")
	}
	if a != block+pageblockNrPages-1 {
		t.Fatalf("first page handed out %#x, want the block's last page %#x", a, block+pageblockNrPages-1)
	}
	list := toPFNs(s.ListPFNs(cc.freepages))
	if len(list) != pageblockNrPages-2 || cc.nrFreepages != pageblockNrPages-2 {
		t.Fatalf("freepages holds %d, nr_freepages %d, want %d", len(list), cc.nrFreepages, pageblockNrPages-2)
	}
	if !slices.IsSortedFunc(list, func(x, y uint64) int { return int(y) - int(x) }) || list[0] != a-1 {
		t.Fatalf("freepages not descending from %#x: head %#x", a-1, list[0])
	}
	if got := s.vmEvents[COMPACTISOLATED] - isolatedBefore; got != pageblockNrPages-1 {
		t.Fatalf("compact_isolated += %d, want %d", got, pageblockNrPages-1)
	}
	for _, pfn := range append(list, a) {
		if p := &s.pages[pfn]; p.PageBuddy() || p.count != 1 {
			t.Fatalf("isolated pfn %#x: buddy %v count %d", pfn, p.PageBuddy(), p.count)
		}
	}
	if cc.freePFN != block || !cc.finishedUpdateFree {
		t.Fatalf("free_pfn %#x finished_update_free %v", cc.freePFN, cc.finishedUpdateFree)
	}

	b, _ := s.compactionAlloc(0, cc)
	if b != a-1 {
		t.Fatalf("second page %#x, want %#x", b, a-1)
	}
	s.compactionFree(a, cc)
	if s.listFirst(cc.freepages) != uint32(a) || cc.nrFreepages != pageblockNrPages-2 {
		t.Fatalf("compaction_free: head %#x nr_freepages %d", s.listFirst(cc.freepages), cc.nrFreepages)
	}
	if again, _ := s.compactionAlloc(0, cc); again != a {
		t.Fatalf("after compaction_free(%#x) compaction_alloc gave %#x, want the same page", a, again)
	}
	s.compactionFree(a, cc)
	s.compactionFree(b, cc)
	if got := s.releaseFreepages(cc.freepages); got != pageblockNrPages-1 {
		t.Fatalf("release_freepages freed %d, want %d", got, pageblockNrPages-1)
	}
	s.putCompactControl(cc)
	s.FreePages(page, 0)
	s.DrainAllPages()
	wantBlock(t, s, block&^(MAX_ORDER_NR_PAGES-1), MAX_ORDER-1)
	checkInv(t, s)
}

// TestSplitFreePageObeysLowWatermark checks __isolate_free_page() as the
// free scanner meets it: a free block is isolated only if the zone stays
// above low_wmark + 2^order at order 0, as if it were being allocated; a
// pageblock scanned whole without isolating anything gets PB_migrate_skip
// and pulls compact_cached_free_pfn down to it (update_pageblock_skip),
// and isolation_suitable then passes it over until the hint is cleared.
func TestSplitFreePageObeysLowWatermark(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	_, block := splitMovableBlock(t, s, z)
	z.compactCachedFreePFN = z.zoneEndPFN()

	saved := z.watermark
	z.watermark[WMARK_LOW] = uint64(freePages(z)) // free - 1 <= low + 1
	cc := compactCC(s, z, 3, MIGRATE_SYNC)
	scanned := s.vmEvents[COMPACTFREE_SCANNED]
	if n := s.isolateFreepagesBlock(cc, block, block+pageblockNrPages, cc.freepages); n != 0 {
		t.Fatalf("isolated %d pages below the low watermark", n)
	}
	if !s.listEmpty(cc.freepages) {
		t.Fatal("freepages not empty")
	}
	for o := 0; o < pageblockOrder; o++ {
		wantBlock(t, s, block+1<<o, uint(o))
	}
	if got := s.vmEvents[COMPACTFREE_SCANNED] - scanned; got != pageblockNrPages {
		t.Fatalf("compact_free_scanned += %d, want %d", got, pageblockNrPages)
	}
	if !z.getPageblockSkip(block) || z.compactCachedFreePFN != block {
		t.Fatalf("skip %v cached free pfn %#x, want the hint set and %#x", z.getPageblockSkip(block), z.compactCachedFreePFN, block)
	}
	if s.isolationSuitable(cc, block) {
		t.Fatal("isolation_suitable true for a skipped pageblock")
	}

	z.watermark = saved
	z.clearPageblockSkip(block)
	if n := s.isolateFreepagesBlock(cc, block, block+pageblockNrPages, cc.freepages); n != pageblockNrPages-1 {
		t.Fatalf("isolated %d above the watermark, want %d", n, pageblockNrPages-1)
	}
	cc.nrFreepages = pageblockNrPages - 1
	cc.nrFreepages -= s.releaseFreepages(cc.freepages)
	s.putCompactControl(cc)
	s.DrainAllPages()
	checkInv(t, s)
}

// TestDeferCompactionBackoff checks defer_compaction(),
// compaction_deferred(), compaction_defer_reset() and
// compaction_restarting(): each failure doubles the number of attempts
// skipped, up to 1 << COMPACT_MAX_DEFER_SHIFT (64); compaction_deferred
// says true for all but the last of them; orders below the failed one are
// never deferred; a success clears the backoff and raises the failed order
// past it; after the backoff has maxed out and run, compaction restarts
// (and compact_zone would flush the skip hints).
func TestDeferCompactionBackoff(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	const order = 4
	if z.compactOrderFailed != 0 || s.compactionDeferred(z, order) {
		t.Fatal("deferred before any failure")
	}
	// A success at order-1 leaves compact_order_failed at order.
	s.compactionDeferReset(z, order-1, true)
	for fail := 1; fail <= COMPACT_MAX_DEFER_SHIFT+2; fail++ {
		s.deferCompaction(z, order)
		shift := min(fail, COMPACT_MAX_DEFER_SHIFT)
		if z.compactDeferShift != uint(shift) || z.compactOrderFailed != order {
			t.Fatalf("after %d failures: shift %d order_failed %d", fail, z.compactDeferShift, z.compactOrderFailed)
		}
		if s.compactionDeferred(z, order-1) {
			t.Fatal("an order below compact_order_failed was deferred")
		}
		limit := 1 << shift
		for i := 1; i < limit; i++ {
			if !s.compactionDeferred(z, order+1) {
				t.Fatalf("after %d failures: attempt %d of %d not deferred", fail, i, limit)
			}
		}
		if shift == COMPACT_MAX_DEFER_SHIFT && s.compactionRestarting(z, order) {
			t.Fatal("restarting before the backoff ran out")
		}
		if s.compactionDeferred(z, order) {
			t.Fatalf("after %d failures: attempt %d still deferred", fail, limit)
		}
		if s.compactionDeferred(z, order) {
			t.Fatal("considered past the limit still deferred")
		}
		if shift == COMPACT_MAX_DEFER_SHIFT && !s.compactionRestarting(z, order) {
			t.Fatal("not restarting after a maxed-out backoff ran out")
		}
	}
	s.compactionDeferReset(z, order, true)
	if z.compactDeferShift != 0 || z.compactConsidered != 0 || z.compactOrderFailed != order+1 {
		t.Fatalf("after reset: shift %d considered %d order_failed %d", z.compactDeferShift, z.compactConsidered, z.compactOrderFailed)
	}
	if s.compactionDeferred(z, order) {
		t.Fatal("deferred after a success")
	}
	checkInv(t, s)
}

// TestAsyncIsolationNeverBlocks checks isolate_migratepages_range() in
// MIGRATE_ASYNC mode: it isolates with ISOLATE_ASYNC_MIGRATE, so a page
// under writeback and a dirty page whose mapping has no ->migratepage stay
// on the LRU (migrating them could only block), while a locked page is
// isolated without the isolation side ever waiting for its lock; with too
// many pages isolated it returns at once rather than congestion_wait.
// Sync-light isolation takes all of them. Isolated pages are counted in
// NR_ISOLATED_FILE (acct_isolated) and go back with
// putback_movable_pages.
func TestAsyncIsolationNeverBlocks(t *testing.T) {
	fx := newReclaimFixture(t, 4, false)
	s, z := fx.s, fx.zone
	clean, dirty, wb, locked := fx.pfns[0], fx.pfns[1], fx.pfns[2], fx.pfns[3]
	s.SetPageDirty(dirty)
	if !s.trylockPage(wb) {
		t.Fatal("trylock")
	}
	s.SetPageWriteback(wb)
	s.unlockPage(wb)
	if !s.trylockPage(locked) {
		t.Fatal("trylock")
	}
	lo := slices.Min(fx.pfns)
	hi := slices.Max(fx.pfns) + 1
	if z.getPageblockMigratetype(lo) != MIGRATE_MOVABLE {
		t.Fatal("precondition: pages not in a movable pageblock")
	}
	foldVMStats(s)
	isoFile := z.zonePageState(NR_ISOLATED_FILE)

	isolate := func(mode MigrateMode) []uint64 {
		t.Helper()
		cc := compactCC(s, z, 3, mode)
		if end := s.isolateMigratepagesRange(z, cc, lo, hi, false); end != hi {
			t.Fatalf("mode %d: isolate_migratepages_range returned %#x, want %#x", mode, end, hi)
		}
		got := toPFNs(s.ListPFNs(cc.migratepages))
		foldVMStats(s)
		if d := z.zonePageState(NR_ISOLATED_FILE) - isoFile; d != int64(len(got)) || cc.nrMigratepages != uint64(len(got)) {
			t.Fatalf("mode %d: NR_ISOLATED_FILE += %d, nr_migratepages %d, isolated %d", mode, d, cc.nrMigratepages, len(got))
		}
		for _, pfn := range got {
			if s.pages[pfn].PageLRU() {
				t.Fatalf("isolated pfn %#x still PageLRU", pfn)
			}
		}
		s.PutbackMovablePages(cc.migratepages)
		s.putCompactControl(cc)
		s.LRUAddDrainAll()
		foldVMStats(s)
		if z.zonePageState(NR_ISOLATED_FILE) != isoFile {
			t.Fatal("NR_ISOLATED_FILE not restored by putback")
		}
		slices.Sort(got)
		return got
	}
	wantPFNs(t, "async isolation", isolate(MIGRATE_ASYNC), []uint64{min(clean, locked), max(clean, locked)})
	if !s.pages[locked].PageLocked() {
		t.Fatal("the locked page's lock changed hands")
	}
	all := slices.Clone(fx.pfns)
	slices.Sort(all)
	wantPFNs(t, "sync-light isolation", isolate(MIGRATE_SYNC_LIGHT), all)

	// too_many_isolated: async compaction gives up at once, without
	// scanning or sleeping; sync-light compaction sleeps in
	// congestion_wait(HZ/10) until the isolated pages are back (another
	// task puts them back after 50ms).
	z.zonePageStateAdd(1<<20, NR_ISOLATED_ANON)
	var asyncEnd, syncEnd uint64
	var asyncAt, syncAt int64
	var abort isolateMigrateT
	t0 := fx.sched.Now()
	fx.runAs(t, 0, func() {
		cc := compactCC(s, z, 3, MIGRATE_ASYNC)
		scanned := s.vmEvents[COMPACTMIGRATE_SCANNED]
		asyncEnd = s.isolateMigratepagesRange(z, cc, lo, hi, false)
		asyncAt = fx.sched.Now()
		if s.vmEvents[COMPACTMIGRATE_SCANNED] != scanned {
			t.Errorf("async scanned %d pages with too many isolated", s.vmEvents[COMPACTMIGRATE_SCANNED]-scanned)
		}
		cc.migratePFN, cc.freePFN = lo, z.zoneEndPFN()
		abort = s.isolateMigratepages(z, cc)
		s.putCompactControl(cc)
	})
	start := fx.sched.Now()
	fx.sched.Spawn("putback", 0, func(task *sim.Task) {
		task.Sleep(50e6)
		z.zonePageStateAdd(-1<<20, NR_ISOLATED_ANON)
	})
	fx.runAs(t, 0, func() {
		cc := compactCC(s, z, 3, MIGRATE_SYNC_LIGHT)
		syncEnd = s.isolateMigratepagesRange(z, cc, lo, hi, false)
		syncAt = fx.sched.Now()
		s.PutbackMovablePages(cc.migratepages)
		s.putCompactControl(cc)
	})
	if asyncEnd != 0 || asyncAt != t0 || abort != ISOLATE_ABORT {
		t.Fatalf("async with too many isolated: returned %#x after %dns, isolate_migratepages %d; want 0 at once and ISOLATE_ABORT",
			asyncEnd, asyncAt-t0, abort)
	}
	if syncEnd != hi || syncAt-start != 1e9/10 {
		t.Fatalf("sync-light with too many isolated: returned %#x after %dns, want %#x after one congestion_wait(HZ/10)",
			syncEnd, syncAt-start, hi)
	}
	s.LRUAddDrainAll()

	s.unlockPage(locked)
	s.EndPageWriteback(wb)
	checkInv(t, s)
}

// TestCompactionMakesHighOrderPossible checks the whole direct compaction
// path on a zone fragmented by a process (every other page unmapped, no
// free block of order 3 or above anywhere): __alloc_pages_direct_compact
// -> try_to_compact_pages (compact_stall) -> compact_zone_order ->
// compact_zone in MIGRATE_ASYNC mode migrates pages until compact_finished
// sees an order-3 block on the movable free list (COMPACT_PARTIAL), and the
// order-3 allocation then succeeds (compact_success) from the compacted
// zone. Every page keeps its data. Then /proc/sys/vm/compact_memory makes
// whole pageblocks free.
func TestCompactionMakesHighOrderPossible(t *testing.T) {
	fx := newFragFixture(t, 128<<20, 4096, 3)
	s := fx.s
	z := dma32Zone(s)
	for _, zz := range s.zones {
		if zz.populatedZone() && hasFreeBlock(zz, 3) {
			t.Fatalf("precondition: %s has a free block of order >= 3", zz.Name)
		}
	}
	if got := s.compactionSuitable(z, 3); got != COMPACT_CONTINUE {
		t.Fatalf("compaction_suitable(%s, 3) = %d, want COMPACT_CONTINUE (fragindex %d)", z.Name, got, z.fragmentationIndex(3))
	}
	pfn, ok := s.AllocPages(GFP_HIGHUSER_MOVABLE|GFP_NORETRY, 3)
	if !ok {
		t.Fatal("order-3 allocation failed after direct compaction")
	}
	if s.pfnZone(pfn) != z {
		t.Fatalf("order-3 block %#x from %s, want %s", pfn, s.pfnZone(pfn).Name, z.Name)
	}
	if s.vmEvents[COMPACTSTALL] != 1 || s.vmEvents[COMPACTSUCCESS] != 1 || s.vmEvents[COMPACTFAIL] != 0 {
		t.Fatalf("compact_stall %d compact_success %d compact_fail %d, want 1 1 0",
			s.vmEvents[COMPACTSTALL], s.vmEvents[COMPACTSUCCESS], s.vmEvents[COMPACTFAIL])
	}
	if s.vmEvents[PGMIGRATE_SUCCESS] == 0 {
		t.Fatal("nothing migrated")
	}
	fx.checkData(t)
	checkInv(t, s)

	s.CompactMemory()
	s.DrainAllPages()
	if !hasFreeBlock(z, pageblockOrder) {
		t.Fatalf("no free pageblock after compact_memory: %v", nrFreeAll(z))
	}
	fx.checkData(t)
	s.FreePages(pfn, 3)
	fx.release()
	checkInv(t, s)
}

// BenchmarkCompactZone measures compact_zone() over the 4 GiB Normal zone
// of a 7 GiB machine, as compact_node runs it (order -1, MIGRATE_SYNC),
// after a process filled it and dropped every other page with
// MADV_DONTNEED (munmap of each page would leave a VMA per page, and the
// model's anon rmap walk is linear in them). Setup is not timed; each
// iteration compacts a freshly fragmented zone.
func BenchmarkCompactZone(b *testing.B) {
	s, err := Boot(Config{MemBytes: 7 << 30, Nodes: 1, CPUs: 2}, Env{})
	if err != nil {
		b.Fatal(err)
	}
	z := &s.nodes[0].zones[ZONE_NORMAL]
	if z.spannedPages != 4<<30/PAGE_SIZE {
		b.Fatalf("Normal spans %d pages, want 4 GiB", z.spannedPages)
	}
	var migrated uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m, _ := s.NewMM()
		span := uint64(7 << 30)
		addr, _ := s.MmapAnon(m, span, true)
		n := uint64(0)
		// Stop above the high watermark (the fair zone policy spreads
		// the faults over DMA32 too).
		mark := int64(z.highWmarkPages())
		for ; freePages(z) > mark && n < span/PAGE_SIZE; n++ {
			s.UserAccess(m, addr+n*PAGE_SIZE, true, n+1)
		}
		for j := uint64(1); j < n; j += 2 {
			s.Madvise(m, addr+j*PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED)
		}
		s.LRUAddDrainAll()
		s.DrainAllPages()
		before := s.vmEvents[PGMIGRATE_SUCCESS]
		cc := compactCC(s, z, -1, MIGRATE_SYNC)
		cc.ignoreSkipHint = true
		b.StartTimer()
		if ret := s.compactZone(z, cc); ret != COMPACT_COMPLETE {
			b.Fatalf("compact_zone = %d", ret)
		}
		b.StopTimer()
		s.putCompactControl(cc)
		migrated += s.vmEvents[PGMIGRATE_SUCCESS] - before
		s.Mmput(m)
		s.LRUAddDrainAll()
		b.StartTimer()
	}
	b.ReportMetric(float64(migrated)/float64(b.N), "pages-migrated/op")
	b.StopTimer()
	checkInv(b, s)
}
