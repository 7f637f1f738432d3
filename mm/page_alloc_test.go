package mm

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pagesim/klog"
	"pagesim/sim"
)

// Unit tests of the buddy allocator, the per-CPU page lists, bad_page and
// the watermark checks against the rules of v3.16 mm/page_alloc.c. Each
// test names the kernel function and the rule it checks.
//
// Every test runs on the same machine: 256 MiB, one node, two CPUs, so
// that ZONE_DMA (pfn 1..4095) and ZONE_DMA32 (pfn 4096..65535) are
// populated and ZONE_NORMAL is not. Right after boot every free page of
// DMA32 sits in order-10 blocks on the MOVABLE list, bar one
// MIGRATE_RESERVE pageblock; positions are read from the lists, never
// hard-coded.

// ---------------------------------------------------------------------------
// Helpers

// bootMachine boots the test machine. The calls run outside any task, on
// CPU 0, as process "swapper/0".
func bootMachine(t *testing.T, env Env) *System {
	t.Helper()
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.pageGroupByMobilityDisabled {
		t.Fatal("grouping by mobility is off on a 256 MiB machine")
	}
	return s
}

// bootWithLog boots the test machine with a kernel log.
func bootWithLog(t *testing.T) (*System, *klog.Log) {
	t.Helper()
	l := klog.New(klog.Config{NoStackWords: true})
	return bootMachine(t, Env{Log: l}), l
}

// checkInvariants fails the test if the full invariant check finds
// anything. leaked are the frames bad_page took out of circulation: the
// kernel leaks such a page on purpose, bad fields and all, and the checker
// must know each of them as leaked (not lost) and find nothing else.
func checkInvariants(t *testing.T, s *System, leaked ...uint64) {
	t.Helper()
	if errs := s.CheckInvariants(); len(errs) > 0 {
		t.Fatalf("invariants violated:\n%s", strings.Join(errs, "\n"))
	}
	for _, pfn := range leaked {
		if !s.BadPageLeaked(pfn) {
			t.Fatalf("pfn %#x should be leaked by bad_page, but the model does not know it as leaked", pfn)
		}
	}
}

func dmaZone(s *System) *Zone   { return &s.nodes[0].zones[ZONE_DMA] }
func dma32Zone(s *System) *Zone { return &s.nodes[0].zones[ZONE_DMA32] }

// freeList returns free_area[order].free_list[mt] from head to tail.
func freeList(s *System, z *Zone, order, mt int) []uint64 {
	return toPFNs(s.ListPFNs(z.freeArea[order].freeList[mt]))
}

// pcpList returns a CPU's pcp list for mt from head to tail.
func pcpList(s *System, z *Zone, cpu, mt int) []uint64 {
	return toPFNs(s.ListPFNs(z.pageset[cpu].pcp.lists[mt]))
}

func toPFNs(l []uint32) []uint64 {
	out := make([]uint64, len(l))
	for i, p := range l {
		out[i] = uint64(p)
	}
	return out
}

// allFreeLists snapshots every free list of a zone.
func allFreeLists(s *System, z *Zone) [MAX_ORDER][MIGRATE_TYPES][]uint64 {
	var out [MAX_ORDER][MIGRATE_TYPES][]uint64
	for o := 0; o < MAX_ORDER; o++ {
		for mt := 0; mt < MIGRATE_TYPES; mt++ {
			out[o][mt] = freeList(s, z, o, mt)
		}
	}
	return out
}

// sameFreeLists reports whether two snapshots of allFreeLists agree.
func sameFreeLists(a, b [MAX_ORDER][MIGRATE_TYPES][]uint64) bool {
	for o := range a {
		for mt := range a[o] {
			if !slices.Equal(a[o][mt], b[o][mt]) {
				return false
			}
		}
	}
	return true
}

func nrFreeAll(z *Zone) [MAX_ORDER]uint64 {
	var out [MAX_ORDER]uint64
	for o := range out {
		out[o] = z.freeArea[o].nrFree
	}
	return out
}

// freePages is NR_FREE_PAGES including the per-CPU differentials.
func freePages(z *Zone) int64 { return z.zonePageStateSnapshot(NR_FREE_PAGES) }

// foldVMStats folds every CPU's differentials into the zone counters, as
// the vmstat worker does, so that zone_page_state is exact.
func foldVMStats(s *System) {
	for cpu := 0; cpu < s.NrCPUs(); cpu++ {
		s.RefreshCPUVMStats(cpu)
	}
}

// freeBlockOf returns the free block holding pfn: its head, order and the
// migratetype of the list it is on.
func freeBlockOf(s *System, z *Zone, pfn uint64) (head uint64, order, mt int, ok bool) {
	for o := 0; o < MAX_ORDER; o++ {
		for m := 0; m < MIGRATE_TYPES; m++ {
			for _, h := range freeList(s, z, o, m) {
				if h <= pfn && pfn < h+1<<o {
					return h, o, m, true
				}
			}
		}
	}
	return 0, 0, 0, false
}

// onPcp reports whether pfn is on any CPU's pcp list of its zone.
func onPcp(s *System, z *Zone, pfn uint64) bool {
	for cpu := range z.pageset {
		for mt := 0; mt < MIGRATE_PCPTYPES; mt++ {
			if slices.Contains(pcpList(s, z, cpu, mt), pfn) {
				return true
			}
		}
	}
	return false
}

func wantPFNs(t *testing.T, what string, got, want []uint64) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %#x, want %#x", what, got, want)
	}
}

func wantBlock(t *testing.T, s *System, pfn uint64, order uint) {
	t.Helper()
	p := &s.pages[pfn]
	if !p.PageBuddy() || p.pageOrder() != order {
		t.Fatalf("pfn %#x: PageBuddy %v order %d, want a free block of order %d", pfn, p.PageBuddy(), p.pageOrder(), order)
	}
}

func wantPageblock(t *testing.T, z *Zone, pfn uint64, mt int) {
	t.Helper()
	if got := z.getPageblockMigratetype(pfn); got != mt {
		t.Fatalf("pageblock of pfn %#x is %s, want %s", pfn, migratetypeNames[got], migratetypeNames[mt])
	}
}

// zoneAlloc is buffered_rmqueue on one zone: what get_page_from_freelist
// does once the zone has passed its watermark check (or for an
// ALLOC_NO_WATERMARKS allocation). Tests use it to set up states without
// the zone fallback and fairness of __alloc_pages_nodemask.
func zoneAlloc(t *testing.T, s *System, z *Zone, order uint, gfp GFP) uint64 {
	t.Helper()
	pfn, ok := s.bufferedRmqueue(z, z, order, gfp, s.allocflagsToMigratetype(gfp))
	if !ok {
		t.Fatalf("buffered_rmqueue(%s, order %d, gfp %#x) failed", z.Name, order, gfp)
	}
	return pfn
}

func wantZoneAlloc(t *testing.T, s *System, z *Zone, order uint, gfp GFP, want uint64) {
	t.Helper()
	if got := zoneAlloc(t, s, z, order, gfp); got != want {
		t.Fatalf("order-%d allocation (gfp %#x) got pfn %#x, want %#x", order, gfp, got, want)
	}
}

func allocPages(t *testing.T, s *System, gfp GFP, order uint) uint64 {
	t.Helper()
	pfn, ok := s.AllocPages(gfp, order)
	if !ok {
		t.Fatalf("alloc_pages(%#x, %d) failed", gfp, order)
	}
	return pfn
}

// drainMovable allocates every MOVABLE block of DMA32 (all of order 10
// after boot), leaving only the MIGRATE_RESERVE pageblock's block free.
// It returns the blocks taken, in allocation order.
func drainMovable(t *testing.T, s *System, z *Zone) []uint64 {
	t.Helper()
	for o := 0; o < MAX_ORDER-1; o++ {
		for mt := 0; mt < MIGRATE_TYPES; mt++ {
			if len(freeList(s, z, o, mt)) != 0 {
				t.Fatalf("precondition: %s has free blocks below order 10", z.Name)
			}
		}
	}
	var taken []uint64
	for len(freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)) != 0 {
		taken = append(taken, zoneAlloc(t, s, z, MAX_ORDER-1, GFP_HIGHUSER_MOVABLE))
	}
	if n := len(freeList(s, z, MAX_ORDER-1, MIGRATE_RESERVE)); n != 1 || freePages(z) != MAX_ORDER_NR_PAGES {
		t.Fatalf("precondition: after draining MOVABLE, %d reserve blocks and %d free pages", n, freePages(z))
	}
	return taken
}

