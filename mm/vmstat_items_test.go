package mm

import "testing"

// Kernel rule (v3.16 mm/vmstat.c): vmstat_text[] holds exactly one name per
// zone stat item, then one per writeback stat item, then one per vm event.
func TestVMStatTextLength(t *testing.T) {
	if NR_VM_ZONE_STAT_ITEMS != 38 {
		t.Errorf("NR_VM_ZONE_STAT_ITEMS = %d, want 38", NR_VM_ZONE_STAT_ITEMS)
	}
	if NR_VM_WRITEBACK_STAT_ITEMS != 2 {
		t.Errorf("NR_VM_WRITEBACK_STAT_ITEMS = %d, want 2", NR_VM_WRITEBACK_STAT_ITEMS)
	}
	if NR_VM_EVENT_ITEMS != 74 {
		t.Errorf("NR_VM_EVENT_ITEMS = %d, want 74", NR_VM_EVENT_ITEMS)
	}
	want := int(NR_VM_ZONE_STAT_ITEMS) + int(NR_VM_WRITEBACK_STAT_ITEMS) + int(NR_VM_EVENT_ITEMS)
	if got := len(vmstatText); got != want {
		t.Errorf("len(vmstatText) = %d, want %d", got, want)
	}
	if got := vmstatTextLen; got != want {
		t.Errorf("vmstatTextLen = %d, want %d", got, want)
	}
}

func TestVMStatTextNames(t *testing.T) {
	cases := []struct {
		i    int
		name string
	}{
		{0, "nr_free_pages"},
		{int(NR_ALLOC_BATCH), "nr_alloc_batch"},
		{int(NR_LRU_BASE), "nr_inactive_anon"},
		{int(NR_FILE_MAPPED), "nr_mapped"},
		{int(NR_PAGETABLE), "nr_page_table_pages"},
		{int(NR_UNSTABLE_NFS), "nr_unstable"},
		{int(NR_VMSCAN_IMMEDIATE), "nr_vmscan_immediate_reclaim"},
		{int(NUMA_HIT), "numa_hit"},
		{int(NUMA_INTERLEAVE_HIT), "numa_interleave"},
		{int(NR_FREE_CMA_PAGES), "nr_free_cma"},
		{vmstatWritebackStart + int(NR_DIRTY_THRESHOLD), "nr_dirty_threshold"},
		{vmstatWritebackStart + int(NR_DIRTY_BG_THRESHOLD), "nr_dirty_background_threshold"},
		{vmstatEventStart, "pgpgin"},
		{vmstatEventStart + int(PGALLOC_DMA), "pgalloc_dma"},
		{vmstatEventStart + int(PGALLOC_MOVABLE), "pgalloc_movable"},
		{vmstatEventStart + int(PGSCAN_DIRECT_THROTTLE), "pgscan_direct_throttle"},
		{vmstatEventStart + int(PGSCAN_ZONE_RECLAIM_FAILED), "zone_reclaim_failed"},
		{vmstatEventStart + int(NUMA_PAGE_MIGRATE), "numa_pages_migrated"},
		{vmstatEventStart + int(PGMIGRATE_SUCCESS), "pgmigrate_success"},
		{vmstatEventStart + int(COMPACTSTALL), "compact_stall"},
		{vmstatEventStart + int(HTLB_BUDDY_PGALLOC), "htlb_buddy_alloc_success"},
		{vmstatEventStart + int(UNEVICTABLE_PGSTRANDED), "unevictable_pgs_stranded"},
		{len(vmstatText) - 1, "thp_zero_page_alloc_failed"},
	}
	for _, c := range cases {
		if got := vmstatText[c.i]; got != c.name {
			t.Errorf("vmstatText[%d] = %q, want %q", c.i, got, c.name)
		}
	}
	if vmstatText[38] != "nr_dirty_threshold" || vmstatText[40] != "pgpgin" || len(vmstatText) != 114 {
		t.Errorf("absolute layout changed: [38]=%q [40]=%q len=%d", vmstatText[38], vmstatText[40], len(vmstatText))
	}
}

func TestVMStatTextUnique(t *testing.T) {
	seen := map[string]int{}
	for i, name := range vmstatText {
		if name == "" {
			t.Errorf("vmstatText[%d] is empty", i)
		}
		if j, dup := seen[name]; dup {
			t.Errorf("vmstatText[%d] = %q duplicates index %d", i, name, j)
		}
		seen[name] = i
	}
}

