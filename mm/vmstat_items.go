package mm

// Counter identities and /proc/vmstat names, as Linux v3.16 lays them out
// for the pagesim configuration (x86_64, CONFIG_NUMA=y, CONFIG_ZONE_DMA=y,
// CONFIG_ZONE_DMA32=y, CONFIG_HIGHMEM=n, CONFIG_COMPACTION=y,
// CONFIG_MIGRATION=y, CONFIG_CMA=n, CONFIG_TRANSPARENT_HUGEPAGE=y,
// CONFIG_NUMA_BALANCING=y, CONFIG_HUGETLB_PAGE=y, CONFIG_VM_EVENT_COUNTERS=y,
// CONFIG_DEBUG_TLBFLUSH=n, CONFIG_DEBUG_VM_VMACACHE=n).
//
// Kernel counterparts: enum zone_stat_item (include/linux/mmzone.h),
// enum vm_event_item (include/linux/vm_event_item.h), enum
// writeback_stat_item and vmstat_text[] (mm/vmstat.c). The numeric values
// below are the kernel's for this configuration; code may rely on them
// (for example the LRU items follow enum lru_list, and the per-zone event
// groups follow enum zone_type).
//
// The identifiers keep the kernel's spelling so that a kernel developer can
// grep for them.

// ZoneStatItem is enum zone_stat_item: a per-zone (and global) page counter
// kept in zone->vm_stat[] and vm_stat[] with per-CPU deltas.
type ZoneStatItem int

// enum zone_stat_item, v3.16 order.
const (
	NR_FREE_PAGES  ZoneStatItem = iota // 0
	NR_ALLOC_BATCH                     // 1
	// NR_LRU_BASE (declared below) aliases NR_INACTIVE_ANON; the five LRU
	// items must stay in enum lru_list order.
	NR_INACTIVE_ANON              // 2
	NR_ACTIVE_ANON                // 3
	NR_INACTIVE_FILE              // 4
	NR_ACTIVE_FILE                // 5
	NR_UNEVICTABLE                // 6
	NR_MLOCK                      // 7
	NR_ANON_PAGES                 // 8
	NR_FILE_MAPPED                // 9
	NR_FILE_PAGES                 // 10
	NR_FILE_DIRTY                 // 11
	NR_WRITEBACK                  // 12
	NR_SLAB_RECLAIMABLE           // 13
	NR_SLAB_UNRECLAIMABLE         // 14
	NR_PAGETABLE                  // 15
	NR_KERNEL_STACK               // 16: counts thread stacks, not pages
	NR_UNSTABLE_NFS               // 17
	NR_BOUNCE                     // 18
	NR_VMSCAN_WRITE               // 19
	NR_VMSCAN_IMMEDIATE           // 20
	NR_WRITEBACK_TEMP             // 21
	NR_ISOLATED_ANON              // 22
	NR_ISOLATED_FILE              // 23
	NR_SHMEM                      // 24
	NR_DIRTIED                    // 25
	NR_WRITTEN                    // 26
	NUMA_HIT                      // 27: CONFIG_NUMA
	NUMA_MISS                     // 28: CONFIG_NUMA
	NUMA_FOREIGN                  // 29: CONFIG_NUMA
	NUMA_INTERLEAVE_HIT           // 30: CONFIG_NUMA
	NUMA_LOCAL                    // 31: CONFIG_NUMA
	NUMA_OTHER                    // 32: CONFIG_NUMA
	WORKINGSET_REFAULT            // 33
	WORKINGSET_ACTIVATE           // 34
	WORKINGSET_NODERECLAIM        // 35
	NR_ANON_TRANSPARENT_HUGEPAGES // 36: unconditional in v3.16 (stays 0 without THP)
	NR_FREE_CMA_PAGES             // 37: unconditional in v3.16 (stays 0 with CONFIG_CMA=n)
	NR_VM_ZONE_STAT_ITEMS         // 38
)

// NR_LRU_BASE is the first LRU counter; NR_LRU_BASE+lru is the counter of
// LRU list lru (inactive anon, active anon, inactive file, active file,
// unevictable).
const NR_LRU_BASE = NR_INACTIVE_ANON