// stealSetup drains DMA32's MOVABLE blocks and frees one order-10 block K
// back, so that K is the only free MOVABLE memory and UNMOVABLE and
// RECLAIMABLE have nothing free.
func stealSetup(t *testing.T) (*System, *Zone, uint64) {
	t.Helper()
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	taken := drainMovable(t, s, z)
	k := taken[len(taken)/2]
	s.FreePages(k, MAX_ORDER-1)
	wantPFNs(t, "MOVABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE), []uint64{k})
	return s, z, k
}

// wantNoFree fails if any list of mt holds a free block.
func wantNoFree(t *testing.T, s *System, z *Zone, mt int) {
	t.Helper()
	for o := 0; o < MAX_ORDER; o++ {
		if l := freeList(s, z, o, mt); len(l) != 0 {
			t.Fatalf("%s order-%d list holds %#x, want empty", migratetypeNames[mt], o, l)
		}
	}
}

// ---------------------------------------------------------------------------
// 1. Splitting: __rmqueue_smallest and expand

// TestExpandLeavesOneBlockPerLowerOrder checks expand() as
// __rmqueue_smallest uses it: an order-0 page taken from a block of order
// k (the smallest free one of its migratetype) leaves exactly one free
// block at each order 0..k-1, the upper half at each step (page +
// 2^order), each put on free_list[migratetype] of its order with
// set_page_order, and nr_free and NR_FREE_PAGES move by exactly what was
// taken. The DMA zone has pcp->batch 1, so one order-0 allocation takes
// exactly one page from the buddy lists.
func TestExpandLeavesOneBlockPerLowerOrder(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dmaZone(s)
	if b := z.pageset[0].pcp.batch; b != 1 {
		t.Fatalf("precondition: DMA pcp batch %d, want 1", b)
	}
	for o := 0; o < MAX_ORDER-1; o++ {
		if l := freeList(s, z, o, MIGRATE_MOVABLE); len(l) != 0 {
			t.Fatalf("precondition: DMA MOVABLE order-%d list %#x not empty", o, l)
		}
	}
	top := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)
	if len(top) == 0 {
		t.Fatal("precondition: no MOVABLE order-10 block in DMA")
	}
	p := top[0]
	nr0, free0 := nrFreeAll(z), freePages(z)

	pfn := allocPages(t, s, GFP_DMA|GFP_MOVABLE, 0)
	if pfn != p {
		t.Fatalf("allocated pfn %#x, want the head of the order-10 list %#x", pfn, p)
	}
	for o := 0; o < MAX_ORDER-1; o++ {
		half := p + 1<<o
		wantPFNs(t, fmt.Sprintf("MOVABLE order-%d list", o), freeList(s, z, o, MIGRATE_MOVABLE), []uint64{half})
		wantBlock(t, s, half, uint(o))
		if z.freeArea[o].nrFree != nr0[o]+1 {
			t.Fatalf("nr_free[%d] = %d, want %d", o, z.freeArea[o].nrFree, nr0[o]+1)
		}
	}
	wantPFNs(t, "MOVABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE), top[1:])
	if z.freeArea[MAX_ORDER-1].nrFree != nr0[MAX_ORDER-1]-1 {
		t.Fatalf("nr_free[10] = %d, want %d", z.freeArea[MAX_ORDER-1].nrFree, nr0[MAX_ORDER-1]-1)
	}
	if got := freePages(z); got != free0-1 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0-1)
	}
	if pg := &s.pages[pfn]; pg.PageBuddy() || pg.count != 1 {
		t.Fatalf("allocated page: PageBuddy %v count %d, want a referenced non-buddy page", pg.PageBuddy(), pg.count)
	}
	checkInvariants(t, s)
}

// TestRmqueueSmallestTakesSmallestBlock checks __rmqueue_smallest: a
// request is served from the smallest order that has a block of its
// migratetype, taking the list head, and expand() splits only down to the
// requested order (an order-2 request leaves nothing at orders 0 and 1).
// Orders above 0 bypass the pcp lists (buffered_rmqueue), so
// NR_FREE_PAGES drops by exactly 2^order.
func TestRmqueueSmallestTakesSmallestBlock(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	p := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)[0]
	free0 := freePages(z)

	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 2); got != p {
		t.Fatalf("order-2 allocation got %#x, want %#x", got, p)
	}
	for o := 0; o < MAX_ORDER-1; o++ {
		var want []uint64
		if o >= 2 {
			want = []uint64{p + 1<<o}
		}
		wantPFNs(t, fmt.Sprintf("MOVABLE order-%d list", o), freeList(s, z, o, MIGRATE_MOVABLE), want)
		if z.freeArea[o].nrFree != uint64(len(want)) {
			t.Fatalf("nr_free[%d] = %d, want %d", o, z.freeArea[o].nrFree, len(want))
		}
	}
	if got := freePages(z); got != free0-4 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0-4)
	}
	// The smallest block that fits an order-1 request is the order-2 one.
	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 1); got != p+4 {
		t.Fatalf("order-1 allocation got %#x, want %#x", got, p+4)
	}
	wantPFNs(t, "MOVABLE order-1 list", freeList(s, z, 1, MIGRATE_MOVABLE), []uint64{p + 6})
	wantPFNs(t, "MOVABLE order-2 list", freeList(s, z, 2, MIGRATE_MOVABLE), nil)
	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 1); got != p+6 {
		t.Fatalf("order-1 allocation got %#x, want %#x", got, p+6)
	}
	if got := freePages(z); got != free0-8 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0-8)
	}
	checkInvariants(t, s)
}

// ---------------------------------------------------------------------------
// 2. Merging: __free_one_page

// TestFreeOnePageMergesAndPlacesByHigherBuddy checks __free_one_page:
// a freed block merges with its buddy (page_idx ^ (1 << order)) while the
// buddy is free at the same order, order by order; the result goes to the
// TAIL of its list when the buddy of the next-higher order is free (it is
// likely to merge soon), otherwise to the head; nr_free and NR_FREE_PAGES
// follow every merge. Freeing everything merges back to the boot-time
// order-10 block at the head of its list (order MAX_ORDER-1 never takes
// the tail).
func TestFreeOnePageMergesAndPlacesByHigherBuddy(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	lists0, free0 := allFreeLists(s, z), freePages(z)
	p := lists0[MAX_ORDER-1][MIGRATE_MOVABLE][0]
	const mov = MIGRATE_MOVABLE

	// Six order-1 blocks carved from p: A..F = p, p+2, ..., p+10.
	var blk [6]uint64
	for i := range blk {
		blk[i] = allocPages(t, s, GFP_HIGHUSER_MOVABLE, 1)
		if blk[i] != p+2*uint64(i) {
			t.Fatalf("order-1 allocation %d got %#x, want %#x", i, blk[i], p+2*uint64(i))
		}
	}
	a, b, c, d, e, f := blk[0], blk[1], blk[2], blk[3], blk[4], blk[5]
	wantPFNs(t, "order-1 list", freeList(s, z, 1, mov), nil)
	wantPFNs(t, "order-2 list", freeList(s, z, 2, mov), []uint64{p + 12})
	wantPFNs(t, "order-3 list", freeList(s, z, 3, mov), nil)
	free1 := freePages(z)
	if free1 != free0-12 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", free1, free0-12)
	}
	step := func(pfn uint64, freed int64) {
		t.Helper()
		s.FreePages(pfn, 1)
		free1 += freed
		if got := freePages(z); got != free1 {
			t.Fatalf("after freeing %#x: NR_FREE_PAGES %d, want %d", pfn, got, free1)
		}
		checkInvariants(t, s)
	}

	// C: buddy D is in use, so no merge; the order-2 buddy of C+D is A+B,
	// not free, so C goes to the head.
	step(c, 2)
	wantPFNs(t, "order-1 list after freeing C", freeList(s, z, 1, mov), []uint64{c})
	// D merges with C into an order-2 block at C, which stops at buddy A
	// (in use); its order-3 buddy E is in use: head of the order-2 list,
	// in front of p+12.
	step(d, 2)
	wantBlock(t, s, c, 2)
	wantPFNs(t, "order-1 list after freeing D", freeList(s, z, 1, mov), nil)
	wantPFNs(t, "order-2 list after freeing D", freeList(s, z, 2, mov), []uint64{c, p + 12})
	// E: buddy F in use; the order-2 buddy of E+F (p+12) is free: tail.
	step(e, 2)
	wantPFNs(t, "order-1 list after freeing E", freeList(s, z, 1, mov), []uint64{e})
	// A: buddy B in use; the order-2 buddy of A+B (C, merged above) is
	// free: tail, behind E.
	step(a, 2)
	wantPFNs(t, "order-1 list after freeing A", freeList(s, z, 1, mov), []uint64{e, a})
	// B merges with A, then with C's order-2 block, into an order-3 block
	// at p; E is free only at order 1, so it stops there; the order-4
	// buddy p+16 is free: tail of order 3.
	step(b, 2)
	wantBlock(t, s, p, 3)
	wantPFNs(t, "order-1 list after freeing B", freeList(s, z, 1, mov), []uint64{e})
	wantPFNs(t, "order-2 list after freeing B", freeList(s, z, 2, mov), []uint64{p + 12})
	wantPFNs(t, "order-3 list after freeing B", freeList(s, z, 3, mov), []uint64{p})
	// F completes the block: merges all the way to order 10.
	step(f, 2)
	if got := allFreeLists(s, z); !sameFreeLists(got, lists0) {
		t.Fatalf("after freeing everything the free lists differ from boot:\n got %v\nwant %v", got, lists0)
	}
	if free1 != free0 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", free1, free0)
	}
	checkInvariants(t, s)
}

