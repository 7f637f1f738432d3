// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/sim"

// Zones, nodes, free areas and per-CPU page lists: include/linux/mmzone.h.

// Zone indexes, enum zone_type for x86_64 with ZONE_DMA and ZONE_DMA32 and
// no HIGHMEM.
const (
	ZONE_DMA = iota
	ZONE_DMA32
	ZONE_NORMAL
	ZONE_MOVABLE
	MAX_NR_ZONES
)

var zoneNames = [MAX_NR_ZONES]string{"DMA", "DMA32", "Normal", "Movable"}

// MAX_ORDER is the number of buddy orders: blocks of 1..1024 pages.
const MAX_ORDER = 11

// MAX_ORDER_NR_PAGES is the largest buddy block in pages.
const MAX_ORDER_NR_PAGES = 1 << (MAX_ORDER - 1)

// pageblock_order is HUGETLB_PAGE_ORDER on x86_64: 2 MiB blocks.
const (
	pageblockOrder   = 9
	pageblockNrPages = 1 << pageblockOrder
)

// PAGE_ALLOC_COSTLY_ORDER: above this, the allocator does not loop or OOM.
const PAGE_ALLOC_COSTLY_ORDER = 3

// Migrate types. With CONFIG_CMA=n and CONFIG_MEMORY_ISOLATION=n there are
// four: the three pcp types and MIGRATE_RESERVE.
const (
	MIGRATE_UNMOVABLE = iota
	MIGRATE_RECLAIMABLE
	MIGRATE_MOVABLE
	MIGRATE_PCPTYPES
	MIGRATE_RESERVE = MIGRATE_PCPTYPES
	MIGRATE_TYPES   = MIGRATE_RESERVE + 1
)

var migratetypeNames = [MIGRATE_TYPES]string{"Unmovable", "Reclaimable", "Movable", "Reserve"}

// Watermark indexes, enum zone_watermarks.
const (
	WMARK_MIN = iota
	WMARK_LOW
	WMARK_HIGH
	NR_WMARK
)

// Pageblock flag bits (include/linux/pageblock-flags.h): three bits of
// migratetype and, with CONFIG_COMPACTION, the skip hint.
const (
	PB_migrate      = 0
	PB_migrate_end  = 2
	PB_migrate_skip = 3
)

const migratetypeMask = 1<<(PB_migrate_end-PB_migrate+1) - 1

// freeArea is struct free_area: one free list per migratetype at one order.
type freeArea struct {
	freeList [MIGRATE_TYPES]ListHead
	nrFree   uint64
}

// perCPUPages is struct per_cpu_pages: the hot/cold order-0 cache.
type perCPUPages struct {
	count int // pages on the lists
	high  int // drain to the buddy above this
	batch int // chunk size for buddy add/remove
	lists [MIGRATE_PCPTYPES]ListHead
}

// perCPUPageset is struct per_cpu_pageset: the pcp lists plus the per-CPU
// vmstat differentials.
type perCPUPageset struct {
	pcp           perCPUPages
	statThreshold int8
	// expire counts down the vmstat intervals before a remote zone's pcp
	// pages are drained (CONFIG_NUMA).
	expire     int8
	vmStatDiff [NR_VM_ZONE_STAT_ITEMS]int8
}

// Zone is struct zone.
type Zone struct {
	sys  *System
	node *Node
	// idx is zone_idx(zone).
	idx  int
	Name string

	watermark [NR_WMARK]uint64
	// percpuDriftMark: below this, watermark checks take a snapshot that
	// includes the per-CPU differentials (zone_watermark_ok_safe).
	percpuDriftMark uint64

	// lowmemReserve[j] is the number of pages this zone keeps back from
	// allocations whose highest allowed zone is j.
	lowmemReserve [MAX_NR_ZONES]uint64

	dirtyBalanceReserve uint64

	pageset []perCPUPageset // per CPU

	// pageblockFlags holds NR_PAGEBLOCK_BITS per pageblock, one byte each.
	pageblockFlags []uint8

	zoneStartPFN uint64
	// managed: pages the buddy allocator manages (present minus reserved);
	// spanned: the PFN range; present: pages that exist in it.
	managedPages, spannedPages, presentPages uint64

	freeArea [MAX_ORDER]freeArea

	nrMigrateReserveBlock int

	// pagesScanned since the last page freed (zone_reclaimable).
	pagesScanned uint64

	vmStat [NR_VM_ZONE_STAT_ITEMS]int64

	// inactiveRatio is the target active:inactive anon ratio.
	inactiveRatio uint64

	// Deferred compaction (compaction_deferred and friends).
	compactConsidered  uint64
	compactDeferShift  uint
	compactOrderFailed uint
	// Compaction's scanner cache (compaction.go): where the free scanner
	// and the async [0] and sync [1] migrate scanners resume, and whether
	// kswapd should flush the PB_migrate_skip hints when it next sleeps.
	compactCachedFreePFN    uint64
	compactCachedMigratePFN [2]uint64
	compactBlockskipFlush   bool

	// oomLocked is ZONE_OOM_LOCKED.
	oomLocked bool

	lruvec lruvec

	// waitTable holds the page wait queues (zone->wait_table), made on
	// first use.
	waitTable []sim.WaitQueue

	// flags holds enum zone_flags bits (ZONE_CONGESTED, ...).
	flags uint64
}