// The NUMA allocation counters sit inside enum zone_stat_item in v3.16
// (they are not a separate enum until later kernels), so they appear in
// /proc/zoneinfo and in the zone part of /proc/vmstat.
const (
	vmstatFirstNUMAItem = NUMA_HIT   // CONFIG_NUMA
	vmstatLastNUMAItem  = NUMA_OTHER // CONFIG_NUMA
)

// IsNUMAStat reports whether item is one of the CONFIG_NUMA allocation
// counters (numa_hit ... numa_other).
func (item ZoneStatItem) IsNUMAStat() bool {
	return item >= vmstatFirstNUMAItem && item <= vmstatLastNUMAItem
}

// String returns the item's /proc/vmstat and /proc/zoneinfo name.
func (item ZoneStatItem) String() string {
	if item < 0 || item >= NR_VM_ZONE_STAT_ITEMS {
		return "ZoneStatItem(?)"
	}
	return vmstatText[vmstatZoneStart+int(item)]
}

// WritebackStatItem is mm/vmstat.c's enum writeback_stat_item: the two
// global dirty thresholds that /proc/vmstat prints between the zone items
// and the events. They are computed on read by global_dirty_limits(), not
// kept as counters.
type WritebackStatItem int

// enum writeback_stat_item, v3.16 order.
const (
	NR_DIRTY_THRESHOLD         WritebackStatItem = iota // 0
	NR_DIRTY_BG_THRESHOLD                               // 1
	NR_VM_WRITEBACK_STAT_ITEMS                          // 2
)

// String returns the item's /proc/vmstat name.
func (item WritebackStatItem) String() string {
	if item < 0 || item >= NR_VM_WRITEBACK_STAT_ITEMS {
		return "WritebackStatItem(?)"
	}
	return vmstatText[vmstatWritebackStart+int(item)]
}

// VMEventItem is enum vm_event_item: a per-CPU event counter summed over
// CPUs for /proc/vmstat. The FOR_ALL_ZONES groups are written out as the
// macro expands them: _DMA, _DMA32, _NORMAL, _MOVABLE (no _HIGH, since
// CONFIG_HIGHMEM=n). Within a group the offset from the _DMA member equals
// the zone index (enum zone_type).
type VMEventItem int