// TestFreeOnePageCoalescesToMaxOrder checks the other half of the buddy
// rule on the order-0 path: free_hot_cold_page on a zone whose pcp->high is
// 0 (DMA) hands the page straight to free_pcppages_bulk, and
// __free_one_page merges it with the ten free buddies expand() left, back
// into the one order-10 block it came from, at the head of its list.
func TestFreeOnePageCoalescesToMaxOrder(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dmaZone(s)
	lists0, nr0, free0 := allFreeLists(s, z), nrFreeAll(z), freePages(z)
	pfn := allocPages(t, s, GFP_DMA|GFP_MOVABLE, 0)
	if freePages(z) != free0-1 {
		t.Fatalf("NR_FREE_PAGES %d after allocating, want %d", freePages(z), free0-1)
	}
	s.FreePages(pfn, 0)
	if z.pageset[0].pcp.count != 0 {
		t.Fatalf("pcp count %d, want 0 (pcp->high is 0 in DMA)", z.pageset[0].pcp.count)
	}
	if got := allFreeLists(s, z); !sameFreeLists(got, lists0) {
		t.Fatalf("free lists after the free differ from before the allocation:\n got %v\nwant %v", got, lists0)
	}
	if got := nrFreeAll(z); got != nr0 {
		t.Fatalf("nr_free %v, want %v", got, nr0)
	}
	wantBlock(t, s, pfn, MAX_ORDER-1)
	if got := freePages(z); got != free0 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0)
	}
	checkInvariants(t, s)
}

// ---------------------------------------------------------------------------
// 3. Fallback and stealing: __rmqueue, __rmqueue_fallback,
// try_to_steal_freepages