// Node is struct pglist_data.
type Node struct {
	ID               int
	zones            [MAX_NR_ZONES]Zone
	nrZones          int
	nodeStartPFN     uint64
	nodePresentPages uint64
	nodeSpannedPages uint64
	// zonelists[0] is ZONELIST_FALLBACK, [1] ZONELIST_NOFALLBACK for
	// __GFP_THISNODE.
	zonelists [2]zonelist

	// kswapd_wait, kswapd_max_order and classzone_idx: what an allocation
	// asks kswapd to balance.
	kswapdWait     sim.WaitQueue
	kswapdMaxOrder uint
	classzoneIdx   int
	// pfmemallocWait holds direct reclaimers throttled by
	// throttle_direct_reclaim.
	pfmemallocWait sim.WaitQueue
	// kswapdStarted and kswapdIdle: the thread exists, and is in
	// kswapd_try_to_sleep rather than reclaiming.
	kswapdStarted, kswapdIdle bool
}

// Zone returns node zone i.
func (n *Node) Zone(i int) *Zone { return &n.zones[i] }

// zoneEndPFN is zone_end_pfn().
func (z *Zone) zoneEndPFN() uint64 { return z.zoneStartPFN + z.spannedPages }

// zoneSpansPFN is zone_spans_pfn().
func (z *Zone) zoneSpansPFN(pfn uint64) bool {
	return z.zoneStartPFN <= pfn && pfn < z.zoneEndPFN()
}

// populatedZone is populated_zone(): the zone has present pages.
func (z *Zone) populatedZone() bool { return z.presentPages != 0 }

// Idx is zone_idx().
func (z *Zone) Idx() int { return z.idx }

// NodeID is zone_to_nid().
func (z *Zone) NodeID() int { return z.node.ID }

// Managed, Spanned, Present, StartPFN report the zone's sizes.
func (z *Zone) Managed() uint64  { return z.managedPages }
func (z *Zone) Spanned() uint64  { return z.spannedPages }
func (z *Zone) Present() uint64  { return z.presentPages }
func (z *Zone) StartPFN() uint64 { return z.zoneStartPFN }

// Watermark returns min, low or high (WMARK_*).
func (z *Zone) Watermark(i int) uint64 { return z.watermark[i] }

// LowmemReserve returns lowmem_reserve[classzone].
func (z *Zone) LowmemReserve(classzone int) uint64 { return z.lowmemReserve[classzone] }

// NrFree returns free_area[order].nr_free.
func (z *Zone) NrFree(order int) uint64 { return z.freeArea[order].nrFree }

func (z *Zone) minWmarkPages() uint64  { return z.watermark[WMARK_MIN] }
func (z *Zone) lowWmarkPages() uint64  { return z.watermark[WMARK_LOW] }
func (z *Zone) highWmarkPages() uint64 { return z.watermark[WMARK_HIGH] }

// pageblockIndex is the index of pfn's pageblock within the zone's bitmap
// (pfn_to_bitidx, which rounds the zone start down to a pageblock).
func (z *Zone) pageblockIndex(pfn uint64) uint64 {
	return (pfn - z.zoneStartPFN&^(pageblockNrPages-1)) >> pageblockOrder
}

// getPageblockMigratetype is get_pfnblock_migratetype().
func (z *Zone) getPageblockMigratetype(pfn uint64) int {
	return int(z.pageblockFlags[z.pageblockIndex(pfn)] & migratetypeMask)
}

// setPageblockMigratetype is set_pageblock_migratetype(). With grouping by
// mobility disabled everything is MIGRATE_UNMOVABLE.
func (z *Zone) setPageblockMigratetype(pfn uint64, mt int) {
	if z.sys.pageGroupByMobilityDisabled && mt < MIGRATE_PCPTYPES {
		mt = MIGRATE_UNMOVABLE
	}
	i := z.pageblockIndex(pfn)
	z.pageblockFlags[i] = z.pageblockFlags[i]&^migratetypeMask | uint8(mt)
}

// PageblockMigratetype is the migratetype of the block holding pfn.
func (z *Zone) PageblockMigratetype(pfn uint64) int { return z.getPageblockMigratetype(pfn) }

// badRange is bad_range(): the PFN is outside the zone or its frame belongs
// to another zone.
func (z *Zone) badRange(pfn uint64) bool {
	if !z.zoneSpansPFN(pfn) || !z.sys.pfnValid(pfn) {
		return true
	}
	p := &z.sys.pages[pfn]
	return p.pageZonenum() != z.idx || p.pageToNid() != z.node.ID
}