// enum vm_event_item, v3.16 order.
const (
	PGPGIN  VMEventItem = iota // 0
	PGPGOUT                    // 1
	PSWPIN                     // 2
	PSWPOUT                    // 3

	PGALLOC_DMA     // 4: CONFIG_ZONE_DMA
	PGALLOC_DMA32   // 5: CONFIG_ZONE_DMA32
	PGALLOC_NORMAL  // 6
	PGALLOC_MOVABLE // 7

	PGFREE       // 8
	PGACTIVATE   // 9
	PGDEACTIVATE // 10
	PGFAULT      // 11
	PGMAJFAULT   // 12

	PGREFILL_DMA     // 13: CONFIG_ZONE_DMA
	PGREFILL_DMA32   // 14: CONFIG_ZONE_DMA32
	PGREFILL_NORMAL  // 15
	PGREFILL_MOVABLE // 16

	PGSTEAL_KSWAPD_DMA     // 17: CONFIG_ZONE_DMA
	PGSTEAL_KSWAPD_DMA32   // 18: CONFIG_ZONE_DMA32
	PGSTEAL_KSWAPD_NORMAL  // 19
	PGSTEAL_KSWAPD_MOVABLE // 20

	PGSTEAL_DIRECT_DMA     // 21: CONFIG_ZONE_DMA
	PGSTEAL_DIRECT_DMA32   // 22: CONFIG_ZONE_DMA32
	PGSTEAL_DIRECT_NORMAL  // 23
	PGSTEAL_DIRECT_MOVABLE // 24

	PGSCAN_KSWAPD_DMA     // 25: CONFIG_ZONE_DMA
	PGSCAN_KSWAPD_DMA32   // 26: CONFIG_ZONE_DMA32
	PGSCAN_KSWAPD_NORMAL  // 27
	PGSCAN_KSWAPD_MOVABLE // 28

	PGSCAN_DIRECT_DMA     // 29: CONFIG_ZONE_DMA
	PGSCAN_DIRECT_DMA32   // 30: CONFIG_ZONE_DMA32
	PGSCAN_DIRECT_NORMAL  // 31
	PGSCAN_DIRECT_MOVABLE // 32

	PGSCAN_DIRECT_THROTTLE        // 33
	PGSCAN_ZONE_RECLAIM_FAILED    // 34: CONFIG_NUMA
	PGINODESTEAL                  // 35
	SLABS_SCANNED                 // 36
	KSWAPD_INODESTEAL             // 37
	KSWAPD_LOW_WMARK_HIT_QUICKLY  // 38
	KSWAPD_HIGH_WMARK_HIT_QUICKLY // 39
	PAGEOUTRUN                    // 40
	ALLOCSTALL                    // 41
	PGROTATED                     // 42
	DROP_PAGECACHE                // 43
	DROP_SLAB                     // 44

	NUMA_PTE_UPDATES       // 45: CONFIG_NUMA_BALANCING
	NUMA_HUGE_PTE_UPDATES  // 46: CONFIG_NUMA_BALANCING
	NUMA_HINT_FAULTS       // 47: CONFIG_NUMA_BALANCING
	NUMA_HINT_FAULTS_LOCAL // 48: CONFIG_NUMA_BALANCING
	NUMA_PAGE_MIGRATE      // 49: CONFIG_NUMA_BALANCING

	PGMIGRATE_SUCCESS // 50: CONFIG_MIGRATION
	PGMIGRATE_FAIL    // 51: CONFIG_MIGRATION

	COMPACTMIGRATE_SCANNED // 52: CONFIG_COMPACTION
	COMPACTFREE_SCANNED    // 53: CONFIG_COMPACTION
	COMPACTISOLATED        // 54: CONFIG_COMPACTION
	COMPACTSTALL           // 55: CONFIG_COMPACTION
	COMPACTFAIL            // 56: CONFIG_COMPACTION
	COMPACTSUCCESS         // 57: CONFIG_COMPACTION

	HTLB_BUDDY_PGALLOC      // 58: CONFIG_HUGETLB_PAGE
	HTLB_BUDDY_PGALLOC_FAIL // 59: CONFIG_HUGETLB_PAGE

	UNEVICTABLE_PGCULLED    // 60
	UNEVICTABLE_PGSCANNED   // 61
	UNEVICTABLE_PGRESCUED   // 62
	UNEVICTABLE_PGMLOCKED   // 63
	UNEVICTABLE_PGMUNLOCKED // 64
	UNEVICTABLE_PGCLEARED   // 65
	UNEVICTABLE_PGSTRANDED  // 66

	THP_FAULT_ALLOC            // 67: CONFIG_TRANSPARENT_HUGEPAGE
	THP_FAULT_FALLBACK         // 68: CONFIG_TRANSPARENT_HUGEPAGE
	THP_COLLAPSE_ALLOC         // 69: CONFIG_TRANSPARENT_HUGEPAGE
	THP_COLLAPSE_ALLOC_FAILED  // 70: CONFIG_TRANSPARENT_HUGEPAGE
	THP_SPLIT                  // 71: CONFIG_TRANSPARENT_HUGEPAGE
	THP_ZERO_PAGE_ALLOC        // 72: CONFIG_TRANSPARENT_HUGEPAGE
	THP_ZERO_PAGE_ALLOC_FAILED // 73: CONFIG_TRANSPARENT_HUGEPAGE

	// Not present in this configuration: NR_TLB_* (CONFIG_DEBUG_TLBFLUSH)
	// and VMACACHE_FIND_* (CONFIG_DEBUG_VM_VMACACHE).

	NR_VM_EVENT_ITEMS // 74
)

// vmEventZoneGroupLen is the number of members of each FOR_ALL_ZONES group:
// one per zone type (DMA, DMA32, Normal, Movable).
const vmEventZoneGroupLen = 4

// vmEventZoneNormalIdx is the zone index of ZONE_NORMAL in this
// configuration (ZONE_DMA=0, ZONE_DMA32=1, ZONE_NORMAL=2, ZONE_MOVABLE=3).
const vmEventZoneNormalIdx = 2