// TestRmqueueFallbackReclaimableBeforeMovable checks the fallbacks[] order
// in __rmqueue_fallback: with its own lists empty, an UNMOVABLE request
// looks at RECLAIMABLE before MOVABLE at the same order. It also checks
// try_to_steal_freepages for blocks of at least pageblock_order: the
// whole range of pageblocks (two for order 10) changes to the stealing
// type, and the split-off halves go to the stealer's lists.
func TestRmqueueFallbackReclaimableBeforeMovable(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	movable0 := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)
	p := movable0[0]

	// A RECLAIMABLE order-10 request steals the head MOVABLE block and
	// both its pageblocks; freed, it returns to the RECLAIMABLE list.
	wantZoneAlloc(t, s, z, MAX_ORDER-1, GFP_TEMPORARY, p)
	wantPageblock(t, z, p, MIGRATE_RECLAIMABLE)
	wantPageblock(t, z, p+pageblockNrPages, MIGRATE_RECLAIMABLE)
	s.FreePages(p, MAX_ORDER-1)
	wantPFNs(t, "RECLAIMABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_RECLAIMABLE), []uint64{p})
	wantPFNs(t, "MOVABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE), movable0[1:])

	// UNMOVABLE order-0: RECLAIMABLE wins over MOVABLE at order 10.
	if got := zoneAlloc(t, s, z, 0, GFP_KERNEL); got != p {
		t.Fatalf("UNMOVABLE allocation got %#x, want the RECLAIMABLE block %#x", got, p)
	}
	wantPageblock(t, z, p, MIGRATE_UNMOVABLE)
	wantPageblock(t, z, p+pageblockNrPages, MIGRATE_UNMOVABLE)
	wantNoFree(t, s, z, MIGRATE_RECLAIMABLE)
	wantPFNs(t, "MOVABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE), movable0[1:])
	// The rest of the block went to the UNMOVABLE lists (expand with
	// new_type), the largest half at order 9.
	wantPFNs(t, "UNMOVABLE order-9 list", freeList(s, z, 9, MIGRATE_UNMOVABLE), []uint64{p + 512})
	checkInvariants(t, s)
}

// TestRmqueueFallbackTakesLargestBlock checks __rmqueue_fallback's outer
// loop: it walks orders from MAX_ORDER-1 down, so a larger MOVABLE block is
// stolen before a smaller RECLAIMABLE one, even though RECLAIMABLE comes
// first in fallbacks[MIGRATE_UNMOVABLE].
func TestRmqueueFallbackTakesLargestBlock(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	movable0 := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)
	p, q := movable0[0], movable0[1]

	// RECLAIMABLE order-0: one pcp batch, from a stolen order-10 block;
	// RECLAIMABLE then has free blocks up to order 9.
	zoneAlloc(t, s, z, 0, GFP_TEMPORARY)
	wantPageblock(t, z, p, MIGRATE_RECLAIMABLE)
	wantPFNs(t, "RECLAIMABLE order-9 list", freeList(s, z, 9, MIGRATE_RECLAIMABLE), []uint64{p + 512})
	recl := allFreeLists(s, z)

	if got := zoneAlloc(t, s, z, 0, GFP_KERNEL); got != q {
		t.Fatalf("UNMOVABLE allocation got %#x, want the order-10 MOVABLE block %#x", got, q)
	}
	wantPageblock(t, z, q, MIGRATE_UNMOVABLE)
	wantPageblock(t, z, q+pageblockNrPages, MIGRATE_UNMOVABLE)
	got := allFreeLists(s, z)
	for o := 0; o < MAX_ORDER; o++ {
		wantPFNs(t, fmt.Sprintf("RECLAIMABLE order-%d list", o), got[o][MIGRATE_RECLAIMABLE], recl[o][MIGRATE_RECLAIMABLE])
	}
	wantPageblock(t, z, p, MIGRATE_RECLAIMABLE)
	checkInvariants(t, s)
}

// TestRmqueueFallbackMovableOrder checks fallbacks[MIGRATE_MOVABLE] with
// CONFIG_CMA=n: RECLAIMABLE, then UNMOVABLE. With one free order-10 block
// of each, a MOVABLE request takes the RECLAIMABLE one.
func TestRmqueueFallbackMovableOrder(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	taken := drainMovable(t, s, z)
	k1, k2 := taken[0], taken[1]
	s.FreePages(k1, MAX_ORDER-1)
	s.FreePages(k2, MAX_ORDER-1)
	// k2 was freed last: it is the list head and goes first.
	wantZoneAlloc(t, s, z, MAX_ORDER-1, GFP_KERNEL, k2)
	wantZoneAlloc(t, s, z, MAX_ORDER-1, GFP_TEMPORARY, k1)
	s.FreePages(k2, MAX_ORDER-1)
	s.FreePages(k1, MAX_ORDER-1)
	wantPFNs(t, "UNMOVABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_UNMOVABLE), []uint64{k2})
	wantPFNs(t, "RECLAIMABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_RECLAIMABLE), []uint64{k1})
	wantNoFree(t, s, z, MIGRATE_MOVABLE)

	wantZoneAlloc(t, s, z, 1, GFP_HIGHUSER_MOVABLE, k1)
	wantPageblock(t, z, k1, MIGRATE_MOVABLE)
	wantPageblock(t, z, k2, MIGRATE_UNMOVABLE)
	wantPFNs(t, "UNMOVABLE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_UNMOVABLE), []uint64{k2})
	checkInvariants(t, s)
}

// TestTryToStealFreepages checks try_to_steal_freepages case by case. The
// setup leaves one MOVABLE pageblock K with a chosen set of free blocks
// and nothing else free but the reserve; an order-1 request of another
// type then falls back to K's largest free block.
func TestTryToStealFreepages(t *testing.T) {
	const mov, unmov, recl = MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, MIGRATE_RECLAIMABLE
	// carve allocates MOVABLE blocks of the given orders, which must come
	// from K at the given offsets.
	carve := func(t *testing.T, s *System, z *Zone, k uint64, orders []uint, offs []uint64) {
		t.Helper()
		for i, o := range orders {
			wantZoneAlloc(t, s, z, o, GFP_HIGHUSER_MOVABLE, k+offs[i])
		}
	}

	// A block of order >= pageblock_order/2 in a pageblock with fewer
	// than pageblock_nr_pages/2 free pages: move_freepages_block still
	// moves every free page of the pageblock to the stealer's lists, but
	// the pageblock is not claimed, and expand() puts the halves back on
	// the fallback type's lists.
	t.Run("half-block order, pageblock not claimed", func(t *testing.T) {
		s, z, k := stealSetup(t)
		carve(t, s, z, k, []uint{5, 9, 8}, []uint64{0, 512, 256})
		// Free in K's first pageblock: k+32 (o5), k+64 (o6), k+128 (o7):
		// 224 pages < 256.
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, k+128)
		wantPageblock(t, z, k, mov)
		wantPFNs(t, "UNMOVABLE order-5 list", freeList(s, z, 5, unmov), []uint64{k + 32})
		wantPFNs(t, "UNMOVABLE order-6 list", freeList(s, z, 6, unmov), []uint64{k + 64})
		wantPFNs(t, "UNMOVABLE order-7 list", freeList(s, z, 7, unmov), nil)
		for o := 1; o <= 6; o++ {
			wantPFNs(t, fmt.Sprintf("MOVABLE order-%d list", o), freeList(s, z, o, mov), []uint64{k + 128 + 1<<o})
		}
		checkInvariants(t, s)
	})

	// At least half the pageblock free: claimed, and the halves go to the
	// stealer's lists too, each at the head (list_add) in front of the
	// blocks move_freepages put there.
	t.Run("half-block order, pageblock claimed", func(t *testing.T) {
		s, z, k := stealSetup(t)
		carve(t, s, z, k, []uint{5, 9}, []uint64{0, 512})
		// Free in the pageblock: 32+64+128+256 = 480 pages; the largest
		// is k+256 (o8).
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, k+256)
		wantPageblock(t, z, k, unmov)
		wantNoFree(t, s, z, mov)
		wantPFNs(t, "UNMOVABLE order-7 list", freeList(s, z, 7, unmov), []uint64{k + 384, k + 128})
		wantPFNs(t, "UNMOVABLE order-6 list", freeList(s, z, 6, unmov), []uint64{k + 320, k + 64})
		wantPFNs(t, "UNMOVABLE order-5 list", freeList(s, z, 5, unmov), []uint64{k + 288, k + 32})
		for o := 1; o <= 4; o++ {
			wantPFNs(t, fmt.Sprintf("UNMOVABLE order-%d list", o), freeList(s, z, o, unmov), []uint64{k + 256 + 1<<o})
		}
		checkInvariants(t, s)
	})

	// Exactly pageblock_nr_pages/2 free is enough: pages >= 1 <<
	// (pageblock_order-1).
	t.Run("exactly half the pageblock free", func(t *testing.T) {
		s, z, k := stealSetup(t)
		carve(t, s, z, k, []uint{8, 9}, []uint64{0, 512})
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, k+256)
		wantPageblock(t, z, k, unmov)
		wantNoFree(t, s, z, mov)
		wantPFNs(t, "UNMOVABLE order-7 list", freeList(s, z, 7, unmov), []uint64{k + 384})
		checkInvariants(t, s)
	})

	// A block of pageblock_order changes exactly one pageblock.
	t.Run("pageblock order changes one pageblock", func(t *testing.T) {
		s, z, k := stealSetup(t)
		carve(t, s, z, k, []uint{9}, []uint64{0})
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, k+512)
		wantPageblock(t, z, k, mov)
		wantPageblock(t, z, k+512, unmov)
		wantNoFree(t, s, z, mov)
		wantPFNs(t, "UNMOVABLE order-8 list", freeList(s, z, 8, unmov), []uint64{k + 768})
		checkInvariants(t, s)
	})

	// Order pageblock_order/2 (4) is the smallest that moves the
	// pageblock's free pages for an UNMOVABLE request: k+8 (o3) goes to
	// the UNMOVABLE list; 24 pages do not claim the pageblock.
	t.Run("order pageblock_order/2 moves free pages", func(t *testing.T) {
		s, z, k := stealSetup(t)
		carve(t, s, z, k, []uint{3, 9, 8, 7, 6, 5}, []uint64{0, 512, 256, 128, 64, 32})
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, k+16)
		wantPageblock(t, z, k, mov)
		wantPFNs(t, "UNMOVABLE order-3 list", freeList(s, z, 3, unmov), []uint64{k + 8})
		wantPFNs(t, "MOVABLE order-3 list", freeList(s, z, 3, mov), []uint64{k + 24})
		wantPFNs(t, "MOVABLE order-1 list", freeList(s, z, 1, mov), []uint64{k + 18})
		checkInvariants(t, s)
	})

	// Small blocks (order < pageblock_order/2) taken by an UNMOVABLE
	// request: nothing moves, the pageblock keeps its type, and the halves
	// go to the head of the MOVABLE lists.
	smallSetup := func(t *testing.T) (*System, *Zone, uint64) {
		s, z, k := stealSetup(t)
		carve(t, s, z, k, []uint{2, 9, 8, 7, 6, 5, 4}, []uint64{0, 512, 256, 128, 64, 32, 16})
		// Left free: k+4 (o2) and k+8 (o3).
		wantPFNs(t, "MOVABLE order-2 list", freeList(s, z, 2, mov), []uint64{k + 4})
		wantPFNs(t, "MOVABLE order-3 list", freeList(s, z, 3, mov), []uint64{k + 8})
		return s, z, k
	}
	t.Run("small block, unmovable", func(t *testing.T) {
		s, z, k := smallSetup(t)
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, k+8)
		wantPageblock(t, z, k, mov)
		wantNoFree(t, s, z, unmov)
		wantPFNs(t, "MOVABLE order-2 list", freeList(s, z, 2, mov), []uint64{k + 12, k + 4})
		wantPFNs(t, "MOVABLE order-1 list", freeList(s, z, 1, mov), []uint64{k + 10})
		checkInvariants(t, s)
	})

	// A RECLAIMABLE request moves the free pages of the pageblock even for
	// a small block, but claims the pageblock only past half.
	t.Run("small block, reclaimable", func(t *testing.T) {
		s, z, k := smallSetup(t)
		wantZoneAlloc(t, s, z, 1, GFP_TEMPORARY, k+8)
		wantPageblock(t, z, k, mov)
		wantPFNs(t, "RECLAIMABLE order-2 list", freeList(s, z, 2, recl), []uint64{k + 4})
		wantPFNs(t, "MOVABLE order-2 list", freeList(s, z, 2, mov), []uint64{k + 12})
		wantPFNs(t, "MOVABLE order-1 list", freeList(s, z, 1, mov), []uint64{k + 10})
		checkInvariants(t, s)
	})
}