// Kernel rule (include/linux/mmzone.h): NR_LRU_BASE + lru is the counter of
// LRU list lru, in the order inactive anon, active anon, inactive file,
// active file, unevictable.
func TestLRUItemsOrder(t *testing.T) {
	want := []ZoneStatItem{NR_INACTIVE_ANON, NR_ACTIVE_ANON, NR_INACTIVE_FILE, NR_ACTIVE_FILE, NR_UNEVICTABLE}
	for lru, item := range want {
		if NR_LRU_BASE+ZoneStatItem(lru) != item {
			t.Errorf("NR_LRU_BASE+%d = %d, want %d (%v)", lru, NR_LRU_BASE+ZoneStatItem(lru), item, item)
		}
	}
}

// Kernel rule (include/linux/vmstat.h __count_zone_vm_events): within each
// FOR_ALL_ZONES group, item_NORMAL - ZONE_NORMAL + zone_idx selects the
// zone's member, with zones ordered DMA, DMA32, Normal, Movable.
func TestZoneVMEventGroups(t *testing.T) {
	groups := []struct{ dma, normal VMEventItem }{
		{PGALLOC_DMA, PGALLOC_NORMAL},
		{PGREFILL_DMA, PGREFILL_NORMAL},
		{PGSTEAL_KSWAPD_DMA, PGSTEAL_KSWAPD_NORMAL},
		{PGSTEAL_DIRECT_DMA, PGSTEAL_DIRECT_NORMAL},
		{PGSCAN_KSWAPD_DMA, PGSCAN_KSWAPD_NORMAL},
		{PGSCAN_DIRECT_DMA, PGSCAN_DIRECT_NORMAL},
	}
	suffix := []string{"_dma", "_dma32", "_normal", "_movable"}
	for _, g := range groups {
		base := g.dma.String()
		base = base[:len(base)-len("_dma")]
		for z := 0; z < vmEventZoneGroupLen; z++ {
			item := zoneVMEvent(g.normal, z)
			if item != g.dma+VMEventItem(z) {
				t.Errorf("zoneVMEvent(%v, %d) = %v, want %v", g.normal, z, item, g.dma+VMEventItem(z))
			}
			if got, want := item.String(), base+suffix[z]; got != want {
				t.Errorf("zone %d member of %s group is %q, want %q", z, base, got, want)
			}
		}
	}
}

func TestVMStatPartOf(t *testing.T) {
	cases := []struct {
		i    int
		part vmstatPart
		n    int
	}{
		{-1, vmstatPartInvalid, -1},
		{0, vmstatPartZone, int(NR_FREE_PAGES)},
		{int(NR_FREE_CMA_PAGES), vmstatPartZone, int(NR_FREE_CMA_PAGES)},
		{38, vmstatPartWriteback, int(NR_DIRTY_THRESHOLD)},
		{39, vmstatPartWriteback, int(NR_DIRTY_BG_THRESHOLD)},
		{40, vmstatPartEvent, int(PGPGIN)},
		{113, vmstatPartEvent, int(THP_ZERO_PAGE_ALLOC_FAILED)},
		{114, vmstatPartInvalid, -1},
	}
	for _, c := range cases {
		part, n := vmstatPartOf(c.i)
		if part != c.part || n != c.n {
			t.Errorf("vmstatPartOf(%d) = (%d, %d), want (%d, %d)", c.i, part, n, c.part, c.n)
		}
	}
}

func TestItemStrings(t *testing.T) {
	if s := NR_FILE_DIRTY.String(); s != "nr_dirty" {
		t.Errorf("NR_FILE_DIRTY.String() = %q", s)
	}
	if s := NR_DIRTY_BG_THRESHOLD.String(); s != "nr_dirty_background_threshold" {
		t.Errorf("NR_DIRTY_BG_THRESHOLD.String() = %q", s)
	}
	if s := PGSTEAL_DIRECT_DMA32.String(); s != "pgsteal_direct_dma32" {
		t.Errorf("PGSTEAL_DIRECT_DMA32.String() = %q", s)
	}
	for item := ZoneStatItem(0); item < NR_VM_ZONE_STAT_ITEMS; item++ {
		want := item >= NUMA_HIT && item <= NUMA_OTHER
		if item.IsNUMAStat() != want {
			t.Errorf("%v.IsNUMAStat() = %v", item, !want)
		}
	}
}