// zoneVMEvent returns the member of a FOR_ALL_ZONES event group for the
// zone with index zoneIdx, given the group's _NORMAL member, the way the
// kernel's __count_zone_vm_events() macro indexes it (item_NORMAL -
// ZONE_NORMAL + zone_idx(zone)). Example: zoneVMEvent(PGALLOC_NORMAL, 1)
// is PGALLOC_DMA32.
func zoneVMEvent(normal VMEventItem, zoneIdx int) VMEventItem {
	return normal - vmEventZoneNormalIdx + VMEventItem(zoneIdx)
}

// String returns the event's /proc/vmstat name.
func (item VMEventItem) String() string {
	if item < 0 || item >= NR_VM_EVENT_ITEMS {
		return "VMEventItem(?)"
	}
	return vmstatText[vmstatEventStart+int(item)]
}

// Layout of vmstatText (and of the value array /proc/vmstat prints):
// zone stat items, then writeback thresholds, then events.
const (
	vmstatZoneStart      = 0
	vmstatWritebackStart = vmstatZoneStart + int(NR_VM_ZONE_STAT_ITEMS)
	vmstatEventStart     = vmstatWritebackStart + int(NR_VM_WRITEBACK_STAT_ITEMS)
	vmstatTextLen        = vmstatEventStart + int(NR_VM_EVENT_ITEMS)
)

// vmstatPart says which part of vmstatText an index belongs to.
type vmstatPart int

const (
	vmstatPartInvalid   vmstatPart = iota // out of range
	vmstatPartZone                        // a ZoneStatItem (includes the NUMA items)
	vmstatPartWriteback                   // a WritebackStatItem
	vmstatPartEvent                       // a VMEventItem
)

// vmstatPartOf classifies index i of vmstatText and returns the item's
// number within its part (a ZoneStatItem, WritebackStatItem or
// VMEventItem value).
func vmstatPartOf(i int) (vmstatPart, int) {
	switch {
	case i < vmstatZoneStart || i >= vmstatTextLen:
		return vmstatPartInvalid, -1
	case i < vmstatWritebackStart:
		return vmstatPartZone, i - vmstatZoneStart
	case i < vmstatEventStart:
		return vmstatPartWriteback, i - vmstatWritebackStart
	default:
		return vmstatPartEvent, i - vmstatEventStart
	}
}