// TestRmqueueReserveIsLastResort checks __rmqueue: MIGRATE_RESERVE is not
// in any fallback walk (__rmqueue_fallback stops at it); only when
// __rmqueue_fallback finds nothing does __rmqueue retry with
// MIGRATE_RESERVE, and the page then carries the RESERVE freepage
// migratetype.
func TestRmqueueReserveIsLastResort(t *testing.T) {
	s, z, k := stealSetup(t)
	reserve := freeList(s, z, MAX_ORDER-1, MIGRATE_RESERVE)
	r := reserve[0]
	for i, o := range []uint{3, 9, 8, 7, 6, 5, 4} {
		wantZoneAlloc(t, s, z, o, GFP_HIGHUSER_MOVABLE, k+[]uint64{0, 512, 256, 128, 64, 32, 16}[i])
	}
	// Only k+8 (o3) is free outside the reserve. Four UNMOVABLE order-1
	// requests use it up, largest-first, never touching the reserve.
	for _, want := range []uint64{k + 8, k + 12, k + 14, k + 10} {
		wantZoneAlloc(t, s, z, 1, GFP_KERNEL, want)
		wantPFNs(t, "RESERVE order-10 list", freeList(s, z, MAX_ORDER-1, MIGRATE_RESERVE), reserve)
		wantBlock(t, s, r, MAX_ORDER-1)
	}
	for _, mt := range []int{MIGRATE_UNMOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE} {
		wantNoFree(t, s, z, mt)
	}
	wantZoneAlloc(t, s, z, 1, GFP_KERNEL, r)
	if mt := s.pages[r].freepageMigratetype(); mt != MIGRATE_RESERVE {
		t.Fatalf("freepage migratetype of a page from the reserve is %s", migratetypeNames[mt])
	}
	wantPageblock(t, z, r, MIGRATE_RESERVE)
	for o := 1; o < MAX_ORDER-1; o++ {
		wantPFNs(t, fmt.Sprintf("RESERVE order-%d list", o), freeList(s, z, o, MIGRATE_RESERVE), []uint64{r + 1<<o})
	}
	checkInvariants(t, s)
}

// ---------------------------------------------------------------------------
// 4. Per-CPU lists: buffered_rmqueue, rmqueue_bulk, free_hot_cold_page,
// free_pcppages_bulk

// TestBufferedRmqueueRefillsPcpByBatch checks buffered_rmqueue and
// rmqueue_bulk: an order-0 allocation on a CPU with an empty pcp list takes
// pcp->batch pages from the buddy lists under one zone lock (NR_FREE_PAGES
// drops by batch at once), lists them in physical order (list_add after
// the previous page), hands out the head and leaves batch-1 on that CPU's
// list only. pcp->batch and pcp->high come from zone_batchsize (15 and 90
// for a 224 MiB zone).
func TestBufferedRmqueueRefillsPcpByBatch(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	pcp0, pcp1 := &z.pageset[0].pcp, &z.pageset[1].pcp
	if pcp0.batch != 15 || pcp0.high != 90 {
		t.Fatalf("DMA32 pcp batch %d high %d, want 15 and 90", pcp0.batch, pcp0.high)
	}
	batch := uint64(pcp0.batch)
	p := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)[0]
	free0 := freePages(z)

	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0); got != p {
		t.Fatalf("first order-0 allocation got %#x, want %#x", got, p)
	}
	if got := freePages(z); got != free0-int64(batch) {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0-int64(batch))
	}
	if pcp0.count != int(batch)-1 || pcp1.count != 0 {
		t.Fatalf("pcp counts cpu0 %d cpu1 %d, want %d and 0", pcp0.count, pcp1.count, batch-1)
	}
	var want []uint64
	for i := uint64(1); i < batch; i++ {
		want = append(want, p+i)
	}
	wantPFNs(t, "cpu0 MOVABLE pcp list", pcpList(s, z, 0, MIGRATE_MOVABLE), want)

	// CPU 1 refills its own list with the next batch.
	restore := s.onCPU(1)
	got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
	restore()
	if got != p+batch {
		t.Fatalf("first allocation on cpu1 got %#x, want %#x", got, p+batch)
	}
	want = want[:0]
	for i := uint64(1); i < batch; i++ {
		want = append(want, p+batch+i)
	}
	wantPFNs(t, "cpu1 MOVABLE pcp list", pcpList(s, z, 1, MIGRATE_MOVABLE), want)
	if pcp0.count != int(batch)-1 || pcp1.count != int(batch)-1 {
		t.Fatalf("pcp counts cpu0 %d cpu1 %d, want %d each", pcp0.count, pcp1.count, batch-1)
	}
	if got := freePages(z); got != free0-2*int64(batch) {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0-2*int64(batch))
	}
	checkInvariants(t, s)
}

// TestFreeHotColdPageOrder checks free_hot_cold_page and buffered_rmqueue:
// a hot free goes to the head of the pcp list and is the next page handed
// out (LIFO, cache-warm); a cold free goes to the tail, where only a
// __GFP_COLD allocation takes it.
func TestFreeHotColdPageOrder(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	pcp := &z.pageset[0].pcp
	x := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
	y := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
	if y != x+1 {
		t.Fatalf("second allocation got %#x, want %#x", y, x+1)
	}
	n := pcp.count

	s.FreePages(x, 0)
	if l := pcpList(s, z, 0, MIGRATE_MOVABLE); l[0] != x || pcp.count != n+1 {
		t.Fatalf("after a hot free the pcp list starts %#x (count %d), want %#x (count %d)", l[0], pcp.count, x, n+1)
	}
	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0); got != x {
		t.Fatalf("allocation after a hot free got %#x, want the page just freed %#x", got, x)
	}

	// free_hot_cold_page_list(list, cold=true), as release_pages callers
	// do once the last reference is gone.
	if !s.putPageTestzero(x) {
		t.Fatal("put_page_testzero did not drop the last reference")
	}
	s.FreeHotColdPageList([]uint64{x}, true)
	l := pcpList(s, z, 0, MIGRATE_MOVABLE)
	if l[len(l)-1] != x {
		t.Fatalf("after a cold free the pcp list ends %#x, want %#x", l[len(l)-1], x)
	}
	head := l[0]
	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0); got != head || got == x {
		t.Fatalf("hot allocation got %#x, want the list head %#x", got, head)
	}
	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE|GFP_COLD, 0); got != x {
		t.Fatalf("cold allocation got %#x, want the cold-freed page %#x", got, x)
	}
	checkInvariants(t, s)
}

// TestRmqueueBulkCold checks rmqueue_bulk with cold set: each page is
// list_add_tail'ed in front of the previous one, so the list runs in
// reverse physical order and the __GFP_COLD allocation takes the tail,
// the first page taken.
func TestRmqueueBulkCold(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	p := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)[0]
	if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE|GFP_COLD, 0); got != p {
		t.Fatalf("cold allocation got %#x, want %#x", got, p)
	}
	var want []uint64
	for i := uint64(z.pageset[0].pcp.batch) - 1; i >= 1; i-- {
		want = append(want, p+i)
	}
	wantPFNs(t, "MOVABLE pcp list", pcpList(s, z, 0, MIGRATE_MOVABLE), want)
	checkInvariants(t, s)
}

// TestFreeHotColdPageDrainsBatchAtHigh checks free_hot_cold_page and
// free_pcppages_bulk: nothing returns to the buddy lists until pcp->count
// reaches pcp->high; then pcp->batch pages go back, taken from the tail,
// that is the oldest hot frees first.
func TestFreeHotColdPageDrainsBatchAtHigh(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	pcp := &z.pageset[0].pcp
	high, batch := pcp.high, pcp.batch
	var pages []uint64
	for i := 0; i < high; i++ {
		pages = append(pages, allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0))
	}
	if high%batch != 0 || pcp.count != 0 {
		t.Fatalf("precondition: high %d batch %d, pcp count %d after %d allocations", high, batch, pcp.count, high)
	}
	free0 := freePages(z)
	for i, pfn := range pages[:high-1] {
		s.FreePages(pfn, 0)
		if pcp.count != i+1 || freePages(z) != free0 {
			t.Fatalf("after %d frees: pcp count %d NR_FREE_PAGES %d, want %d and %d", i+1, pcp.count, freePages(z), i+1, free0)
		}
	}
	s.FreePages(pages[high-1], 0)
	if pcp.count != high-batch {
		t.Fatalf("pcp count %d after reaching high, want %d", pcp.count, high-batch)
	}
	if got := freePages(z); got != free0+int64(batch) {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0+int64(batch))
	}
	for _, pfn := range pages[:batch] {
		if _, _, _, ok := freeBlockOf(s, z, pfn); !ok || onPcp(s, z, pfn) {
			t.Fatalf("pfn %#x, among the oldest frees, is not back in the buddy lists", pfn)
		}
	}
	want := slices.Clone(pages[batch:])
	slices.Reverse(want)
	wantPFNs(t, "MOVABLE pcp list", pcpList(s, z, 0, MIGRATE_MOVABLE), want)
	checkInvariants(t, s)
}

// TestFreeHotColdPageReserveGoesToMovableList checks free_hot_cold_page
// for a page of a MIGRATE_RESERVE pageblock: it is kept on the MOVABLE
// pcp list with its freepage migratetype RESERVE, and free_pcppages_bulk
// gives it back to the RESERVE buddy list. The pageblock is made a
// reserve block the way setup_zone_migrate_reserve does it.
func TestFreeHotColdPageReserveGoesToMovableList(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	pcp := &z.pageset[0].pcp
	free0 := freePages(z)
	x := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
	z.setPageblockMigratetype(x, MIGRATE_RESERVE)
	z.moveFreepagesBlock(x, MIGRATE_RESERVE)
	n := pcp.count

	s.FreePages(x, 0)
	if pcp.count != n+1 {
		t.Fatalf("pcp count %d, want %d", pcp.count, n+1)
	}
	if l := pcpList(s, z, 0, MIGRATE_MOVABLE); l[0] != x {
		t.Fatalf("MOVABLE pcp list starts %#x, want the reserve page %#x", l[0], x)
	}
	if mt := s.pages[x].freepageMigratetype(); mt != MIGRATE_RESERVE {
		t.Fatalf("freepage migratetype %s, want Reserve", migratetypeNames[mt])
	}
	s.DrainAllPages()
	if pcp.count != 0 {
		t.Fatalf("pcp count %d after drain_all_pages", pcp.count)
	}
	// x was freed hot, so it is drained last and the merged block it
	// completes goes on x's freepage migratetype's list.
	head, order, mt, ok := freeBlockOf(s, z, x)
	if !ok || mt != MIGRATE_RESERVE || order != MAX_ORDER-1 || head != x {
		t.Fatalf("after the drain pfn %#x is in block %#x order %d on the %s list (found %v), want its own order-10 block on Reserve",
			x, head, order, migratetypeNames[mt], ok)
	}
	if got := freePages(z); got != free0 {
		t.Fatalf("NR_FREE_PAGES %d, want %d", got, free0)
	}
	checkInvariants(t, s)
}

// ---------------------------------------------------------------------------
// 5. bad_page: free_pages_check and check_new_page

// logSince returns the text of the records after the first n.
func logSince(l *klog.Log, n int) []klog.Record { return l.Records()[n:] }

// pageFlagsLine is the dump_page_flags line for a DMA32 page of node 0
// whose last cpupid was reset, with extra flags: %#lx of the whole word,
// then the names of the flag bits.
func pageFlagsLine(extra uint64, names string) string {
	flags := uint64(ZONE_DMA32)<<ZONES_PGOFF | LAST_CPUPID_MASK<<LAST_CPUPID_PGOFF | extra
	return fmt.Sprintf("page flags: %#x(%s)", flags, names)
}

// checkBadPageReport checks the report bad_page prints: the first line
// with the process and pfn (%05lx), dump_page_badflags (page, count,
// mapcount, mapping, index; page flags; the reason; the bad flags if any),
// print_modules, dump_stack, and the taint. All but the stack lines are
// KERN_ALERT.
func checkBadPageReport(t *testing.T, l *klog.Log, recs []klog.Record, want []string) {
	t.Helper()
	if len(recs) < len(want)+2 {
		t.Fatalf("report has %d lines, want at least %d:\n%v", len(recs), len(want)+2, recs)
	}
	for i, w := range want {
		if recs[i].Text != w {
			t.Fatalf("report line %d = %q, want %q", i, recs[i].Text, w)
		}
		if recs[i].Level != klog.KernAlert {
			t.Fatalf("report line %d %q has level %v, want KERN_ALERT", i, recs[i].Text, recs[i].Level)
		}
	}
	rest := recs[len(want):]
	if rest[0].Text != "Modules linked in:" {
		t.Fatalf("after dump_page: %q, want print_modules' line", rest[0].Text)
	}
	if !strings.HasPrefix(rest[1].Text, "CPU: 0 PID: 0 Comm: swapper/0 Not tainted") {
		t.Fatalf("dump_stack header %q", rest[1].Text)
	}
	trace := false
	for _, r := range rest {
		trace = trace || r.Text == "Call Trace:"
	}
	if !trace {
		t.Fatal("no Call Trace in the report")
	}
	if !l.TestTaint(klog.TaintBadPage) {
		t.Fatal("kernel not tainted with TAINT_BAD_PAGE")
	}
	if got := l.PrintTainted(); got != "Tainted: G    B        " {
		t.Fatalf("taint %q, want B only", got)
	}
}

// TestFreePagesCheckBadPage checks free_pages_check: a page freed with a
// flag of PAGE_FLAGS_CHECK_AT_FREE set (PG_lru), a nonzero mapcount or a
// non-NULL mapping is reported by bad_page with the v3.16 text, taints the
// kernel with B, has its _mapcount reset, and is not freed: it is on no
// free or pcp list, NR_FREE_PAGES does not move, and the next allocation
// (which would otherwise return the page just freed, LIFO) returns another
// page.
func TestFreePagesCheckBadPage(t *testing.T) {
	const mappingHandle = 2 // an address_space, not anon
	cases := []struct {
		name    string
		corrupt func(p *Page)
		counts  string
		reason  []string
	}{
		{
			name:    "PG_lru",
			corrupt: func(p *Page) { p.setFlag(PG_lru) },
			counts:  "count:0 mapcount:0 mapping:          (null) index:0x2",
			reason: []string{
				pageFlagsLine(1<<PG_lru, "lru"),
				"page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
				"bad because of flags:",
				"page flags: 0x20(lru)",
			},
		},
		{
			name:    "mapcount",
			corrupt: func(p *Page) { p.mapcount = 1 },
			counts:  "count:0 mapcount:1 mapping:          (null) index:0x2",
			reason:  []string{pageFlagsLine(0, ""), "page dumped because: nonzero mapcount"},
		},
		{
			name:    "mapping",
			corrupt: func(p *Page) { p.mapping = mappingHandle },
			counts:  "count:0 mapcount:0 mapping:ffff880000000200 index:0x2",
			reason:  []string{pageFlagsLine(0, ""), "page dumped because: non-NULL mapping"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, l := bootWithLog(t)
			z := dma32Zone(s)
			pcp := &z.pageset[0].pcp
			x := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
			tc.corrupt(&s.pages[x])
			mark, free0, n := len(l.Records()), freePages(z), pcp.count

			s.FreePages(x, 0)
			want := append([]string{
				fmt.Sprintf("BUG: Bad page state in process swapper/0  pfn:%05x", x),
				fmt.Sprintf("page:%016x %s", VMEMMAP_START+x*SizeofStructPage, tc.counts),
			}, tc.reason...)
			checkBadPageReport(t, l, logSince(l, mark), want)
			if s.pages[x].mapcount != 0 {
				t.Fatalf("mapcount %d after bad_page, want it reset", s.pages[x].mapcount)
			}
			if pcp.count != n || onPcp(s, z, x) || freePages(z) != free0 {
				t.Fatalf("bad page was freed: pcp count %d (was %d), on pcp %v, NR_FREE_PAGES %d (was %d)",
					pcp.count, n, onPcp(s, z, x), freePages(z), free0)
			}
			if _, _, _, ok := freeBlockOf(s, z, x); ok {
				t.Fatalf("bad page %#x is on a buddy list", x)
			}
			if got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0); got == x {
				t.Fatalf("allocator handed out the bad page %#x", x)
			}
			checkInvariants(t, s, x)
		})
	}
}