// vmstatText is v3.16's vmstat_text[] for this configuration: the names
// /proc/vmstat prints, in order. The first NR_VM_ZONE_STAT_ITEMS names are
// also the item names in /proc/zoneinfo.
var vmstatText = [...]string{
	// Zone stat items (enum zone_stat_item).
	"nr_free_pages",
	"nr_alloc_batch",
	"nr_inactive_anon",
	"nr_active_anon",
	"nr_inactive_file",
	"nr_active_file",
	"nr_unevictable",
	"nr_mlock",
	"nr_anon_pages",
	"nr_mapped",
	"nr_file_pages",
	"nr_dirty",
	"nr_writeback",
	"nr_slab_reclaimable",
	"nr_slab_unreclaimable",
	"nr_page_table_pages",
	"nr_kernel_stack",
	"nr_unstable",
	"nr_bounce",
	"nr_vmscan_write",
	"nr_vmscan_immediate_reclaim",
	"nr_writeback_temp",
	"nr_isolated_anon",
	"nr_isolated_file",
	"nr_shmem",
	"nr_dirtied",
	"nr_written",
	"numa_hit",        // CONFIG_NUMA
	"numa_miss",       // CONFIG_NUMA
	"numa_foreign",    // CONFIG_NUMA
	"numa_interleave", // CONFIG_NUMA
	"numa_local",      // CONFIG_NUMA
	"numa_other",      // CONFIG_NUMA
	"workingset_refault",
	"workingset_activate",
	"workingset_nodereclaim",
	"nr_anon_transparent_hugepages",
	"nr_free_cma",

	// Writeback thresholds (enum writeback_stat_item).
	"nr_dirty_threshold",
	"nr_dirty_background_threshold",

	// Events (enum vm_event_item); the whole part needs CONFIG_VM_EVENT_COUNTERS.
	"pgpgin",
	"pgpgout",
	"pswpin",
	"pswpout",

	"pgalloc_dma",   // CONFIG_ZONE_DMA
	"pgalloc_dma32", // CONFIG_ZONE_DMA32
	"pgalloc_normal",
	"pgalloc_movable",

	"pgfree",
	"pgactivate",
	"pgdeactivate",
	"pgfault",
	"pgmajfault",

	"pgrefill_dma",   // CONFIG_ZONE_DMA
	"pgrefill_dma32", // CONFIG_ZONE_DMA32
	"pgrefill_normal",
	"pgrefill_movable",

	"pgsteal_kswapd_dma",   // CONFIG_ZONE_DMA
	"pgsteal_kswapd_dma32", // CONFIG_ZONE_DMA32
	"pgsteal_kswapd_normal",
	"pgsteal_kswapd_movable",

	"pgsteal_direct_dma",   // CONFIG_ZONE_DMA
	"pgsteal_direct_dma32", // CONFIG_ZONE_DMA32
	"pgsteal_direct_normal",
	"pgsteal_direct_movable",

	"pgscan_kswapd_dma",   // CONFIG_ZONE_DMA
	"pgscan_kswapd_dma32", // CONFIG_ZONE_DMA32
	"pgscan_kswapd_normal",
	"pgscan_kswapd_movable",

	"pgscan_direct_dma",   // CONFIG_ZONE_DMA
	"pgscan_direct_dma32", // CONFIG_ZONE_DMA32
	"pgscan_direct_normal",
	"pgscan_direct_movable",

	"pgscan_direct_throttle",
	"zone_reclaim_failed", // CONFIG_NUMA
	"pginodesteal",
	"slabs_scanned",
	"kswapd_inodesteal",
	"kswapd_low_wmark_hit_quickly",
	"kswapd_high_wmark_hit_quickly",
	"pageoutrun",
	"allocstall",
	"pgrotated",
	"drop_pagecache",
	"drop_slab",

	"numa_pte_updates",       // CONFIG_NUMA_BALANCING
	"numa_huge_pte_updates",  // CONFIG_NUMA_BALANCING
	"numa_hint_faults",       // CONFIG_NUMA_BALANCING
	"numa_hint_faults_local", // CONFIG_NUMA_BALANCING
	"numa_pages_migrated",    // CONFIG_NUMA_BALANCING

	"pgmigrate_success", // CONFIG_MIGRATION
	"pgmigrate_fail",    // CONFIG_MIGRATION

	"compact_migrate_scanned", // CONFIG_COMPACTION
	"compact_free_scanned",    // CONFIG_COMPACTION
	"compact_isolated",        // CONFIG_COMPACTION
	"compact_stall",           // CONFIG_COMPACTION
	"compact_fail",            // CONFIG_COMPACTION
	"compact_success",         // CONFIG_COMPACTION

	"htlb_buddy_alloc_success", // CONFIG_HUGETLB_PAGE
	"htlb_buddy_alloc_fail",    // CONFIG_HUGETLB_PAGE

	"unevictable_pgs_culled",
	"unevictable_pgs_scanned",
	"unevictable_pgs_rescued",
	"unevictable_pgs_mlocked",
	"unevictable_pgs_munlocked",
	"unevictable_pgs_cleared",
	"unevictable_pgs_stranded",

	"thp_fault_alloc",            // CONFIG_TRANSPARENT_HUGEPAGE
	"thp_fault_fallback",         // CONFIG_TRANSPARENT_HUGEPAGE
	"thp_collapse_alloc",         // CONFIG_TRANSPARENT_HUGEPAGE
	"thp_collapse_alloc_failed",  // CONFIG_TRANSPARENT_HUGEPAGE
	"thp_split",                  // CONFIG_TRANSPARENT_HUGEPAGE
	"thp_zero_page_alloc",        // CONFIG_TRANSPARENT_HUGEPAGE
	"thp_zero_page_alloc_failed", // CONFIG_TRANSPARENT_HUGEPAGE
}

// A compile-time check that the table and the enums agree in length: both
// array types below must be valid (non-negative length).
var (
	_ [len(vmstatText) - vmstatTextLen]struct{}
	_ [vmstatTextLen - len(vmstatText)]struct{}
)