// TestFreePagesPrepareClearsAnonMapping checks free_pages_prepare: an
// anonymous page's mapping (PAGE_MAPPING_ANON set) is cleared before
// free_pages_check, so freeing it is not a bad page.
func TestFreePagesPrepareClearsAnonMapping(t *testing.T) {
	s, l := bootWithLog(t)
	z := dma32Zone(s)
	x := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
	s.pages[x].mapping = 2 | PAGE_MAPPING_ANON
	mark := len(l.Records())
	s.FreePages(x, 0)
	if recs := logSince(l, mark); len(recs) != 0 || l.TestTaint(klog.TaintBadPage) {
		t.Fatalf("freeing an anon page reported %v", recs)
	}
	if s.pages[x].mapping != 0 || pcpList(s, z, 0, MIGRATE_MOVABLE)[0] != x {
		t.Fatalf("anon page not freed cleanly: mapping %d", s.pages[x].mapping)
	}
	checkInvariants(t, s)
}

// TestCheckNewPageBadPage checks check_new_page via prep_new_page: a page
// about to be handed out with a flag set (PG_dirty on the head of a free
// block, as memory corruption would leave it) is reported as
// "PAGE_FLAGS_CHECK_AT_PREP flag set" with the bad flag listed, and
// buffered_rmqueue goes back for another page; the bad one is leaked.
func TestCheckNewPageBadPage(t *testing.T) {
	s, l := bootWithLog(t)
	z := dma32Zone(s)
	p := freeList(s, z, MAX_ORDER-1, MIGRATE_MOVABLE)[0]
	s.pages[p].setFlag(PG_dirty)
	mark, free0 := len(l.Records()), freePages(z)

	got := allocPages(t, s, GFP_HIGHUSER_MOVABLE, 0)
	if got != p+1 {
		t.Fatalf("allocation got %#x, want %#x (the page after the bad one)", got, p+1)
	}
	checkBadPageReport(t, l, logSince(l, mark), []string{
		fmt.Sprintf("BUG: Bad page state in process swapper/0  pfn:%05x", p),
		// index is the freepage migratetype __rmqueue_smallest set.
		fmt.Sprintf("page:%016x count:0 mapcount:0 mapping:          (null) index:0x2", VMEMMAP_START+p*SizeofStructPage),
		pageFlagsLine(1<<PG_dirty, "dirty"),
		"page dumped because: PAGE_FLAGS_CHECK_AT_PREP flag set",
		"bad because of flags:",
		"page flags: 0x10(dirty)",
	})
	pcp := &z.pageset[0].pcp
	if batch := pcp.batch; pcp.count != batch-2 || freePages(z) != free0-int64(batch) {
		t.Fatalf("pcp count %d NR_FREE_PAGES %d, want %d and %d", pcp.count, freePages(z), batch-2, free0-int64(batch))
	}
	if onPcp(s, z, p) {
		t.Fatal("bad page still on the pcp list")
	}
	if _, _, _, ok := freeBlockOf(s, z, p); ok {
		t.Fatal("bad page on a buddy list")
	}
	checkInvariants(t, s, p)
}

// TestDumpPageFlagsFormat checks dump_page_flags: "%#lx" of the whole
// word (the kernel's vsprintf prints 0x0 for zero, unlike C's printf),
// then the flag names in bit order joined by '|'.
func TestDumpPageFlagsFormat(t *testing.T) {
	s, l := bootWithLog(t)
	mark := len(l.Records())
	s.dumpPageFlags(0)
	s.dumpPageFlags(1<<PG_locked | 1<<PG_dirty | 1<<PG_swapbacked)
	recs := logSince(l, mark)
	want := []string{"page flags: 0x0()", "page flags: 0x80011(locked|dirty|swapbacked)"}
	if len(recs) != len(want) {
		t.Fatalf("got %v, want %q", recs, want)
	}
	for i := range want {
		if recs[i].Text != want[i] {
			t.Fatalf("line %d = %q, want %q", i, recs[i].Text, want[i])
		}
	}
	checkInvariants(t, s)
}

// ---------------------------------------------------------------------------
// 6. Watermarks: __zone_watermark_ok, gfp_to_alloc_flags

// TestZoneWatermarkOkOrder0 checks __zone_watermark_ok for order 0: the
// check fails when free pages are <= mark + lowmem_reserve[classzone_idx],
// and setup_per_zone_lowmem_reserve makes DMA keep back
// managed(DMA32)/256 pages from allocations that could use DMA32.
func TestZoneWatermarkOkOrder0(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dmaZone(s)
	if want := dma32Zone(s).managedPages / 256; z.lowmemReserve[ZONE_DMA32] != want || want == 0 {
		t.Fatalf("DMA lowmem_reserve[DMA32] = %d, want %d", z.lowmemReserve[ZONE_DMA32], want)
	}
	mark := z.minWmarkPages()
	for _, cz := range []int{ZONE_DMA, ZONE_DMA32, ZONE_NORMAL} {
		limit := int64(mark + z.lowmemReserve[cz])
		if z.__zoneWatermarkOk(0, mark, cz, 0, limit) {
			t.Errorf("classzone %d: %d free pages passed mark %d + reserve %d", cz, limit, mark, z.lowmemReserve[cz])
		}
		if !z.__zoneWatermarkOk(0, mark, cz, 0, limit+1) {
			t.Errorf("classzone %d: %d free pages failed mark %d + reserve %d", cz, limit+1, mark, z.lowmemReserve[cz])
		}
		// An order-2 request first takes away its own 2^2-1 extra pages.
		if z.__zoneWatermarkOk(2, mark, cz, 0, limit+3) || !z.__zoneWatermarkOk(2, mark, cz, 0, limit+4) {
			t.Errorf("classzone %d: order-2 boundary is not at mark + reserve + 3", cz)
		}
	}
	checkInvariants(t, s)
}

// TestZoneWatermarkOkAllocHighHarder checks the mark adjustments of
// __zone_watermark_ok: ALLOC_HIGH takes off half (min -= min/2), then
// ALLOC_HARDER a quarter of what is left (min -= min/4), in integer
// arithmetic.
func TestZoneWatermarkOkAllocHighHarder(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	if z.lowmemReserve[ZONE_DMA32] != 0 {
		t.Fatal("precondition: a zone keeps no reserve from its own classzone")
	}
	const mark = 1001
	for _, c := range []struct {
		flags int
		limit int64
	}{
		{0, 1001},
		{ALLOC_HIGH, 501},                // 1001 - 500
		{ALLOC_HARDER, 751},              // 1001 - 250
		{ALLOC_HIGH | ALLOC_HARDER, 376}, // 501 - 125
	} {
		if z.__zoneWatermarkOk(0, mark, ZONE_DMA32, c.flags, c.limit) {
			t.Errorf("flags %#x: %d free pages passed, want the limit there", c.flags, c.limit)
		}
		if !z.__zoneWatermarkOk(0, mark, ZONE_DMA32, c.flags, c.limit+1) {
			t.Errorf("flags %#x: %d free pages failed", c.flags, c.limit+1)
		}
	}
	checkInvariants(t, s)
}

// TestZoneWatermarkOkHighOrder checks the per-order loop of
// __zone_watermark_ok: for each order below the request, the free pages in
// blocks of that order stop counting and the requirement halves. A zone
// whose free memory is 256 isolated order-0 pages and one order-4 block
// has 272 free pages, far above a mark of 30, yet refuses an order-1
// request at that mark: only 16 pages are in blocks of order >= 1, not
// more than 30/2. The state is built by split_page and freeing every other
// page, as a fragmenting workload would.
func TestZoneWatermarkOkHighOrder(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	taken := drainMovable(t, s, z)
	zoneAlloc(t, s, z, MAX_ORDER-1, GFP_HIGHUSER_MOVABLE) // the reserve block
	k := taken[0]
	s.splitPage(k, MAX_ORDER-1)
	for i := uint64(0); i < 512; i += 2 {
		s.FreePages(k+i, 0)
	}
	for i := uint64(512); i < 528; i++ {
		s.FreePages(k+i, 0)
	}
	s.DrainAllPages()
	foldVMStats(s)
	if got := z.zonePageState(NR_FREE_PAGES); got != 272 || z.freeArea[0].nrFree != 256 || z.freeArea[4].nrFree != 1 {
		t.Fatalf("precondition: %d free pages, nr_free[0] %d, nr_free[4] %d; want 272, 256, 1",
			got, z.freeArea[0].nrFree, z.freeArea[4].nrFree)
	}
	wantBlock(t, s, k+512, 4)
	for _, c := range []struct {
		order uint
		mark  uint64
		ok    bool
	}{
		{0, 271, true}, {0, 272, false},
		// order 1: 271 > mark, then 271-256 = 15 > mark/2.
		{1, 29, true}, {1, 30, false},
		// order 4: 257 > mark, then 1 > mark>>1, >>2, >>3, >>4.
		{4, 1, true}, {4, 2, false},
		// order 5: no block is large enough, whatever the mark.
		{5, 0, false},
	} {
		if got := z.zoneWatermarkOk(c.order, c.mark, ZONE_DMA32, 0); got != c.ok {
			t.Errorf("zone_watermark_ok(order %d, mark %d) = %v, want %v", c.order, c.mark, got, c.ok)
		}
	}
	checkInvariants(t, s)
}

// TestGfpToAllocFlags checks gfp_to_alloc_flags: every slow-path attempt is
// at the min watermark; __GFP_HIGH is ALLOC_HIGH; an atomic request (no
// __GFP_WAIT, no __GFP_NO_KSWAPD) gets ALLOC_HARDER unless
// __GFP_NOMEMALLOC and drops ALLOC_CPUSET; __GFP_MEMALLOC or a
// PF_MEMALLOC task ignores watermarks unless __GFP_NOMEMALLOC.
func TestGfpToAllocFlags(t *testing.T) {
	s := bootMachine(t, Env{})
	for _, c := range []struct {
		gfp  GFP
		want int
	}{
		{GFP_ATOMIC, ALLOC_WMARK_MIN | ALLOC_HIGH | ALLOC_HARDER},
		{GFP_NOWAIT, ALLOC_WMARK_MIN | ALLOC_HARDER},
		{GFP_ATOMIC | GFP_NOMEMALLOC, ALLOC_WMARK_MIN | ALLOC_HIGH},
		{GFP_NOWAIT | GFP_NO_KSWAPD, ALLOC_WMARK_MIN | ALLOC_CPUSET},
		{GFP_KERNEL, ALLOC_WMARK_MIN | ALLOC_CPUSET},
		{GFP_KERNEL | GFP_HIGH, ALLOC_WMARK_MIN | ALLOC_CPUSET | ALLOC_HIGH},
		{GFP_KERNEL | GFP_MEMALLOC, ALLOC_WMARK_MIN | ALLOC_CPUSET | ALLOC_NO_WATERMARKS},
		{GFP_ATOMIC | GFP_MEMALLOC | GFP_NOMEMALLOC, ALLOC_WMARK_MIN | ALLOC_HIGH},
	} {
		if got := s.gfpToAllocFlags(c.gfp); got != c.want {
			t.Errorf("gfp_to_alloc_flags(%#x) = %#x, want %#x", c.gfp, got, c.want)
		}
	}
	s.bootTask.Flags |= sim.PF_MEMALLOC
	if got, want := s.gfpToAllocFlags(GFP_KERNEL), ALLOC_WMARK_MIN|ALLOC_CPUSET|ALLOC_NO_WATERMARKS; got != want {
		t.Errorf("PF_MEMALLOC task: gfp_to_alloc_flags(GFP_KERNEL) = %#x, want %#x", got, want)
	}
	if got, want := s.gfpToAllocFlags(GFP_KERNEL|GFP_NOMEMALLOC), ALLOC_WMARK_MIN|ALLOC_CPUSET; got != want {
		t.Errorf("PF_MEMALLOC task: gfp_to_alloc_flags(GFP_KERNEL|__GFP_NOMEMALLOC) = %#x, want %#x", got, want)
	}
	s.bootTask.Flags &^= sim.PF_MEMALLOC
	checkInvariants(t, s)
}

// TestAtomicAllocationBelowMin checks what gfp_to_alloc_flags means for
// get_page_from_freelist: on a zone with free pages below its min
// watermark but above min/2 - min/8, a GFP_ATOMIC request (ALLOC_HIGH and
// ALLOC_HARDER) still gets a page where GFP_KERNEL and GFP_NOWAIT fail;
// lower still, GFP_ATOMIC|__GFP_NOMEMALLOC (ALLOC_HIGH only) fails too.
func TestAtomicAllocationBelowMin(t *testing.T) {
	s := bootMachine(t, Env{})
	z := dma32Zone(s)
	drainMovable(t, s, z)
	r := freeList(s, z, MAX_ORDER-1, MIGRATE_RESERVE)[0]
	// Leave only r+768 (order 8) of the reserve block.
	wantZoneAlloc(t, s, z, 9, GFP_HIGHUSER_MOVABLE, r)
	wantZoneAlloc(t, s, z, 8, GFP_HIGHUSER_MOVABLE, r+512)
	zl := &zonelist{zones: []*Zone{z}}
	wmin := int64(z.minWmarkPages())
	try := func(gfp GFP) bool {
		flags := s.gfpToAllocFlags(gfp)
		pfn, ok := s.getPageFromFreelist(gfp, 0, zl, ZONE_NORMAL, flags, z, ZONE_DMA32, s.allocflagsToMigratetype(gfp))
		if ok {
			s.FreePages(pfn, 0)
			s.DrainAllPages()
			foldVMStats(s)
		}
		return ok
	}

	foldVMStats(s)
	free := z.zonePageState(NR_FREE_PAGES)
	highHarder := wmin - wmin/2 - (wmin-wmin/2)/4
	highOnly := wmin - wmin/2
	if !(highOnly < free && free <= wmin-wmin/4) {
		t.Fatalf("precondition: %d free pages, want between %d and %d (min %d)", free, highOnly, wmin-wmin/4, wmin)
	}
	for _, c := range []struct {
		name string
		gfp  GFP
		ok   bool
	}{
		{"GFP_KERNEL", GFP_KERNEL, false},
		{"GFP_NOWAIT", GFP_NOWAIT, false},
		{"GFP_ATOMIC|__GFP_NOMEMALLOC", GFP_ATOMIC | GFP_NOMEMALLOC, true},
		{"GFP_ATOMIC", GFP_ATOMIC, true},
	} {
		if got := try(c.gfp); got != c.ok {
			t.Errorf("%d free pages, min %d: %s allocation ok=%v, want %v", free, wmin, c.name, got, c.ok)
		}
	}

	// Take 64 more pages: now below the ALLOC_HIGH-only mark.
	zoneAlloc(t, s, z, 6, GFP_HIGHUSER_MOVABLE)
	foldVMStats(s)
	free = z.zonePageState(NR_FREE_PAGES)
	if !(highHarder < free && free <= highOnly) {
		t.Fatalf("precondition: %d free pages, want between %d and %d", free, highHarder, highOnly)
	}
	if try(GFP_ATOMIC | GFP_NOMEMALLOC) {
		t.Errorf("%d free pages: GFP_ATOMIC|__GFP_NOMEMALLOC allocation succeeded below min/2", free)
	}
	if !try(GFP_ATOMIC) {
		t.Errorf("%d free pages: GFP_ATOMIC allocation failed above min/2 - min/8", free)
	}
	checkInvariants(t, s)
}
